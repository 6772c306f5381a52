"""Verdicts on fixture cases, for ``rules test`` and the test suite: pass/fail, diffs, cross-checks.

Pure functions over the results of :func:`analyzer.rules.fixtures.run_case` (findings in
``expected.json`` form); only :func:`load_overlaps` reads a file.

* :func:`check_case`: a case passes when its rule fires (positive; first unless the stem ends
  with ``-secondary``) or does not (negative), and the findings equal its ``expected.json`` entry.
* :func:`missing_cases`: a rule without a positive and a negative case fails.
* :func:`cross_check`: the whole pack on every rule's fixtures. A rule that fires on *another*
  rule's case is confusion unless ``overlaps.yaml`` (beside the fixture folders) declares it::

      fallbacks: [command-execution-error]      # may fire beside any rule
      pairs:
        out-of-memory: [exit-status-137-killed]  # may fire on out-of-memory's cases
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.errors import ConfigError
from analyzer.rules.fixtures import Case

SECONDARY = "-secondary"
"""A positive case whose stem ends with this must fire its rule, but another may rank first."""

OVERLAPS_FILE = "overlaps.yaml"
"""Name of the overlap declarations, at the top of a fixtures directory."""


@dataclass(frozen=True)
class CaseResult:
    """The verdict on one case."""

    case_id: str
    """``<rule-id>/<stem>``, or ``<rule-id>`` for a rule's missing cases."""
    passed: bool
    details: tuple[str, ...] = ()
    """Why it failed (or a note on a pass), one line each, without indentation."""


def format_finding(finding: Mapping[str, Any]) -> str:
    """``rule-id lines=[3, null] captures={"k": "v"}``: one finding on one line."""
    lines = json.dumps(finding.get("lines", []))
    captures = json.dumps(finding.get("captures", {}), sort_keys=True, ensure_ascii=False)
    return f"{finding['rule_id']} lines={lines} captures={captures}"


def diff_findings(expected: Sequence[Mapping[str, Any]], actual: Sequence[Mapping[str, Any]]) -> list[str]:
    """Expected vs actual findings, one per line: ``- `` expected only, ``+ `` actual only, ``  `` both."""
    a = [format_finding(f) for f in expected] or ["(no finding)"]
    b = [format_finding(f) for f in actual] or ["(no finding)"]
    return [line for line in difflib.ndiff(a, b) if not line.startswith("? ")]


_ROLES = ("cause", "wrapper", "consequence", "noise")


def _outranked_by_role(actual: Sequence[Mapping[str, Any]], rule_id: str) -> bool:
    """Whether ``rule_id``'s finding is second only because a finding of a more causal role leads:
    a wrapper, consequence or noise ranks after the cause it reports or follows."""
    own = next(f for f in actual if f["rule_id"] == rule_id)
    return _ROLES.index(actual[0].get("role", "cause")) < _ROLES.index(own.get("role", "cause"))


def check_case(case: Case, actual: Sequence[Mapping[str, Any]], expected: Mapping[str, Any]) -> CaseResult:
    """Judge ``case`` from the pack's findings on it and its folder's ``expected.json`` data."""
    fired = [f["rule_id"] for f in actual]
    details: list[str] = []
    if case.kind == "positive":
        if case.rule_id not in fired:
            details.append(f"positive case: {case.rule_id} did not fire")
        elif fired[0] != case.rule_id and not case.name.endswith(SECONDARY) and not _outranked_by_role(actual, case.rule_id):
            details.append(
                f"positive case: {case.rule_id} fired but {fired[0]} ranks first "
                f"(end the name with '{SECONDARY}' if that is right)"
            )
    elif case.rule_id in fired:
        lines = next(f["lines"] for f in actual if f["rule_id"] == case.rule_id)
        details.append(f"negative case: {case.rule_id} fired (lines {json.dumps(lines)})")
    if case.name not in expected:
        if details:
            return CaseResult(case.case_id, False, tuple(details))
        return CaseResult(case.case_id, True, ("no expected.json entry: only the case's kind was checked",))
    if list(actual) != list(expected[case.name]):
        details.append("findings differ from expected.json (- expected, + actual):")
        details.extend(diff_findings(expected[case.name], actual))
    return CaseResult(case.case_id, not details, tuple(details))


def missing_cases(rule_ids: Iterable[str], cases: Iterable[Case], where: str) -> list[CaseResult]:
    """A failed result for each rule without a positive and a negative case under ``where``."""
    kinds = {(c.rule_id, c.kind) for c in cases}
    results = []
    for rule_id in sorted(rule_ids):
        missing = [k for k in ("positive", "negative") if (rule_id, k) not in kinds]
        if missing:
            what = " and ".join(f"no {k} case" for k in missing)
            results.append(CaseResult(rule_id, False, (f"missing fixtures: {what} in {where}/{rule_id}/",)))
    return results


@dataclass(frozen=True)
class Overlaps:
    """Declared overlaps: which rules may fire on another rule's fixture cases."""

    fallbacks: frozenset[str] = frozenset()
    """Rules that may fire beside any other (a generic symptom, e.g. the failed-command line)."""
    pairs: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Fixture owner -> rules that may fire on its cases."""

    def allows(self, owner: str, rule_id: str) -> bool:
        """Whether ``rule_id`` may fire on a case of ``owner``."""
        return rule_id == owner or rule_id in self.fallbacks or rule_id in self.pairs.get(owner, ())

    def merge(self, other: Overlaps) -> Overlaps:
        """Both sets of declarations (the overlaps of several fixtures directories)."""
        owners = set(self.pairs) | set(other.pairs)
        pairs = {k: self.pairs.get(k, frozenset()) | other.pairs.get(k, frozenset()) for k in sorted(owners)}
        return Overlaps(self.fallbacks | other.fallbacks, pairs)

    def rule_ids(self) -> set[str]:
        """Every id the declarations name."""
        ids = set(self.fallbacks) | set(self.pairs)
        for allowed in self.pairs.values():
            ids |= allowed
        return ids


def parse_overlaps(data: Any, source: str) -> Overlaps:
    """Build :class:`Overlaps` from the YAML data; raises :class:`ConfigError` naming ``source``."""
    if data is None:
        return Overlaps()
    if not isinstance(data, dict) or set(data) - {"fallbacks", "pairs"}:
        raise ConfigError(f"{source}: expected a mapping with 'fallbacks' (a list) and 'pairs' (a mapping)")
    fallbacks = data.get("fallbacks") or []
    pairs = data.get("pairs") or {}
    if not isinstance(fallbacks, list) or not all(isinstance(x, str) for x in fallbacks):
        raise ConfigError(f"{source}: 'fallbacks' must be a list of rule ids")
    if not isinstance(pairs, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in pairs.values()
    ):
        raise ConfigError(f"{source}: 'pairs' must map a rule id to a list of rule ids")
    return Overlaps(frozenset(fallbacks), {k: frozenset(v) for k, v in pairs.items()})


def load_overlaps(fixtures_dir: Path) -> Overlaps:
    """``<fixtures_dir>/overlaps.yaml``, or no declarations when there is none."""
    import yaml

    from analyzer.rules.loader import load_yaml

    path = Path(fixtures_dir) / OVERLAPS_FILE
    if not path.is_file():
        return Overlaps()
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML syntax error: {exc}") from None
    return parse_overlaps(data, str(path))


@dataclass(frozen=True)
class Confusion:
    """What the whole pack fired on every rule's fixture cases, beyond the case's own rule."""

    counts: Mapping[tuple[str, str], int]
    """(rule that fired, fixture owner) -> number of the owner's cases it fired on; owner != rule."""
    undeclared: tuple[tuple[str, str], ...]
    """(case id, rule) for each firing ``overlaps.yaml`` does not allow."""
    unused: tuple[str, ...]
    """Declarations that allowed nothing (stale), e.g. ``pairs: a -> b``."""
    unknown: tuple[str, ...]
    """Ids in ``overlaps.yaml`` that name no loaded rule."""

    @property
    def ok(self) -> bool:
        """No undeclared overlap, no stale or unknown declaration."""
        return not (self.undeclared or self.unused or self.unknown)


def cross_check(
    results: Iterable[tuple[Case, Sequence[str]]], overlaps: Overlaps, rule_ids: Iterable[str]
) -> Confusion:
    """Judge each ``(case, ids of the rules that fired on it)`` against the declared overlaps.

    The engine's own findings (the failure locator's ``unrecognised-failure``, a stopped build)
    are not rules of the pack and are left out.
    """
    rule_ids = list(rule_ids)
    known = set(rule_ids)
    counts: Counter[tuple[str, str]] = Counter()
    undeclared = []
    for case, fired in results:
        for rule_id in dict.fromkeys(fired):
            if rule_id == case.rule_id or rule_id not in known:
                continue
            counts[(rule_id, case.rule_id)] += 1
            if not overlaps.allows(case.rule_id, rule_id):
                undeclared.append((case.case_id, rule_id))
    fired_anywhere = {rule for rule, _owner in counts}
    unused = [f"fallbacks: {r}" for r in sorted(overlaps.fallbacks) if r not in fired_anywhere]
    unused += [
        f"pairs: {owner} -> {rule}"
        for owner, allowed in sorted(overlaps.pairs.items())
        for rule in sorted(allowed)
        if counts[(rule, owner)] == 0
    ]
    unknown = sorted(overlaps.rule_ids() - set(rule_ids))
    return Confusion(dict(sorted(counts.items())), tuple(undeclared), tuple(unused), tuple(unknown))


def format_confusion(confusion: Confusion) -> list[str]:
    """The non-zero cells of the rule x fixture-owner matrix, then every problem, one per line."""
    lines = ["confusion: rule fired on another rule's fixture cases (non-zero cells)"]
    if not confusion.counts:
        lines.append("  (none)")
    width = max((len(rule) for rule, _ in confusion.counts), default=0)
    for (rule, owner), count in confusion.counts.items():
        lines.append(f"  {rule:<{width}}  on {owner}: {count} case{'s' if count != 1 else ''}")
    lines += [f"undeclared overlap: {rule} fires on {case_id}" for case_id, rule in confusion.undeclared]
    lines += [f"stale declaration in {OVERLAPS_FILE}: {item} never fires" for item in confusion.unused]
    lines += [f"unknown rule id in {OVERLAPS_FILE}: {rule_id}" for rule_id in confusion.unknown]
    return lines
