"""Edge cases where the fast engine once differed from the reference engine, from an adversarial review.

Every test compares the fast engine with the reference engine (the definition of the right
answer) on a small custom rule and log. Each names its defect (D1..D6) and the change that
caused or exposed it: D1 a last line that cleans to nothing, D2/D4 scoped ``(?i:...)``
groups and the characters ``regex`` folds to ASCII, D3 an ``all:`` rule whose other
patterns the prefilter missed, D5 syntax only ``regex`` knows (fuzzy matching, POSIX
classes), D6 a lone surrogate in a pattern.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.engine import EngineOptions, MatchOptions, diagnose, prefilter
from analyzer.rules import load_rules
from tests.helpers import make_rule, rule_findings

ROOT = Path(__file__).resolve().parents[2]

FAST = ["python"]
if prefilter.hyperscan_module() is not None:
    FAST.insert(0, "hyperscan")


def run(rules, data: bytes, engine: str, context: int = 3):  # type: ignore[no-untyped-def]
    return diagnose(rules, [data], options=EngineOptions(MatchOptions(context_lines=context), engine=engine))


def assert_same(rules, data: bytes, engine: str, context: int = 3) -> None:  # type: ignore[no-untyped-def]
    assert run(rules, data, engine, context) == run(rules, data, "reference", context)


# -- D1: a last line with no "\n" that cleans to nothing ("\x1b[0m") shifts the lines the fast
#        engine reads near the end of the log. ``feed_prefiltered``'s "last lines' starts" loop
#        (and ``_Block.mark_last_lines``, a copy of it, change 3) take the end of ``cleaned`` for
#        the end of the last line: ``cleaned.endswith(b"\n")`` is true when the unterminated raw
#        last line cleaned to empty, while ``block.last`` counts it (from ``raw``). Every mark
#        is then one line early; change 3's look-back marks, derived from them, spread it.

RESET_AT_END = b"\x1b[0m"  # a colour reset with no newline after it: common at the end of a log


@pytest.mark.parametrize("engine", FAST)
def test_D1_exclusion_window_reads_the_wrong_lines_and_a_vetoed_hit_is_reported(engine: str) -> None:
    rule = make_rule(
        r"""
        id: vetoed
        match:
          any:
            - 'npm ERR! code (?P<code>E\w+)'
          exclude:
            - pattern: 'retrying'
              window: 2
        """
    )
    data = b"a\nnpm ERR! code E1\nb\nretrying\n" + RESET_AT_END
    assert rule_findings(run([rule], data, "reference", 0)) == ()
    assert_same([rule], data, engine, 0)  # fast: 'vetoed' fires (it reads line 4 as "b")


def test_D1_a_pattern_scanned_on_every_line_is_reported_on_the_wrong_line() -> None:
    rule = make_rule(
        r"""
        id: short
        match:
          any:
            - '(?P<n>\d\d?)x'
        """
    )
    data = b"a\nb\n12x\nc\n" + RESET_AT_END
    # python back-end: no 3+ literal, so the pattern runs on every line, read from wrong offsets:
    # evidence on line 4 instead of 3.
    assert_same([rule], data, "python", 2)


@pytest.mark.parametrize("engine", FAST)
def test_D1_context_before_a_hit_is_shifted(engine: str) -> None:
    """Regression of change 3: the look-back marks, found backwards from a wrong mark, make
    the *before* context wrong too (at HEAD~9 only the after context was wrong)."""
    rule = make_rule(
        r"""
        id: boom
        match:
          any:
            - 'npm ERR! code (?P<code>E\w+)'
        """
    )
    data = b"one\ntwo\nnpm ERR! code E404\nthree\nfour\n" + RESET_AT_END
    assert_same([rule], data, engine, 2)  # before: ['one', 'one'], after: ['npm ERR! code E404', 'three']


@pytest.mark.skipif(prefilter.hyperscan_module() is None, reason="hyperscan")
def test_D1_error_tail_names_the_wrong_line_numbers() -> None:
    """Change 3 (``mark_last_lines``) shifts the error tail by a line: 'fatal' is reported on
    1152, not 1151; line 1201 (the reset) is shown as a copy of 1200 (that part is older)."""
    pack = load_rules().rules
    lines = [f"step {i}" for i in range(1, 1200)]
    lines[1150] = "fatal: something failed here"
    lines.append("make: *** [all] Error 2")
    lines.append(
        "[Container] 2025/03/08 23:03:16.050806 Phase context status code: COMMAND_EXECUTION_ERROR "
        "Message: Error while executing command: make. Reason: exit status 2"
    )
    data = ("\n".join(lines) + "\n").encode() + RESET_AT_END
    reference = run(pack, data, "reference")
    # The agent's phase context (line 1201) only reports the failure: it is not in the tail.
    assert [c.line_number for c in reference.tail] == [1151, 1200]
    assert run(pack, data, "hyperscan").tail == reference.tail


@pytest.mark.parametrize(
    "fixture",
    ["01-docker-hub-rate-limit", "02-ssm-parameter-denied", "04-unit-tests-failed"],
)
@pytest.mark.parametrize("engine", FAST)
def test_D1_shipped_fixture_logs_ending_in_a_colour_reset(fixture: str, engine: str) -> None:
    """170 of the fixture logs differ from the reference once ``\\x1b[0m`` ends them."""
    data = (ROOT / "fixtures" / "builds" / fixture / "log.txt").read_bytes().rstrip(b"\n") + b"\n" + RESET_AT_END
    assert_same(load_rules().rules, data, engine)


# -- D2: change 1 (``_trim_head``) may now start a hyperscan expression at a scoped
#        ``(?i:...)`` group. Inside one, the translator gives k/s/i no non-ASCII fold
#        alternative (it checks the pattern's global ``ignore_case``, not the scope), while
#        ``regex`` folds K (U+212A) to k, ſ (U+017F) to s, İ (U+0130) to i. At HEAD~9 the
#        expression started at the first top-level ASCII literal, after the group.


@pytest.mark.skipif(prefilter.hyperscan_module() is None, reason="hyperscan")
@pytest.mark.parametrize(
    ("pattern", "line"),
    [
        (r"(?i:kub)ectl (?P<verb>\w+)", "\u212aubectl apply"),
        (r"(?i:sta)rt failed", "\u017ftart failed"),
        (r"(?i:kubectl) \d", "\u212aUBECTL 1"),
    ],
)
def test_D2_scoped_ignore_case_group_at_the_start_misses_unicode_folds(pattern: str, line: str) -> None:
    rule = make_rule(f"id: scoped\nmatch:\n  any:\n    - '{pattern}'\n")
    data = (line + "\n").encode()
    assert run([rule], data, "reference").findings
    assert_same([rule], data, "hyperscan")


# -- D3: change 4 (``only`` names patterns): a prefilter miss of one pattern used to be masked
#        whenever another pattern of the same rule flagged the line (all its patterns ran);
#        now the missed pattern is not run, so ``match.all`` rules stop firing and captures
#        of later patterns vanish. Both cases pass at HEAD~9.


@pytest.mark.parametrize("engine", FAST)
def test_D3_match_all_rule_loses_a_pattern_the_prefilter_misses_on_a_flagged_line(engine: str) -> None:
    rule = make_rule(
        r"""
        id: both-on-one-line
        match:
          all:
            - 'step (?P<n>\d+) failed'
            - '(?:timeout){e<=1} (?P<t>\w+)'
        """
    )
    data = b"step 3 failed timeout x\n"
    assert run([rule], data, "reference").findings
    assert_same([rule], data, engine)


def test_D3_match_all_rule_with_a_scoped_ignore_case_pattern_python_backend() -> None:
    rule = make_rule(
        r"""
        id: kube-all
        match:
          all:
            - 'step \d+ failed'
            - '(?i:kubectl) (?P<verb>\w+)'
        """
    )
    data = "step 3 failed \u212aubectl apply\n".encode()
    assert run([rule], data, "reference").findings
    assert_same([rule], data, "python")


# -- D4 (older than this branch): the python back-end takes a literal from inside a scoped
#        ``(?i:...)`` group, but only patterns with a *global* IGNORECASE are checked on every
#        non-ASCII line (``unicode_slots`` use ``plan.ignore_case``), and ``bytes.lower`` does
#        not fold K/ſ/İ.


def test_D4_python_backend_literal_from_a_scoped_ignore_case_group() -> None:
    rule = make_rule("id: scoped-py\nmatch:\n  any:\n    - '(?i:kubectl) \\d'\n")
    data = "\u212aUBECTL 1\n".encode()
    assert run([rule], data, "reference").findings
    assert_same([rule], data, "python")


# -- D5 (older than this branch): ``regex``-only syntax that Python's ``re`` parser accepts
#        with another meaning: the translation keeps text that ``regex`` never requires.


@pytest.mark.parametrize("engine", FAST)
@pytest.mark.parametrize(
    ("pattern", "line"),
    [
        (r"xx(?:timeout){e<=1} error", "xxtimeout error"),  # fuzzy match: re reads "{e<=1}" as literal text
        (r"[[:digit:]]abc", "5abc"),  # POSIX class: re reads "[[:digit:]" + "]abc"
        (r"xx(?:timeout){e<=1:[a-z]} error", "xxtimeoub error"),  # fuzzy, errors only from a class
    ],
)
def test_D5_regex_only_syntax_is_read_as_literal_text(engine: str, pattern: str, line: str) -> None:
    rule = make_rule(f"id: regex-only\nmatch:\n  any:\n    - '{pattern}'\n")
    data = (line + "\n").encode()
    assert run([rule], data, "reference").findings
    assert_same([rule], data, engine)


# -- D6 (older than this branch): a lone surrogate in a pattern crashes the prefilter's
#        translation (``chr(0xd800).encode("utf-8")``) with UnicodeEncodeError: the fast
#        engine (and ``rules lint``'s ``prefilter_support``) crash where the reference works.


@pytest.mark.parametrize("engine", FAST)
def test_D6_a_surrogate_in_a_pattern_does_not_crash_the_fast_engine(engine: str) -> None:
    rule = make_rule("id: surrogate\nmatch:\n  any:\n    - 'xx\\ud800abc|build failed'\n")
    data = b"build failed\n"
    assert run([rule], data, "reference").findings
    assert_same([rule], data, engine)
