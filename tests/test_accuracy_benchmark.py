"""benchmarks/accuracy.py's figures: per language and per half of the repositories."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "accuracy.py"
_SPEC = importlib.util.spec_from_file_location("accuracy_benchmark", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
accuracy = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = accuracy  # its dataclass looks its module up
_SPEC.loader.exec_module(accuracy)


def _label(repo: str, log: str) -> object:
    return accuracy.Label(log=log, language="C", repo=repo, ranges=((10, 12),))


def _report(*lines: int) -> dict:
    return {"findings": [{"rule_id": "unrecognised-failure", "tags": ["locator"], "evidence": [{"line_number": n} for n in lines]}]}


def test_repositories_are_split_in_two_halves_by_name_with_their_figures() -> None:
    results = [
        (_label("b/two", "1.log"), _report(11)),  # located, precision 1
        (_label("A/one", "2.log"), _report(11, 30)),  # located, precision 0.5
        (_label("c/three", "3.log"), _report(40)),  # not located, precision 0
        (_label("D/four", "4.log"), _report()),  # nothing shown
    ]
    halves = accuracy.summarise(results)["halves"]
    assert [(h["first"], h["last"], h["repos"], h["logs"], h["located"]) for h in halves] == [
        ("A/one", "b/two", 2, 2, 2),
        ("c/three", "D/four", 2, 2, 0),
    ]
    assert halves[0]["precision"] == 0.75
    assert halves[1]["precision"] == 0.0
    assert "Repositories A/one .. b/two (2): 2 of 2 located (100.0%), precision 0.75" in accuracy.render(
        accuracy.summarise(results), 1.0, None
    )


def test_every_locator_pattern_splits_into_alternatives_that_join_back() -> None:
    patterns = accuracy.locator_alternatives()
    assert {"TEST_HEADER", "DIAGNOSTIC", "WRAPPER", "SUMMARY", "BOILERPLATE"} <= set(patterns)
    for name, (pattern, head, alternatives, tail) in patterns.items():
        assert head + "|".join(alternatives) + tail == pattern.pattern, name
    # A '|' inside a class, an escape or a verbose comment splits nothing.
    assert accuracy.split_alternatives("^(?:a[|]b  # x|y\n | c\\|d)$", True) == ("^(?:", ["a[|]b  # x|y\n ", " c\\|d"], ")$")
    assert accuracy.split_alternatives("(?i)^a|b", False) == ("(?i)", ["^a", "b"], "")
    assert accuracy.split_alternatives("^x$", False) == ("", ["^x$"], "")


def test_a_pattern_alternative_is_taken_out_while_held_out_and_put_back_after() -> None:
    from analyzer.engine import locator

    patterns = accuracy.locator_alternatives()
    tex = next(i for i, a in enumerate(patterns["DIAGNOSTIC"][2]) if "TeX" in a)
    assert locator.classify("! Undefined control sequence.") == "diagnostic"
    with accuracy._without(frozenset({("DIAGNOSTIC", tex)})):
        assert locator.classify("! Undefined control sequence.") == "error-words"
        assert locator.classify("main.c:3:1: error: expected ';'") == "diagnostic"
    assert locator.classify("! Undefined control sequence.") == "diagnostic"
    assert accuracy._fired({"! Undefined control sequence."}) >= {("DIAGNOSTIC", tex)}


def test_only_alternatives_one_repository_fires_are_held_out() -> None:
    fired = {"1.log": {("X", 0), ("X", 1)}, "2.log": {("X", 0)}, "3.log": {("X", 0), ("Y", 0)}}
    repo_of = {"1.log": "a/one", "2.log": "a/one", "3.log": "b/two"}
    assert accuracy.one_repository_alternatives(fired, repo_of) == {("X", 1): "a/one", ("Y", 0): "b/two"}
