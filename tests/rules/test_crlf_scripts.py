"""script-crlf-line-endings: bash 5.2's "cannot execute: required file not found" names no cause.

The message only says that the interpreter on the script's ``#!`` line does not exist: a CRLF
``/bin/bash\\r`` or an interpreter the image lacks. Alone, the finding names both causes and how
to tell them apart; beside a line that shows a carriage return, it is the CRLF finding.
"""

from __future__ import annotations

from analyzer.engine import diagnose
from tests.helpers import REPO

FOLDER = REPO / "fixtures" / "logs" / "script-crlf-line-endings"


def _root(pack, stem: str):  # type: ignore[no-untyped-def]
    root = diagnose(pack.rules, [(FOLDER / f"{stem}.log").read_bytes()]).root_cause
    assert root is not None and root.rule_id == "script-crlf-line-endings"
    return root


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_required_file_not_found_alone_names_both_causes_and_how_to_tell_them_apart(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "positive-bash52-required-file-not-found")
    assert root.captures == {"program": "./scripts/build.sh", "command": "./scripts/build.sh"}
    summary = _flat(root.summary)
    assert summary.startswith("`./scripts/build.sh` could not start: the interpreter named on its first line (`#!`) does not exist")
    assert "has Windows (CRLF) line endings:" not in summary
    assert "or the interpreter is not installed in the image (bash on an Alpine image)" in summary
    assert "head -1 ./scripts/build.sh | od -c" in root.remediation
    assert "file ./scripts/build.sh" in root.remediation
    assert "apk add --no-cache bash" in root.remediation
    assert "- sed -i 's/\\r$//' ./scripts/build.sh" in root.remediation


def test_a_carriage_return_elsewhere_in_the_log_makes_it_the_crlf_finding(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "positive-bash52-after-dollar-cr")
    assert [e.line_number for e in root.evidence] == [3, 5]
    summary = _flat(root.summary)
    assert summary.startswith("`./ci/env.sh` has Windows (CRLF) line endings: line 3 ends in a stray carriage return")
    assert "od -c" not in root.remediation and "apk add" not in root.remediation


def test_a_set_line_with_a_carriage_return_names_the_option(pack) -> None:  # type: ignore[no-untyped-def]
    root = _root(pack, "positive-bash-set-pipefail-cr")
    assert root.captures["option"] == "pipefail" and root.captures["line"] == "2"
    assert "took as part of the option `pipefail`" in _flat(root.summary)


def test_dash_without_pipefail_is_not_a_carriage_return(pack) -> None:  # type: ignore[no-untyped-def]
    diagnosis = diagnose(pack.rules, [(FOLDER / "negative-dash-without-pipefail.log").read_bytes()])
    assert "script-crlf-line-endings" not in [f.rule_id for f in diagnosis.findings]
