"""Rule test cases as data: find the fixture cases of a rule pack and run them.

A rule's cases live in ``fixtures/logs/<rule-id>/``. A case is one *stem*
(``positive-<what>`` or ``negative-<what>``) with a log (``<stem>.log``), a
build record as ``BatchGetBuilds`` returns it (``<stem>.json``), or both (the
log plus the record of the same build). ``expected.json`` beside them maps each
stem to the findings the *whole* pack gives on it, root cause first::

    {"positive-x": [{"rule_id": "r", "lines": [12, null], "captures": {"k": "v"}}]}

A positive case must rank its rule first, unless its stem ends with
``-secondary`` (the rule fires, but another cause rightly ranks above it).
``lines`` lists the evidence line numbers in the log (``null`` for evidence from
the record's phase contexts). This module only reads files; writing
``expected.json`` is left to ``scripts/update_expected.py``. It backs the test
suite and, later, the ``codebuild-doctor rules test`` command.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.engine import diagnose
from analyzer.models import Build, Diagnosis, Role, Rule

EXPECTED_FILE = "expected.json"
"""Name of the file in each rule's fixture folder that holds the expected results."""

CASE_KINDS = ("positive", "negative")
"""A case's stem starts with its kind: the rule must fire (positive) or must not (negative)."""


@dataclass(frozen=True)
class Case:
    """One fixture case: a log, a build record, or both, for one rule."""

    rule_id: str
    """The rule the case was written for (the fixture folder's name)."""
    name: str
    """The stem, e.g. ``positive-ecr-denied``; a key of ``expected.json``."""
    kind: str
    """``positive`` (the rule must fire) or ``negative`` (it must not)."""
    directory: Path
    log_path: Path | None = None
    """``<stem>.log``, if the case has a log."""
    record_path: Path | None = None
    """``<stem>.json``, if the case has a ``BatchGetBuilds`` build record."""

    @property
    def case_id(self) -> str:
        """``<rule-id>/<stem>``: a readable id for test reports."""
        return f"{self.rule_id}/{self.name}"


def iter_cases(fixtures_dir: Path) -> Iterator[Case]:
    """Yield every case under ``fixtures_dir`` (``<rule-id>/<kind>-<what>.{log,json}``), sorted.

    Files that are neither logs nor records of a known kind (``expected.json``,
    notes) are ignored.
    """
    for directory in sorted(p for p in Path(fixtures_dir).iterdir() if p.is_dir()):
        stems: dict[str, dict[str, Path]] = {}
        for path in sorted(directory.iterdir()):
            if path.name == EXPECTED_FILE or path.suffix not in (".log", ".json"):
                continue
            if path.stem.split("-", 1)[0] not in CASE_KINDS:
                continue
            stems.setdefault(path.stem, {})[path.suffix] = path
        for stem, files in sorted(stems.items()):
            yield Case(
                rule_id=directory.name,
                name=stem,
                kind=stem.split("-", 1)[0],
                directory=directory,
                log_path=files.get(".log"),
                record_path=files.get(".json"),
            )


def load_record(path: Path) -> Build:
    """Read a build record: one ``builds[]`` element, or a whole ``BatchGetBuilds`` response."""
    from analyzer.pipeline import load_build_record

    return load_build_record(path)


def diagnose_case(rules: Sequence[Rule], case: Case) -> Diagnosis:
    """Run the engine on a case's log (read as bytes, unchanged) and record."""
    log = [case.log_path.read_bytes()] if case.log_path is not None else None
    build = load_record(case.record_path) if case.record_path is not None else None
    return diagnose(rules, log, build=build, log_source=str(case.log_path or case.record_path))


def summarise(diagnosis: Diagnosis) -> list[dict[str, Any]]:
    """The findings of a diagnosis in ``expected.json`` form, in rank order.

    ``role`` is written only when it is not ``cause`` (a wrapper, a consequence, noise).
    """
    return [
        {
            "rule_id": finding.rule_id,
            "lines": [evidence.line_number for evidence in finding.evidence],
            "captures": dict(sorted(finding.captures.items())),
            **({"role": finding.role.value} if finding.role is not Role.CAUSE else {}),
        }
        for finding in diagnosis.findings
    ]


def run_case(rules: Sequence[Rule], case: Case) -> list[dict[str, Any]]:
    """The findings ``rules`` give on ``case``, as they are written in ``expected.json``."""
    return summarise(diagnose_case(rules, case))


def load_expected(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """The expected results of one rule's fixture folder (empty if it has none yet)."""
    path = Path(directory) / EXPECTED_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def dump_expected(results: dict[str, list[dict[str, Any]]]) -> str:
    """Serialise expected results stably (sorted stems, one finding per line block)."""
    return json.dumps(dict(sorted(results.items())), indent=2, ensure_ascii=False) + "\n"


PROVENANCE_FILE = "README.md"
"""The file in a rule's fixture folder that names, per case, the public report its wording comes from."""

_CASE_NAME = re.compile(r"\b(?:positive|negative)-[\w.-]*\w")
_URL = re.compile(r"https?://[^\s)>`\]\"']+")


def case_sources(directory: Path) -> dict[str, tuple[str, ...]]:
    """Each case stem the folder's ``README.md`` names, with the ``http(s)`` URLs of its bullet.

    The README is a list (``- `positive-x.log`: ... https://github.com/o/r/issues/1``); a
    bullet may name several cases and run over several lines. A case the README does not
    name, or names in a bullet without a URL, has no source. No README: ``{}``.
    """
    path = Path(directory) / PROVENANCE_FILE
    if not path.is_file():
        return {}
    sources: dict[str, list[str]] = {}
    for bullet in re.split(r"(?m)^- ", path.read_text(encoding="utf-8"))[1:]:
        urls = [url.rstrip(".,;:") for url in _URL.findall(bullet)]
        for name in _CASE_NAME.findall(bullet):
            stem = re.sub(r"\.(?:log|json)$", "", name)
            sources.setdefault(stem, [])
            sources[stem] += [url for url in urls if url not in sources[stem]]
    return {stem: tuple(urls) for stem, urls in sources.items()}
