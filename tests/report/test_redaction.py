"""Secrets never reach a report, in any format, for diagnose and for a scan, unless --no-redact."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.engine import EngineOptions, MatchOptions, diagnose
from analyzer.models import ScanReport
from analyzer.redact import MASK_PREFIX, mask, redact_diagnosis, redact_lines, redact_scan, redact_text
from tests.report.conftest import make_scan, record, render_html, render_md, render_scan_html
from tests.report.secrets import SECRET_LOG, SECRETS, UNKNOWN_SECRET_LOG
from analyzer.models import Build

FORMATS = ["text", "json", "markdown", "html"]


def _run(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    assert code == 1, err.getvalue()
    return out.getvalue()


@pytest.fixture(scope="module")
def secret_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("logs") / "secret.log"
    path.write_text(SECRET_LOG, encoding="utf-8")
    return path


@pytest.mark.parametrize("output_format", FORMATS)
def test_diagnose_reports_carry_no_secret(secret_log: Path, output_format: str) -> None:
    report = _run("diagnose", "--log-file", str(secret_log), "--format", output_format)
    leaked = [kind for kind, value in SECRETS.items() if value in report]
    assert leaked == []
    assert MASK_PREFIX in report


@pytest.mark.parametrize("output_format", ["json", "markdown", "html"])
def test_no_redact_shows_every_secret(secret_log: Path, output_format: str) -> None:
    """The planted secrets really are in the report's lines: the test above is not vacuous."""
    report = _run("diagnose", "--log-file", str(secret_log), "--format", output_format, "--no-redact")
    missing = [kind for kind, value in SECRETS.items() if value not in report]
    assert missing == []
    assert MASK_PREFIX not in report


def test_text_report_without_redaction_shows_root_cause_secrets(secret_log: Path) -> None:
    report = _run("diagnose", "--log-file", str(secret_log), "--no-redact", "--wide")
    assert SECRETS["aws access key id"] in report and SECRETS["jwt"] in report


def test_redacted_evidence_keeps_its_highlight_on_the_match(pack_rules) -> None:  # type: ignore[no-untyped-def]
    finding = redact_diagnosis(diagnose(pack_rules, [SECRET_LOG.encode()])).findings[0]
    first = finding.evidence[0]
    assert first.line_number == 5
    assert first.text == ("toomanyrequests: You have reached your unauthenticated pull rate limit "
                          f"(key {mask('aws-access-key-id')}, {mask('github-token')})")  # fmt: skip
    assert first.matched == "toomanyrequests: You have reached your unauthenticated pull rate limit"
    # Line 5's context runs into the key block: BEGIN line and body masked as a block.
    key = mask("private-key")
    assert [c.text for c in first.after] == [key, key, key]
    # Line 10's context starts inside it: the body lines are masked by their shape alone.
    assert [c.text for c in finding.evidence[1].before] == [key, key, "-----END RSA PRIVATE KEY-----"]
    assert finding.evidence[1].text == f"{first.matched} {mask('jwt')}"
    assert [c.text for c in finding.evidence[1].after] == [
        f"git clone https://ci-bot:{mask('url-credentials')}@git.example.com/team/app.git",
        f"npm config set //registry.npmjs.org/:_authToken {mask('npm-token')}",
        f"{first.matched} {mask('gitlab-token')} {mask('aws-access-key-id')}",
    ]


def _scan_with_secrets(rules) -> ScanReport:  # type: ignore[no-untyped-def]
    base = make_scan(rules)
    # Diagnosed without the engine's own redaction: redact_scan, the pass over a finished (or
    # stored) report, is what is tested here.
    raw = EngineOptions(match=MatchOptions(redact=False))
    leaky = diagnose(rules, [SECRET_LOG.encode()], Build.from_api(record("secret-app", 7, day=1, minutes=2)), options=raw)
    unknown = diagnose(rules, [UNKNOWN_SECRET_LOG.encode()], Build.from_api(
        record("secret-docs", 8, day=2, minutes=1, source_version=f"https://x:{SECRETS['url password']}@git.example.com/d.git")),
        options=raw)  # fmt: skip
    # No rule matches: the secrets reach the reports through the failure locator's block.
    assert [f.rule_id for f in unknown.findings] == ["unrecognised-failure"] and unknown.explained_by is None
    import dataclasses

    skipped = dataclasses.replace(base.skipped[0], reason=f"denied with key {SECRETS['aws access key id']}")
    return dataclasses.replace(base, diagnoses=(leaky, unknown, *base.diagnoses), skipped=(skipped,))


def test_scan_html_carries_no_secret_once_redacted(pack_rules) -> None:  # type: ignore[no-untyped-def]
    scan = _scan_with_secrets(pack_rules)
    shown = render_scan_html(scan)
    assert [kind for kind, value in SECRETS.items() if value not in shown] == []
    redacted = redact_scan(scan)
    html = render_scan_html(redacted)
    assert [kind for kind, value in SECRETS.items() if value in html] == []
    for diagnosis in redacted.diagnoses:
        for text in (render_md(diagnosis), render_html(diagnosis)):
            assert [kind for kind, value in SECRETS.items() if value in text] == []
    assert redacted.skipped[0].reason == f"denied with key {mask('aws-access-key-id')}"


@pytest.mark.parametrize(
    "prose",
    [
        "#2 ERROR: failed to fetch anonymous token: unexpected status from GET request to https://auth.docker.io/token",
        'echo "$DOCKERHUB_TOKEN" | docker login --username "$DOCKERHUB_USERNAME" --password-stdin',
        "TOKEN_URL=https://auth.docker.io/token?service=registry.docker.io",
        "An error occurred (ExpiredTokenException): The security token included in the request is expired",
        "sha256:5c3a2a7e0b1f4d6c8e9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e",
        "5c3a2a7e0b1f4d6c8e9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e",
        "Unable to locate credentials. You can configure credentials by running \"aws configure\".",
        "password authentication failed for user \"app\"",
        "git clone https://github.com/octo-org/app.git",
    ],
)
def test_ordinary_log_prose_is_left_alone(prose: str) -> None:
    assert redact_text(prose) == prose


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_each_kind_of_secret_is_masked_in_its_line(kind: str) -> None:
    lines = [line for line in SECRET_LOG.splitlines() if SECRETS[kind] in line]
    assert lines, kind
    if not kind.startswith("private key"):  # a key body is only recognised after its BEGIN line
        assert all(SECRETS[kind] not in line for line in redact_lines(lines))
    assert all(SECRETS[kind] not in line for line in redact_lines(SECRET_LOG.splitlines()))


def test_a_private_key_body_is_masked_across_lines() -> None:
    lines = ["-----BEGIN EC PRIVATE KEY-----", "abc+/def", "ghi", "-----END EC PRIVATE KEY-----", "after"]
    key = mask("private-key")
    assert redact_lines(lines) == [key, key, key, key, "after"]


def test_json_report_is_still_valid_after_redaction(secret_log: Path) -> None:
    data = json.loads(_run("diagnose", "--log-file", str(secret_log), "--format", "json"))
    assert data["root_cause"] == "docker-hub-rate-limit"
    assert data["findings"][0]["evidence"][0]["match"]["text"].startswith("toomanyrequests")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('DB_PASSWORD: "p@ssw0rd!xyz"', 'DB_PASSWORD: "[REDACTED:password]"'),
        ("export GITHUB_TOKEN=abcdef123456", "export GITHUB_TOKEN=[REDACTED:password]"),
        ("MY_API_KEY=0123456789abcdef", "MY_API_KEY=[REDACTED:password]"),
        ("TOKEN_URL=https://auth.example.com/token", "TOKEN_URL=https://auth.example.com/token"),
        ("passwordless: true", "passwordless: true"),
    ],
)
def test_secret_names_after_an_underscore(line: str, expected: str) -> None:
    from analyzer.redact import redact_text

    assert redact_text(line) == expected


def test_redaction_never_rewrites_a_rules_own_advice() -> None:
    """Only log- and record-derived values are redacted in a fix: a rule's buildspec snippet
    (``DOCKERHUB_TOKEN: /CodeBuild/dockerhub/token``) is not a leaked secret."""
    from analyzer.rules import load_rules
    from analyzer.rules.fixtures import diagnose_case, iter_cases
    from tests.helpers import REPO

    pack = load_rules()
    changed = []
    for case in iter_cases(REPO / "fixtures" / "logs"):
        diagnosis = diagnose_case(pack.rules, case)
        for plain, redacted in zip(diagnosis.findings, redact_diagnosis(diagnosis).findings):
            secret_values = [v for v in plain.captures.values() if redact_text(v) != v]
            if not secret_values and (plain.summary, plain.remediation) != (redacted.summary, redacted.remediation):
                changed.append(f"{case.case_id}: {plain.rule_id}")
    assert changed == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # a key echoed with its newlines turned into spaces, BEGIN out of sight; padded words too
        ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC abcd/ef+gh== -----END PRIVATE KEY-----", "[REDACTED:private-key] -----END PRIVATE KEY-----"),
        ("key: a=== xYz9 -----END RSA PRIVATE KEY-----", "key: a=== [REDACTED:private-key] -----END RSA PRIVATE KEY-----"),
        # a scheme after other name characters, a user:password after a dotted host name
        ("see foo.https://ci:pa55word@git.example.com/app.git", "see foo.https://ci:[REDACTED:url-credentials]@git.example.com/app.git"),
        ("url=https://a.b.c.d.example.com:s3cr3t@host", "url=https://a.b.c.d.example.com:[REDACTED:url-credentials]@host"),
        # a name with dots and dashes before the keyword; one that starts with a separator
        ("spring.datasource.password=hunter2222", "spring.datasource.password=[REDACTED:password]"),
        ("--my-app_TOKEN: abc123xyz", "--my-app_TOKEN: [REDACTED:password]"),
        ("x_-TOKEN: abc123xyz", "x_-TOKEN: [REDACTED:password]"),
        # PowerShell (Windows images)
        ("$env:NUGET_PASSWORD = 'Pl41nTextPw'", "$env:NUGET_PASSWORD = [REDACTED:password]"),
        ('[Environment]::SetEnvironmentVariable("DB_PASSWORD", "EnvPw9876")',
         '[Environment]::SetEnvironmentVariable("DB_PASSWORD", [REDACTED:password])'),
        ("nuget push x.nupkg -ApiKey oy2kq7abcdef -Source nuget.org", "nuget push x.nupkg -ApiKey [REDACTED:password] -Source nuget.org"),
        ("$pw = ConvertTo-SecureString 'P@ssw0rd123' -AsPlainText -Force",
         "$pw = ConvertTo-SecureString [REDACTED:password] -AsPlainText -Force"),
        ("New-Thing -Password $secure -Token (Get-Token)", "New-Thing -Password $secure -Token (Get-Token)"),
        # a tool's -p after another tool word on the line
        ("docker run x && docker login -u me -p s3cretPw", "docker run x && docker login -u me -p [REDACTED:password]"),
        ("az login --service-principal -u 1234 -p Azur3Secr3t! --tenant t",
         "az login --service-principal -u 1234 -p [REDACTED:password] --tenant t"),
        ("curl https://x.example.com -u user:pa55 -o f", "curl https://x.example.com -u user:[REDACTED:basic-auth] -o f"),
        # not secrets: a published port, a Secrets Manager ARN, the host after a token, a 72-character path
        ("docker run -p 8091-8094:8091-8094 -p 5432:5432 couchbase", "docker run -p 8091-8094:8091-8094 -p 5432:5432 couchbase"),
        ("twine upload -u __token__ -p pypi-secretvalue dist/*", "twine upload -u __token__ -p [REDACTED:password] dist/*"),
        ("Secret: arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf",
         "Secret: arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf"),
        ("git clone https://x-access-token:ghs_abcdefghijklmnop1234@github.com/o/r.git",
         "git clone https://x-access-token:[REDACTED:authorization]@github.com/o/r.git"),
        ("Tests/AuthenticationTokenValidationTests/Abcdefghijklmnopqrstuvw/OK12xx",
         "Tests/AuthenticationTokenValidationTests/Abcdefghijklmnopqrstuvw/OK12xx"),
    ],
)
def test_patterns_that_start_only_where_a_run_starts_still_mask(line: str, expected: str) -> None:
    """The PEM tail, URL-credential and secret-name patterns start only where their run of
    characters starts (from every character they were quadratic on a long line); what they
    mask is unchanged."""
    assert redact_text(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "PRIVATE KEY " + "abcd efgh " * 3000,
        "abcd efgh " * 3000 + ". -----END PRIVATE KEY",
        "https://" + "a." * 15000,
        "-" * 30000,
        "a." * 15000 + "PASSWORD",
        " ".join(f"docker-{i}" for i in range(3000)),
        "docker login " * 3000,
        "curl " + "https://a.example.com/x " * 1200,
    ],
)
def test_a_long_line_of_a_patterns_own_characters_is_not_taken_for_a_secret(line: str) -> None:
    """Lines that made a pattern backtrack from every start (see benchmarks/redaction_worst_case.py
    for their cost) hold no secret and come back unchanged."""
    assert redact_text(line) == line


def _log_file(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "build.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("output_format", FORMATS)
def test_the_failed_command_named_in_a_findings_role_is_redacted(tmp_path: Path, output_format: str) -> None:
    """The ranking names the first command that failed in each role's reason: a password in
    that command is masked like the evidence's."""
    log = _log_file(tmp_path, [
        "[Container] 2024/01/01 10:00:00.123456 Entering phase BUILD",
        "[Container] 2024/01/01 10:00:00.123456 Running command git clone https://u:pass1234@host.example.com/a.git",
        "fatal: Authentication failed for 'https://host.example.com/a.git/'",
        "[Container] 2024/01/01 10:00:01.123456 Command did not exit successfully git clone "
        "https://u:pass1234@host.example.com/a.git exit status 128",
        "[Container] 2024/01/01 10:00:01.123456 Phase complete: BUILD State: FAILED",
    ])  # fmt: skip
    report = _run("diagnose", "--log-file", str(log), "--format", output_format)
    assert "pass1234" not in report
    if output_format == "json":
        reasons = [f["role_reason"] for f in json.loads(report)["findings"]]
        assert any(f"u:{mask('url-credentials')}@host" in reason for reason in reasons), reasons


@pytest.mark.parametrize("output_format", FORMATS)
def test_a_private_key_echoed_on_one_long_context_line_is_masked(tmp_path: Path, output_format: str) -> None:
    """A key's body longer than a context line's cut, with its END marker past the cut, is still
    a key: the line is kept up to the marker until it is redacted."""
    body = " ".join(["MIIEowIBAAKCAQEAtXb1vW8vQ2bq9n0J8Y2c3k9sL0pQ7rT1uV3wX5yZ7aB9cD1eF3g"] * 40)
    log = _log_file(tmp_path, [
        "[Container] 2024/01/01 10:00:00.123456 Entering phase BUILD",
        "[Container] 2024/01/01 10:00:00.123456 Running command ./deploy.sh",
        body + " -----END RSA PRIVATE KEY-----",
        "Error: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating",
        "[Container] 2024/01/01 10:00:01.123456 Command did not exit successfully ./deploy.sh exit status 1",
        "[Container] 2024/01/01 10:00:01.123456 Phase complete: BUILD State: FAILED",
    ])  # fmt: skip
    report = _run("diagnose", "--log-file", str(log), "--format", output_format)
    assert "MIIEowIBAAKCAQEA" not in report
