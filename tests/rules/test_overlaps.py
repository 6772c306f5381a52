"""Cross-check: the whole pack on every rule's fixtures; a rule firing on another's cases must be declared."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import ConfigError
from analyzer.rules.casecheck import Overlaps, cross_check, format_confusion, load_overlaps, parse_overlaps
from analyzer.rules.fixtures import Case, run_case
from tests.rules.conftest import CASES, FIXTURES


def test_no_rule_fires_on_another_rules_fixtures_unless_declared(pack):
    results = [(case, [f["rule_id"] for f in run_case(pack.rules, case)]) for case in CASES]
    confusion = cross_check(results, load_overlaps(FIXTURES), [r.id for r in pack.rules])
    # Shown with `pytest -rA` (or -s): the non-zero cells of the rule x fixture-owner matrix.
    print("\n".join(format_confusion(confusion)))
    problems = [line for line in format_confusion(confusion) if not line.startswith(("confusion:", "  "))]
    assert problems == [], "declare right overlaps in fixtures/logs/overlaps.yaml, with a reason"


def case(owner: str, name: str = "positive-x") -> Case:
    return Case(rule_id=owner, name=name, kind=name.split("-")[0], directory=Path(owner))


def test_cross_check_counts_and_judges():
    overlaps = Overlaps(frozenset({"fallback"}), {"a": frozenset({"b"}), "c": frozenset({"a"})})
    results = [
        (case("a"), ["a", "b", "fallback"]),
        (case("a", "negative-y"), ["b"]),
        (case("b"), ["b", "a", "fallback"]),
    ]
    confusion = cross_check(results, overlaps, ["a", "b", "c", "fallback"])
    assert confusion.counts == {("a", "b"): 1, ("b", "a"): 2, ("fallback", "a"): 1, ("fallback", "b"): 1}
    assert confusion.undeclared == (("b/positive-x", "a"),)
    assert confusion.unused == ("pairs: c -> a",)
    assert confusion.unknown == ()
    assert not confusion.ok
    assert format_confusion(confusion) == [
        "confusion: rule fired on another rule's fixture cases (non-zero cells)",
        "  a         on b: 1 case",
        "  b         on a: 2 cases",
        "  fallback  on a: 1 case",
        "  fallback  on b: 1 case",
        "undeclared overlap: a fires on b/positive-x",
        "stale declaration in overlaps.yaml: pairs: c -> a never fires",
    ]


def test_unknown_ids_in_declarations():
    confusion = cross_check([], Overlaps(frozenset({"gone"})), ["a"])
    assert confusion.unknown == ("gone",)
    assert format_confusion(confusion)[-2:] == [
        "stale declaration in overlaps.yaml: fallbacks: gone never fires",
        "unknown rule id in overlaps.yaml: gone",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1], "o.yaml: expected a mapping with 'fallbacks' (a list) and 'pairs' (a mapping)"),
        ({"fallback": []}, "o.yaml: expected a mapping with 'fallbacks' (a list) and 'pairs' (a mapping)"),
        ({"fallbacks": "x"}, "o.yaml: 'fallbacks' must be a list of rule ids"),
        ({"pairs": {"a": "b"}}, "o.yaml: 'pairs' must map a rule id to a list of rule ids"),
    ],
)
def test_malformed_declarations(data, message):
    with pytest.raises(ConfigError) as info:
        parse_overlaps(data, "o.yaml")
    assert str(info.value) == message


def test_shipped_declarations():
    overlaps = load_overlaps(FIXTURES)
    assert overlaps.fallbacks == {"command-execution-error"}
    assert overlaps.allows("out-of-memory", "exit-status-137-killed")
    assert not overlaps.allows("exit-status-137-killed", "out-of-memory")
