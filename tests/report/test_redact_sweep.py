"""The planted-secret sweep: 33 kinds of secret x 6 places in a log x every report format of
``diagnose`` and ``scan``: not one secret reaches a report (issue 13).

Every log goes through the engine as the CLI runs it (redaction on), then every renderer.
A leak is looked for with all whitespace removed, so a renderer that wraps a long line
cannot hide one. The places: a context line, the matched line, the error tail (no rule
explains the log), a capture (the failed command), a command over 200 characters (the
``command-execution-error`` summary truncates it) and a command with a backtick (the
Markdown-inert rewrite changes it).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import pytest

from analyzer.cli import main
from analyzer.engine import diagnose
from analyzer.models import Build, Diagnosis, ScanReport
from analyzer.redact import MASK_PREFIX, redact_text
from analyzer.report import Format, render_diagnosis, render_scan
from tests.report.conftest import record

_GHP = "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s12"
_PEM_BODY = "MIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH"
_PEM_LAST = "Xk9qZW5kPQ=="
_AZURE = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# kind -> (the lines that carry it, the secret value that must not appear). The last line of a
# multi-line spelling is the one a placement puts in a matched line or a command.
KINDS: dict[str, tuple[list[str], str]] = {
    "aws access key id": (["using key AKIAIOSFODNN7EXAMPLE"], "AKIAIOSFODNN7EXAMPLE"),
    "aws temporary key id": (["key ASIAY34FZKBOKMUTVV7A expired"], "ASIAY34FZKBOKMUTVV7A"),
    "aws secret key": (["export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
                       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),  # fmt: skip
    "aws session token": (["export AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzEXAMPLE0token"],
                          "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzEXAMPLE0token"),  # fmt: skip
    "aws configure set": (["aws configure set aws_secret_access_key Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdI"],
                          "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdI"),  # fmt: skip
    "curl bearer github token": (
        [f'curl -sf -H "Authorization: Bearer {_GHP}" https://api.github.com/repos/octo-org/app/releases/latest'],
        _GHP,
    ),
    "bearer opaque token": (['curl -H "Authorization: Bearer sk9f8e7d6c5b4a39281706f5e4d3c2b1a0" https://x.example.com'],
                            "sk9f8e7d6c5b4a39281706f5e4d3c2b1a0"),  # fmt: skip
    "basic auth header": (["wget --header='Authorization: Basic Y2lib3Q6c3VwZXJzZWNyZXQxMjM0' https://x.example.com"],
                          "Y2lib3Q6c3VwZXJzZWNyZXQxMjM0"),  # fmt: skip
    "url password": (["git clone https://ci-bot:Zq8tP3xW9vKmR2@git.example.com/team/app.git"], "Zq8tP3xW9vKmR2"),
    "token as url user": (["git clone https://x9f8e7d6c5b4a3928170f5e4@git.example.com/team/app.git"],
                          "x9f8e7d6c5b4a3928170f5e4"),  # fmt: skip
    "github fine-grained token": (["GH=github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789abcdEFGHijkl"],
                                  "github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789abcdEFGHijkl"),  # fmt: skip
    "gitlab token": (["pushing with glpat-Xy7Zq2Wv9Rt4Ps6Mn8Lk"], "glpat-Xy7Zq2Wv9Rt4Ps6Mn8Lk"),
    "npm token": (["npm publish --registry https://registry.npmjs.org npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"],
                  "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),  # fmt: skip
    "npmrc auth token": (["echo //npm.example.com/:_authToken=3f2a9c4e-7b1d-4e8f-a6c5-0d9e8f7a6b5c >> .npmrc"],
                         "3f2a9c4e-7b1d-4e8f-a6c5-0d9e8f7a6b5c"),  # fmt: skip
    "pypi token": (["twine upload -u __token__ -p pypi-AgEIcHlwaS5vcmcCJGE0ZjY5YzJlLTk1NTgtNDc0Ny1hYjU2LTE4ZjQ5YjE2NjU4NwACKlsz dist/*"],
                   "pypi-AgEIcHlwaS5vcmcCJGE0ZjY5YzJlLTk1NTgtNDc0Ny1hYjU2LTE4ZjQ5YjE2NjU4NwACKlsz"),  # fmt: skip
    "docker hub token": (["echo dckr_pat_2b3e36beeb386dfdaacb9b46004 | docker login -u ci --password-stdin"],
                         "dckr_pat_2b3e36beeb386dfdaacb9b46004"),  # fmt: skip
    "docker login -p": (["docker login -u ci -p Hunter2Hunter2x registry.example.com"], "Hunter2Hunter2x"),
    "slack bot token": (["SLACK=xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"],
                        "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),  # fmt: skip
    "slack webhook": (["curl -X POST https://hooks.slack.com/services/T0ABCDE12/B0ABCDE34/aBcDeFgHiJkLmNoPqRsTuVwX"],
                      "T0ABCDE12/B0ABCDE34/aBcDeFgHiJkLmNoPqRsTuVwX"),  # fmt: skip
    "stripe key": (["stripe --api-key sk_live_4eC39HqLyjWDarjtT1zdp7dc listen"], "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    "google api key": (["gcloud with key=AIzaSyB3xQ9vL2mN8pR4tW6yZ0aC5eG7iK1oU3s"], "AIzaSyB3xQ9vL2mN8pR4tW6yZ0aC5eG7iK1oU3s"),
    "jwt": (["got eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"],
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),  # fmt: skip
    "PGPASSWORD": (["PGPASSWORD=pgS3cretValue psql -h db -U app -c 'select 1'"], "pgS3cretValue"),
    "any _PASSWORD": (["DB_PASSWORD=DbPa55word! ./migrate.sh"], "DbPa55word!"),
    "SECRET_KEY": (["SECRET_KEY=django-insecure-k3y-v4lue ./manage.py check"], "django-insecure-k3y-v4lue"),
    "mysql -p": (["mysql -u root -pMyR00tPw -h db.example.com app"], "MyR00tPw"),
    "curl -u": (["curl -fsS -u deploy:D3pl0yPa55 https://nexus.example.com/repo"], "D3pl0yPa55"),
    "base64 of a key": ([f"echo {base64.b64encode(b'AKIAI44QH8DHBEXAMPLE').decode()} | base64 -d > key"],
                        base64.b64encode(b"AKIAI44QH8DHBEXAMPLE").decode()),  # fmt: skip
    "private key in one line": ([f"-----BEGIN RSA PRIVATE KEY----- {_PEM_BODY}"], _PEM_BODY),
    "private key body line": ([_PEM_BODY[::-1], "-----END RSA PRIVATE KEY-----"], _PEM_BODY[::-1]),
    "private key short last line": ([_PEM_LAST, "-----END RSA PRIVATE KEY-----"], _PEM_LAST),
    "openai key": (["OPENAI=sk-proj-abcdefghij0123456789T3BlbkFJabcdefghij0123456789"],
                   "sk-proj-abcdefghij0123456789T3BlbkFJabcdefghij0123456789"),  # fmt: skip
    "azure storage key": ([f"DefaultEndpointsProtocol=https;AccountName=x;AccountKey={_AZURE}"], _AZURE),
}

_MATCHED = "toomanyrequests: You have reached your unauthenticated pull rate limit"
_AGENT = "[Container] 2026/11/27 09:14:13.906200 "


def _command_log(command: str) -> list[str]:
    return [
        f"{_AGENT}Entering phase BUILD",
        f"{_AGENT}Running command {command}",
        f"{_AGENT}Command did not exit successfully {command} exit status 1",
        f"{_AGENT}Phase complete: BUILD State: FAILED",
        f"{_AGENT}Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: "
        f"{command}. Reason: exit status 1",
    ]


def _context(lines: list[str]) -> list[str]:
    return ["building", *lines, _MATCHED, "done"]


def _matched(lines: list[str]) -> list[str]:
    return ["building", *lines[:-1], f"{_MATCHED} {lines[-1]}", "done"]


def _tail(lines: list[str]) -> list[str]:
    return ["building", *lines[:-1], f"ERROR: upload failed: {lines[-1]}", "error: giving up", "done"]


def _capture(lines: list[str]) -> list[str]:
    return [*lines[:-1], *_command_log(lines[-1])]


def _long_command(lines: list[str]) -> list[str]:
    return [*lines[:-1], *_command_log("set -e; " * 30 + lines[-1] + " && echo ok")]


def _backtick(lines: list[str]) -> list[str]:
    return [*lines[:-1], *_command_log(f"echo `date +%s` && {lines[-1]}")]


PLACEMENTS: dict[str, Callable[[list[str]], list[str]]] = {
    "context": _context,
    "matched line": _matched,
    "error tail": _tail,
    "capture": _capture,
    "long command": _long_command,
    "command with a backtick": _backtick,
}


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _leaks(report: str, secrets: dict[str, str]) -> list[str]:
    squeezed = _squeeze(report)
    return [name for name, value in secrets.items() if _squeeze(value) in squeezed]


def test_the_sweep_has_33_kinds_and_6_placements() -> None:
    assert (len(KINDS), len(PLACEMENTS)) == (33, 6)


@pytest.fixture(scope="module")
def swept(pack_rules) -> dict[str, list[Diagnosis]]:  # type: ignore[no-untyped-def]
    """Per placement, one diagnosis per kind (the record's source version carries it too)."""
    out: dict[str, list[Diagnosis]] = {}
    for number, (placement, place) in enumerate(PLACEMENTS.items()):
        out[placement] = []
        for index, (_kind, (lines, _value)) in enumerate(KINDS.items()):
            log = ("\n".join(place(lines)) + "\n").encode()
            data = record(f"app-{number}", index + 1, day=number, minutes=1, source_version=f"refs/x {lines[-1]}")
            out[placement].append(diagnose(pack_rules, [log], Build.from_api(data)))
    return out


@pytest.mark.parametrize("placement", list(PLACEMENTS))
def test_every_placement_really_shows_the_line(swept, placement: str) -> None:  # type: ignore[no-untyped-def]
    """Not vacuous: every log is diagnosed with its secret's place in the report (as a mask)."""
    for diagnosis in swept[placement]:
        shown = render_diagnosis(diagnosis, Format.JSON)
        assert MASK_PREFIX in shown, (placement, diagnosis.build.build_id if diagnosis.build else None)


@pytest.mark.parametrize("output_format", list(Format))
@pytest.mark.parametrize("placement", list(PLACEMENTS))
def test_no_secret_in_any_diagnose_report(swept, placement: str, output_format: Format) -> None:  # type: ignore[no-untyped-def]
    secrets = {kind: value for kind, (_lines, value) in KINDS.items()}
    leaked = []
    for kind, diagnosis in zip(KINDS, swept[placement]):
        if _leaks(render_diagnosis(diagnosis, output_format), {kind: secrets[kind]}):
            leaked.append(kind)
    assert leaked == []


@pytest.mark.parametrize("output_format", list(Format))
def test_no_secret_in_any_scan_report(swept, output_format: Format) -> None:  # type: ignore[no-untyped-def]
    report = ScanReport(diagnoses=tuple(d for diagnoses in swept.values() for d in diagnoses))
    shown = render_scan(report, output_format)
    assert _leaks(shown, {kind: value for kind, (_lines, value) in KINDS.items()}) == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_is_masked_in_its_own_line(kind: str) -> None:
    lines, value = KINDS[kind]
    from analyzer.redact import redact_lines

    assert value not in "\n".join(redact_lines(lines))
    if len(lines) == 1:
        assert value not in redact_text(lines[0])


@pytest.mark.parametrize("output_format", [f.value for f in Format])
def test_the_curl_bearer_case_through_the_cli(tmp_path, output_format: str) -> None:  # type: ignore[no-untyped-def]
    """The realistic one: a failed ``curl -sf -H "Authorization: Bearer ghp_..."`` of 262 characters."""
    command = (
        f'curl -sf -H "Authorization: Bearer {_GHP}" -H "Accept: application/vnd.github+json" '
        "https://api.github.com/repos/octo-org/storefront-api/releases/latest -o release.json "
        "&& jq -r .tag_name release.json > VERSION && echo done-fetching"
    )
    assert len(command) >= 262
    log = tmp_path / "build.log"
    log.write_text("\n".join(_command_log(command)) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["diagnose", "--log-file", str(log), "--format", output_format], stdout=out, stderr=err) == 1
    assert _GHP not in out.getvalue() and "[REDACTED:authorization]" in out.getvalue()
    out = io.StringIO()
    main(["diagnose", "--log-file", str(log), "--format", output_format, "--no-redact"], stdout=out, stderr=err)
    assert _GHP in out.getvalue()  # the secret is in the report's text without redaction
