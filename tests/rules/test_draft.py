"""``rules draft``: patterns from templates, the rule file, its cases, and the errors it gives."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
import regex

from analyzer.cli import main
from analyzer.errors import ConfigError
from analyzer.rules.draft import pattern_for, severity_for, source_from_scan
from tests.unknown_failures import KINDS, log_lines


def test_constant_tokens_are_literal_and_variable_ones_named_captures() -> None:
    lines = ["error[E0425]: cannot find value `state` in this scope", "error[E0425]: cannot find value `libs` in this scope"]
    pattern, names = pattern_for("error[E0425]: cannot find value <*> in this scope", lines)
    assert pattern == r"^\s*error\[E0425\]:\s+cannot\s+find\s+value\s+`(?P<value>\S+?)`\s+in\s+this\s+scope"
    assert names == ("value",)
    assert regex.search(pattern, "error[E0425]: cannot find value `node_config` in this scope")["value"] == "node_config"
    pattern, names = pattern_for(
        "<*> E501 line too long <*> > 79 characters)",
        ["./api/views.py:122:80: E501 line too long (97 > 79 characters)",
         "./worker/tasks.py:707:80: E501 line too long (111 > 79 characters)"],
    )  # fmt: skip
    assert names == ("path", "number")
    hit = regex.search(pattern, "./app/rest.py:5:80: E501 line too long (85 > 79 characters)")
    assert (hit["path"], hit["number"]) == ("app/rest.py:5", "85")


def test_a_single_line_keeps_the_unmasked_ends_of_a_volatile_token() -> None:
    line = "alembic.util.exc.CommandError: Can't locate revision identified by '01a1fa5b87f5'"
    pattern, names = pattern_for("alembic.util.exc.CommandError: Can't locate revision identified by <*>", [line])
    assert pattern.endswith(r"by\s+'(?P<id>[0-9a-f]+)'") and names == ("id",)
    assert regex.search(pattern, line.replace("01a1fa5b87f5", "2fe8ef6a6514"))["id"] == "2fe8ef6a6514"


def test_a_redacted_token_is_never_a_literal() -> None:
    pattern, names = pattern_for("login failed for <*>", ["login failed for [REDACTED:password]"])
    assert names == ("value",) and "REDACTED" not in pattern


def test_a_template_of_wildcards_only_or_that_fits_no_line_is_refused() -> None:
    with pytest.raises(ConfigError, match="has no constant word"):
        pattern_for("<*> <*>", ["12 34"])
    with pytest.raises(ConfigError, match="no line fits the template"):
        pattern_for("a b c", ["a b"])


def test_severity_is_critical_only_before_the_commands_ran() -> None:
    assert severity_for(["PROVISIONING"]) == "critical"
    assert severity_for(["DOWNLOAD_SOURCE", "BUILD"]) == "error"
    assert severity_for([]) == "error"


@pytest.mark.parametrize(
    ("data", "rank", "message"),
    [
        ({"kind": "diagnosis"}, 1, "scan.json: not a scan report"),
        ({"kind": "scan"}, 1, "scan.json: no 'clusters' (a scan report of schema 1.1 or later is needed)"),
        ({"kind": "scan", "clusters": []}, 1, "scan.json: the scan has no recurring unknown failure"),
        ({"kind": "scan", "clusters": [{"rank": 1}]}, 3, "--cluster 3: scan.json has clusters 1 to 1"),
        ({"kind": "scan", "clusters": [{"rank": 1}]}, 1, "scan.json: cluster 1 is not in the scan schema's shape"),
        (
            {"kind": "scan", "clusters": [{"rank": 1, "template": "CLIENT_ERROR: image not found", "phases": [],
                                           "projects": ["a"], "members": [], "sample": {"lines": []}}]},
            1, "--cluster 1: its builds have no log lines",
        ),  # fmt: skip
    ],
)
def test_a_bad_scan_report_is_a_clear_error(data: dict[str, object], rank: int, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        source_from_scan(data, rank, path="scan.json")
    assert str(error.value).startswith(message)


def _draft(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["rules", "draft", *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_from_log_drafts_a_rule_that_rules_test_passes(tmp_path: Path) -> None:
    kind = next(k for k in KINDS if k.name == "kubectl")
    log = tmp_path / "build.log"
    lines = log_lines(kind, random.Random(3), 2)
    log.write_text("".join(lines), encoding="utf-8")
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("error: unable to recognize"))
    rules = tmp_path / "team" / "rules"
    code, out, err = _draft("--from-log", str(log), "--line", str(number), "--id", "kubectl-old-api", "--output-dir", str(rules))
    assert code == 0, err
    rule = (rules / "kubectl-old-api.yaml").read_text(encoding="utf-8")
    assert "  phases: [BUILD]" in rule
    # One line: every token with a number, hash or path in it is a capture (its quotes kept).
    assert (
        r"""- '^\s*error:\s+unable\s+to\s+recognize\s+"(?P<path>\S+?)":\s+no\s+matches\s+for\s+kind\s+"StatefulSet"\s+in"""
        r"""\s+version\s+"(?P<path_2>\S+?)"'"""
    ) in rule
    cases = sorted(p.name for p in (tmp_path / "team" / "fixtures" / "kubectl-old-api").iterdir())
    assert cases == ["expected.json", "negative-before-error.log", "positive-sample.log"]
    expected = json.loads((tmp_path / "team" / "fixtures" / "kubectl-old-api" / "expected.json").read_text(encoding="utf-8"))
    assert [f["rule_id"] for f in expected["positive-sample"]][:1] == ["kubectl-old-api"]
    assert all(f["rule_id"] != "kubectl-old-api" for f in expected["negative-before-error"])
    test_out, test_err = io.StringIO(), io.StringIO()
    assert main(["rules", "test", "--rules-dir", str(rules)], stdout=test_out, stderr=test_err) == 0
    assert test_err.getvalue() == "2 passed, 0 failed\n"
    # A second draft does not overwrite the first unless asked to.
    code, _out, err = _draft("--from-log", str(log), "--line", str(number), "--id", "kubectl-old-api", "--output-dir", str(rules))
    assert code == 2 and err == f"codebuild-doctor: error: {rules / 'kubectl-old-api.yaml'} exists (--force replaces the draft's files)\n"
    assert _draft("--from-log", str(log), "--line", str(number), "--id", "kubectl-old-api", "--output-dir", str(rules), "--force")[0] == 0


def test_from_log_errors_name_the_input(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_text("one\n\nthree\n", encoding="utf-8")
    assert _draft("--from-log", str(log), "--line", "9", "--id", "x-y")[2] == f"codebuild-doctor: error: --line 9: {log} has 3 lines\n"
    assert _draft("--from-log", str(log), "--line", "2", "--id", "x-y")[2] == f"codebuild-doctor: error: --line 2: line 2 of {log} is blank\n"
    assert _draft("--from-log", str(tmp_path / "nope.log"), "--line", "1", "--id", "x-y")[2].endswith("no such file: " + str(tmp_path / "nope.log") + "\n")
    assert _draft("--from-log", str(log), "--line", "1", "--id", "Bad_Id")[2] == (
        "codebuild-doctor: error: --id 'Bad_Id': a rule id is kebab-case (lower-case letters, digits and '-')\n"
    )
    assert _draft("--from-log", str(log), "--cluster", "1", "--id", "x-y")[0] == 2
