"""The failure locator: the failing tool's own error block, in a log no specific rule explains.

A rule pack never names every failure, so the report must still point at the real error. The
locator reads the failing command's output (:attr:`LogStructure.failure_span`, else the log's
last lines) and picks a handful of lines from signals that hold across toolchains:

- **decisive lines**: a test runner's failure header (pytest's ``____ test_x ____``, Go's
  ``--- FAIL:``, numbered failures of mocha, ExUnit, PHPUnit and RSpec, Surefire's
  ``<<< FAILURE!``, ScalaTest's ``*** FAILED ***``, TAP's ``not ok``, cargo's ``---- x stdout
  ----``), a compiler or linter diagnostic (``file:line:col: error``), an exception or the head
  of a stack trace, a tool's ``error:``/``fatal:``/``ERROR`` line;
- **error words** (``error``, ``failed``, ``cannot``, ``not found``, ``denied``...), weaker;
- what is **not** the error: CI boilerplate (agent lines, Travis fold and time markers, command
  echoes, progress bars), wrappers that only report another tool's failure (``npm ERR!``,
  ``make: ***``, ``error Command failed with exit code``), and summaries (``Tests run: 5,
  Failures: 1``, ``FAILURES!``, ``3 failing``);
- with a **baseline** (the log of a build of the same project that succeeded), a line whose
  shape also occurs there (numbers, hashes, paths and times masked) is not the error.

The block is the first decisive line of the span with the lines that continue it (an
exception's message and first frames, pytest's ``E`` lines), or, without one, the last
error-looking line, or the tool's last words before it exited.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import regex

from analyzer.engine.lines import Line, LineKind, visible
from analyzer.engine.structure import Window, as_window

MAX_BLOCK = 4
"""Lines of an error block at most: a handful, not a page."""

TRACEBACK_LINES = 400
"""How far a Python traceback's exception line is looked for below its header."""

TEST_HEADER = regex.compile(
    r"""^(?:
        _{3,}\ (?!summary\ _).+\ _{3,}$                     # pytest failure section header (not tox's "___ summary ___")
      | \s*---\ FAIL:\ \S                                   # go test (a subtest's is indented)
      | (?:FAIL|ERROR):\ [\w.]+(?:\ \([\w.]+\))?\s*$         # unittest / nose
      | not\ ok\ \d+                                        # TAP
      | ----\ \S+\ stdout\ ----$                            # cargo test
      | \s*●\ \S                                          # Jest's failure report
      | \s*\[-\]\ \S                                        # Pester
      | [\w.]+:[\w.]+\ failed(?:\ on\ line\ \d+)?\s*$       # Erlang Common Test: "suite:case failed on line 12"
      | (?:Module|Test)\ Failed:\ \S                        # QUnit (ember-cli, testem)
      | \s*test\w*,\ .*\bfailed\b                           # xcpretty's failure section
      | (?:\s*\d+\)\ )?(?:Error|Failure):$                     # minitest ("  1) Failure:")
      | \s*\S.*(?:<<<\ (?:FAILURE|ERROR)!|\*\*\*\ FAILED\ \*\*\*|\[FAIL\])   # Surefire, ScalaTest, xUnit
      | \s*\S.*\S\s+(?:FAILED|FAIL|ERROR)\s*$                  # Gradle, karma and table reporters: "name  FAILED"
      | .*\bDubious,\ test\ returned                        # prove (TAP harness)
      | \s*\#\s+Failed\ test\b                                # Perl Test::More: "#   Failed test 'name'" (its "#   at t/x.t line 12." under it)
      | \d+/\d+\ Test\s+\#\d+:\ .*\*\*\*(?:Failed|Exception|Timeout|Not\ Run)   # CTest: "2/2 Test #2: name ....***Failed"
      | (?:.*:\ )?(?:Test\ Failed|Error\ During\ Test)(?:\ at\ \S+:\d+)?\s*$   # Julia's Test: "name: Test Failed at file.jl:12"
      | Test\ \S+\ condition:$                                # Emacs ERT: the failed test's condition
      | File\ "[^"]+",\ line\ \d+,\ in\ \S+\s*$                  # Python doctest (a traceback's frames are indented)
      | (?:\d+:\d+\ )?\+\d+(?:\ ~\d+)?\ -\d+:\ .*\[E\]\s*$        # Dart's test runner: "00:02 +1 -1: name [E]"
      | \s*(?:Failed|X)\s+[\w.`<>,+]+(?:\(.*\))?(?:\ \[[\d.,]+\ ?m?s\])?\s*$   # dotnet test (vstest): "Failed   Ns.Class.Test", "  X Test [134ms]"
      | \s*(?:──\ )?\d+\.\ (?:Failure|Error):\ \S             # R testthat: "── 1. Failure: name (@test-x.R#12)"
      | \s*──\ (?:Failure|Error)\ \(\S+:\d+                  # testthat 3: "── Failure (test-x.R:12:3): name"
      | (?:FAIL|ERROR)\ in\ \(\S+\)                          # clojure.test: "FAIL in (test-adder) (core_test.clj:7)"
    )""",
    regex.VERBOSE,
)
"""The header of one test's failure report."""

NUMBERED = regex.compile(r"^\s{0,6}\d{1,4}\)\s+\S")
"""A numbered failure (mocha, ExUnit, PHPUnit, RSpec, minitest): one only when an error follows it."""

PROGRESS_FAILED = regex.compile(
    r"^\S+::\S+ (?:FAILED|ERROR)\b|^\S+\.py [.sFEx]*[FE]|^\s*[✕✗✖×]\s\S|^.*\.\.\. (?:FAILED|FAIL|ERROR)\s*$"
    r"|^Test Case '.*' failed\b|^\[\s+FAILED\s+\]\s\S|^\s*FAILED\s+\d+/\d+\s+\S"
)
"""A runner's progress line naming a failed test (pytest's ``FAILED``, Jest's ✕, xcpretty's ✗,
``test x ... FAILED`` of cargo and unittest; XCTest's ``Test Case '...' failed``, GoogleTest's
``[  FAILED  ] x`` and ERT's ``FAILED 2/12 x``, which close a report printed above them):
its report, with the reason, follows in the runner's failure section."""

DIAGNOSTIC = regex.compile(
    r"""^(?:
        \S+?[:(]\d+(?:[:,]\d+)?\)?:?\ (?:fatal\ )?(?:error|Error|ERROR)\b    # file:line:col: error (gcc, tsc, javac, C#)
      | (?:error|fatal|FATAL|ERROR|Error)(?:\[\w+\])?(?::|!|\ -)\ ?\S        # error: x, error[E0432]: x, ERROR: x, fatal: x
      | \[(?:error|ERROR)\]\ (?!\s*$)                                      # sbt, Maven
      | E\ {2,}\S                                                          # pytest's assertion lines
      | \S+\ aborted!                                                      # rake aborted!
      | npm\ (?:ERR!|error)\ \S                                           # npm's own errors (wrappers are caught first)
      | make(?:\[\d+\])?:\ \*\*\*\ \S                                 # make: *** No rule to make target
      | CMake\ Error
      | No\ output\ has\ been\ received\ in\ the\ last\ | The\ job\ exceeded\ the\ ma\w*\ time\ limit   # Travis CI stopped the job
      | (?:PHP\ )?(?:Parse|Fatal|Catchable\ fatal)\ error:\ \ ?\S              # PHP: "PHP Parse error:  syntax error, unexpected ..."
      | thread\ '.*'\ panicked\ at                          # Rust (under cargo test's "---- x stdout ----" header)
      | Error\ in\ \S.*\ :(?:\ |$)                               # R: "Error in f(x) : object 'y' not found"
      | !\ \S                                               # TeX: "! Undefined control sequence.", "! LaTeX Error: ..."
      | In\ \S+\ line\ \d+:$                                 # ShellCheck: "In deploy.sh line 12:", its code and "^-- SC2086" under it
      | Traceback\ \(most\ recent\ call\ last\)
      | (?:Exception|Error)\ in\ thread\ 
      | (?:[\w$]+\.)*[\w$]*(?:Error|Exception|Failure)(?:\ \[\w+\])?(?::\ |$)  # SomeError: x, java.lang.X: y, Error [ERR_X]: z
      | \*\*\ \(\w+(?:\.\w+)*\)                                            # Elixir ** (ArgumentError)
      | ❌\ +\S                                                            # xcpretty's error mark
      | =ERROR\ REPORT=                                                    # Erlang
      | \S+:\d+:\d+:\ \S                                                   # file:line:col: message (linters)
      | \S+\.\w+:\d+:\d+:\s*$                                               # the place alone, the message indented under it (GHC 7, hspec)
      | \d+:\d+\ +error\ +\S                                                # ESLint's stylish: "  3:8  error  'x' is defined..."
      | \S+\.\w+:\ ?\d+(?::\d+)?:?\ \S                                      # file.ext:line: message, file.md: 29: MD012
      | .*\b(?:undefined\ reference\ to|command\ not\ found|No\ such\ file\ or\ directory|Segmentation\ fault|Killed)\b
    )""",
    regex.VERBOSE,
)
"""A compiler, linter or tool error, or the head of an exception (on the stripped line)."""

NOT_AN_ERROR = regex.compile(
    r"(?i)^\S*\s*(?:warn(?:ing)?|note|info|debug|hint)\b|\b(?:warning|note|info):|\b0 (?:errors?|failures?|failed)\b"
    r"|\bno errors?\b|\bpass(?:ed|ing)?\b.*\b0 fail|✓|\bok\s*$"
)
"""A line that names an error word but is a warning, a note, or a count of none."""

ERROR_WORDS = regex.compile(
    r"(?i)\b(?:errors?|fail(?:s|ed|ure|ing)?|fatal|exception|denied|cannot|can't|unable|not\ found|could\ not"
    r"|no\ such|invalid|missing|undefined|abort(?:ed)?|panic|refused|timed\ out|killed|segmentation|unresolved"
    r"|not\ defined|incompatible|unsatisfied|conflict|problem|broken|unexpected)\b"
    r"(?!\.[A-Za-z])",  # not a file's name: Linting 'Error.swift'
    regex.VERBOSE,
)
"""Words of a complaint; weaker than :data:`DIAGNOSTIC`."""

TRIGGER_WORDS = (
    "err", "fail", "fatal", "exception", "denied", "cannot", "can't", "unable", "not found", "could not",
    "no such", "invalid", "missing", "undefined", "abort", "panic", "refused", "timed out", "killed",
    "segmentation", "unresolved", "not defined", "incompatible", "unsatisfied", "conflict", "problem",
    "broken", "unexpected", "traceback", "dubious", "not ok", "exit", "●", "❌", "✕", "✗", "✖", "×", "[-]", "*** ", " stdout ---",
)
"""Lower-case words of which a line classified above zero holds one (or it matches
:data:`TRIGGER_START`): a cheap test before the regular expressions."""

TRIGGER_PATTERNS = (
    *(re.escape(word) for word in TRIGGER_WORDS),
    r"\d\)[ \t]",  # a numbered failure: "1) name"
    r"___ ",  # pytest's section header
    r"[a-z_][:(]\d+[:,]\d",  # file:line:col, File.cs(line,col) (not a time: 10:00:41)
    r"\.\w+: ?\d",  # file.ext:line, file.md: 29
    r"e  ",  # pytest's "E   " lines
    r"\*\* \(",  # Elixir's ** (Error)
    "! ",  # TeX's "! Undefined control sequence."
    r" line \d+:",  # ShellCheck's "In x line 12:"
    " condition:",  # ERT's "Test x condition:"
    "no output has been received", "exceeded the ma",  # Travis CI's timeouts
    r" \[e\]",  # Dart's "+0 -1: name [E]"
    'file "',  # doctest's 'File "x.py", line 12, in mod.f'
)
"""What a line classified above zero holds somewhere (ASCII case ignored): a cheap test before
the regular expressions."""

CANDIDATE_GROUPS: dict[str, tuple[str, ...]] = {
    # The locator's lines: the triggers, and the headings of skipped tests' sections.
    "trigger": (*TRIGGER_PATTERNS, "pending", "skipped", "ignored", "expected"),
    # A command's start: CodeBuild's echo, Travis's, GitHub Actions'.
    "command": ("running command ", r"\$ ", r"##\[group\]run "),
    # pytest's failure sections: the header, the end, captured output, E lines, the location.
    "pytest-header": ("___ ",),
    "pytest": (r"={3}(?:[ \r]|$)", "captured", "e  ", r"\.py:\d"),
}
"""Byte patterns (ASCII case ignored), by the reader they are for, of which every line that
reader decodes holds one: :meth:`analyzer.engine.structure.Window.candidates` finds them in the
raw bytes, a superset of the lines whose decoded text holds one (decoding only removes bytes)."""

_TRIGGER = re.compile("|".join(TRIGGER_PATTERNS), re.IGNORECASE | re.ASCII)


def _triggered(text: str) -> bool:
    return _TRIGGER.search(text) is not None


class CandidateScanner:
    """Finds the lines of a byte block that hold a pattern of :data:`CANDIDATE_GROUPS`.

    hyperscan (one pass for all patterns) when installed; else one ``find`` or ``search``
    per pattern and line that holds it (each hit skips to the next line).
    """

    def __init__(self, serialized: bytes | None = None) -> None:
        """Compile the patterns; or, with hyperscan, load ``serialized`` (:meth:`to_bytes` of
        the same patterns, kept in the compiled pack's cache: compiling costs ~100 ms a start)."""
        import threading

        from analyzer.engine.prefilter import hyperscan_module

        self._local = threading.local()
        self._database: Any = None
        self.groups = tuple(CANDIDATE_GROUPS)
        patterns = [(g, p.encode()) for g, group in enumerate(self.groups) for p in CANDIDATE_GROUPS[group]]
        hyperscan = hyperscan_module()
        if hyperscan is not None and serialized:
            self._database = hyperscan.loadb(serialized, hyperscan.HS_MODE_BLOCK)
        elif hyperscan is not None:
            database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            database.compile(
                expressions=[p for _, p in patterns],
                ids=[g for g, _ in patterns],
                elements=len(patterns),
                flags=[hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE] * len(patterns),
            )
            self._database = database
        self._literals = [(g, _UNESCAPE.sub(rb"\1", p)) for g, p in patterns if _META.search(p) is None]
        self._regexes = [(g, re.compile(p, re.MULTILINE)) for g, p in patterns if _META.search(p) is not None]

    def to_bytes(self) -> bytes:
        """The hyperscan database, for the compiled pack's cache (empty without hyperscan)."""
        if self._database is None:
            return b""
        import hyperscan

        return bytes(hyperscan.dumpb(self._database))

    def offsets(self, data: bytes) -> list[tuple[int, int]]:
        """``(offset, group index)`` of candidate hits in ``data`` (any order; at least one for
        every line and group it has a candidate of)."""
        found: list[tuple[int, int]] = []
        add = found.append
        if self._database is not None:

            def on_match(group: int, _from: int, to: int, _flags: int, _context: Any) -> None:
                add((to - 1, group))

            scratch = getattr(self._local, "scratch", None)
            if scratch is None:
                import hyperscan

                scratch = self._local.scratch = hyperscan.Scratch(self._database)
            self._database.scan(data, match_event_handler=on_match, scratch=scratch)
            return found
        lowered = data.lower()
        find, size = lowered.find, len(lowered)
        for group, literal in self._literals:
            at = find(literal)
            while at >= 0:
                add((at, group))
                at = find(literal, (find(b"\n", at) + 1) or size)
        for group, pattern in self._regexes:
            hit = pattern.search(lowered)
            while hit is not None:
                add((hit.start(), group))
                hit = pattern.search(lowered, (find(b"\n", hit.start()) + 1) or size)
        return found


_META = re.compile(rb"(?<!\\)[.^$*+?{}\[\]|()]|\\[dwsDWSbB]")
_UNESCAPE = re.compile(rb"\\(.)")

_SCANNER: CandidateScanner | None = None


def candidate_scanner() -> CandidateScanner:
    """The process's :class:`CandidateScanner` (compiled once)."""
    global _SCANNER
    if _SCANNER is None:
        _SCANNER = CandidateScanner()
    return _SCANNER


WRAPPER = regex.compile(
    r"""^(?:
        npm\ (?:ERR!|error)\ (?:code\ ELIFECYCLE|errno\ |Exit\ status|Failed\ at\ the|This\ is\ probably|A\ complete\ log|\s*/\S+\.log|\s*$|Lifecycle\ script|command\ |path\ |in\ workspace|workspace\ |location\ |\S+@\S+\ \S+:\ `|Test\ failed|Linux|argv|node\ v|npm\ \ v|cwd|os\ |Tell\ the\ author|You\ can\ get|not\ with\ npm|\ *\S+@\S+\ \S+\ script)
      | make(?:\[\d+\])?:\ \*\*\*\ \[.*\]\ (?:Error|Killed|Segmentation)
      | (?:\#\d+\ )?(?:ERROR:\ )?(?:failed\ to\ solve|process\ ".*"\ did\ not\ complete\ successfully)
      | Service\ '.*'\ failed\ to\ build
      | \S*Makefile:\d+:\ recipe\ for\ target
      | error\ Command\ failed\ with\ exit\ code
      | (?:\#\#\[error\])?Process\ completed\ with\ exit\ code
      | The\ command\ .*\ (?:failed|exited|returned\ a\ non-zero)
      | Command\ (?:failed|exited)\ with
      | ERROR:\ Job\ failed
      | FAILURE:\ Build\ failed\ with\ an\ exception
      | error:\ could\ not\ compile\ 
      | (?:\[ERROR\]\ )?(?:Failed\ to\ execute\ goal|To\ see\ the\ full\ stack\ trace|Re-run\ Maven|For\ more\ information\ about\ the\ errors|\[Help\ 1\]|->\ \[Help)
      | \[error\]\ \(.*\)\ .*(?:failed|Compilation\ failed)
      | \[error\]\ Total\ time
      | Error:\ Process\ completed
      | info\ Visit\ https://yarnpkg
      | An\ error\ occurred\ when\ executing\ task
      | Aborted\ due\ to\ warnings
      | Warning:\ Task\ ".*"\ failed
      | \S+\ (?:returned|exited\ with)\ (?:non-zero\ )?(?:exit\ )?(?:status|code)\ [1-9]
      | (?:ERROR:\ )?"[^"]+"\ exited\ with\ [1-9]\d*\.?\s*$  # npm-run-all
      | .*\b(?:exit(?:ed)?|returned|failed|terminated|completed|finished)\b[^.]{0,40}?\b(?:(?:exit\ )?(?:status|code|value)|with)\s*[:=]?\s*-?[1-9]\d*\.?\s*$
                                                            # any tool's "x exited with 2", "failed with exit code 1", "returned non-zero exit status 100"
      | .*\bfailed\ with\ (?:exit\ )?(?:code|status)\ \d+
      | (?:\[ERROR\]\ )?Command\ execution\ failed\.?\s*$         # exec-maven-plugin, around Commons Exec's:
      | .*\bProcess\ exited\ with\ an\ error:\ -?\d+              # "ExecuteException: Process exited with an error: 127 (Exit value: 127)"
      | ERROR:\ .*\bfailed\ while\ processing\b
      | The\ following\ build\ commands\ failed:                 # xcodebuild's list of failed steps
      | Errors\ while\ running\ CTest
      | Errors\ parsing\ \S                                     # php -l
      | cabal:\ Error:\ some\ packages\ failed\ to\ install | \S+\ failed\ during\ the\ \w+\ (?:phase|step)\.   # cabal-install
      | --\ \ While\ building\ | Process\ exited\ with\ code:\ ExitFailure   # stack
      | ERROR:\ Package\ \S+\ errored\ during\ testing           # Julia's Pkg.test
      | ERROR:\ InvocationError\b | ERROR:\s+\S+:\ commands\ failed   # tox
      | Latexmk:\ Errors,\ so\ I\ did\ not | Collected\ error\ summary
    )""",
    regex.VERBOSE,
)
"""A line that only reports that another tool failed."""

SUMMARY = regex.compile(
    r"""(?ix)^(?:
        tests?\ run:\ \d+,\ failures:
      | failures!|errors!
      | \d+\ (?:failing|failed|errors?)\b
      | (?:=+\ )?(?:\d+\ failed|FAILED\ \(|FAIL\ \S+\s+[\d.]+s$|FAIL$)
      | tests?:\ .*\b(?:failed|failures)\b
      | test\ suites:\ 
      | build\ fail(?:ed|ure)
      | \*\*\ (?:test|build)\ failed\ \*\*
      | there\ (?:was|were)\ \d+\ (?:failures?|errors?)
      | (?:some|\d+)\ tests?(?:\ suites?)?\ failed
      | finished\ in\ 
      | ran\ \d+\ tests?
      | [-=*\ ]*(?:short\ test\ summary|failures|errors|failed\ tests)[-=*\ :]*$
      | test\ result:\ FAILED
      | error:\ test\ failed
      | \d+\ examples?,\ \d+\ failures?
      | \d+\ tests?,\ \d+\ (?:assertions|failures)
      | (?:\d+\ (?:tests?\ )?(?:failed|failures?|errors?)|(?:failed|failures?|errors?):?\ \d+)[,;]?\ (?:and\ )?(?:\d+\ (?:tests?\ )?pass|pass(?:ed|ing)?:?\ \d+)   # "failed 7 and passed 1307 tests", "1 failed, 9 passed"
      | \d+%\ tests\ passed,\ \d+\ tests?\ failed | the\ following\ tests\ failed:   # CTest
      | (?:error:\ )?(?:loaderror:\ )*(?:some\ tests\ did\ not\ pass|there\ was\ an\ error\ during\ testing)   # Julia
      | (?:>>\ )?(?:found\ )?\d+\ errors?\ in\ \d+\ (?:source\ )?(?:files?|modules?)   # mypy, JSHint under grunt
      | \#\ looks\ like\ you\ failed\ \d+                        # Perl Test::More
      | .*\bHTML-Proofer\ found\ \d+\ failures?                  # html-proofer
      | status:\ \d+\ (?:error|warning|note)                   # R CMD check
      | \*\*\*\ \d+\ failures?\ (?:is|are)\ detected            # Boost.Test
      | test\ suite\ '.*'\ failed\ at | executed\ \d+\ tests?,\ with\ \d+\ failures?   # XCTest
      | ran\ \d+\ tests?,\ \d+\ results?\ as\ expected | \d+\ unexpected\ results?:   # ERT
      | \[\ +FAILED\ +\]\ \d+\ tests?,\ listed\ below          # GoogleTest
      | test\ summary:\ +\|                                   # Julia's table: "Test Summary: | Pass  Fail  Total"
      | \*\*\*test\ failed\*\*\*\ \d+\ failures? | \d+\ items?\ had\ failures:   # Python doctest
      | (?:\d+:\d+\ )?\+\d+(?:\ ~\d+)?(?:\ -\d+)?:\ some\ tests\ failed   # Dart's test runner
      | test\ run\ failed\.?$ | total\ tests:\ \d+                 # dotnet test (vstest)
      | \#\ fail\ 
      | (?:result|status):\ fail
      | \[\ ?ok:\ \d+                                         # testthat: "[ OK: 41 | SKIPPED: 0 | FAILED: 1 ]"
      | .*\btotal:\ \d+,\ errors:\ \d+,\ failed:                 # xUnit.net's console runner
      | (?:R\ CMD\ check|latexmk|gulp|grunt)\b.*\bfailed
      | (?:error:\ )?testthat\ unit\ tests\ failed
      | [✖×]\ \d+\ problems?\ \(
      | tests\ failed\.?$
    )""",
)
"""A summary of failures reported above it (a line to skip, not the error)."""

BOILERPLATE = regex.compile(
    r"""^(?:
        \s*$
      | travis_(?:fold|time|retry)
      | \$\ \S                        # a command echo
      | \+\ ?\S                       # set -x trace
      | \#\#\[(?:group|endgroup|command|debug)
      | [\s.\-=*#>|/\\:+~_^ \d%\[\]]*$   # progress bars, rules, dots
      | (?:Downloading|Downloaded|Installing|Collecting|Fetching|Using|Requirement\ already)\b
      | \[INFO\]\ 
      | \[info\]\ (?!.*(?:\*\*\*\ FAILED|\bat\ |Exception|Error))
      | (?:INFO|DEBUG|TRACE)\b
    )""",
    regex.VERBOSE,
)
"""CI boilerplate and progress: never an error line."""

CONTINUATION = regex.compile(
    r"""^(?:
        \s+\S                          # indented: a frame, a message's next line, pytest source
      | E\ {2,}                        # pytest assertion detail
      | (?:at|from|in|File|Caused\ by|Failed\ example|\.\.\.)\b
      | \S+\.\w+:\d+
      | \w[\w.$]*(?:Error|Exception)\b
      | [>+\-?]\ 
      | (?:expected|actual):\s         # clojure.test's report under "FAIL in (x)"
      | \s*\^-*\^?\ SC\d{4}           # ShellCheck's mark under the code line
      | \*\*\ 
      | \[(?:error|info)\]\s
    )""",
    regex.VERBOSE,
)
"""A line that continues the block above it."""

TEST_STATUS = regex.compile(
    r"""^(?:
        \s*(?:[-=*>]{2,}\s*)?(?:PASS(?:ED)?|FAIL(?:ED)?|ERROR|OK|SKIP(?:PED)?|RUN):?\s+\S   # status first, a test's name after it: "--- PASS: x", "=== RUN x"
      | \s*\[\s*(?:PASS(?:ED)?|FAIL(?:ED)?|OK|SKIP(?:PED)?|RUN)\s*\]                    # "[ OK ] x" (not a log level: "[ERROR] x")
      | .*\S\s+(?:PASS(?:ED)?|FAIL(?:ED)?|ERROR|OK|SKIP(?:PED)?|XFAIL|XPASS|ok|xfail|xpass|skipped)   # status last: "x PASSED", "x xfail",
        (?:\s+\(.*\)|\s+\[.*\])?\s*$                                                       # "x ... ok (12 ms)"
      | \s*[✓✔✗✕✖×]\s                                      # a mark
    )""",
    regex.VERBOSE,
)
"""A test's status line, in the forms runners print their progress in: a failure header with
one of these right under it is a line of a list, not a report."""

TAP_YAML = regex.compile(r"^\s+---\s*$")
"""The start of a TAP 13 YAML diagnostic block (``  ---``), right under ``not ok N``."""

TAP_COMMENT_BELOW = regex.compile(r"^(?:not ok \d+|\s*#\s+Failed test\b)")
"""A failed TAP test, whose ``# ...`` comment lines under it say why (``#   at t/x.t line 12.``,
``#          got: '1'``, bats' ``# (in test file x.bats, line 9)``)."""

UNITTEST_HEADER = regex.compile(r"^(?:FAIL|ERROR): [\w.]+(?: \([\w.]+\))?\s*$")
"""unittest's (and nose's, Django's) report header: a rule of dashes and the test's traceback follow."""

RULE = regex.compile(r"^-{10,}\s*$")
"""A rule of dashes under a report's header."""

UNDERLINE = regex.compile(r"^\s*[-=_~*]{3,}\s*$")
"""A rule under a header (dashes, equals signs): the header's underline, not what follows it."""

EXPECTED = regex.compile(r"^\s*(?:[-+#>|]\s*)?(?i:expected)\b[^:]{0,20}:")
"""An assertion's expected value (``Expected: 3``, ``  expected: false``, ``#     expected: '__'``)."""

ACTUAL = regex.compile(r"^\s*(?:[-+#>|]\s*)?(?i:actual|received|but\ was|got|found|instead)\b[^:]{0,20}:")
"""The value an assertion got, under its expected one (``Actual: 4``, ``Received: 4``, ``But was: 4``)."""

def _value(text: str, label: regex.Pattern[str]) -> str:
    """What follows an assertion's label: a pair whose values agree (a checksum that matched) is
    no failure."""
    found = label.match(text)
    return text[found.end() :].strip() if found is not None else text


BANNER = regex.compile(r"^\s*([-=_~*#])\1{2,} \S.* \1{3,}\s*$")
"""A section's title between rules (``==== FAILURES ====``, ``____ test_x ____``)."""

CODE_BELOW = regex.compile(r"^In \S+ line \d+:$")
"""A linter's place whose next line quotes the source, whatever it reads like (ShellCheck's
``In deploy.sh line 12:``; its ``^-- SC2086: ...`` mark follows)."""

BARE_HEADER = regex.compile(r"^\S+ aborted!\s*$")
"""A tool's header that says only that it stopped (rake's and rails' ``rake aborted!``): the
reason is the line under it, which is the error block (the header stays in its context)."""

FRAME = regex.compile(r"^\s*(?:at\s|from\s|\S+:\d+:in\s)|^\s*File\s\"")
"""A stack frame (Ruby's ``path:12:in `x'``, ``at``/``from`` lines, Python's ``File "..."``)."""

PLACE = regex.compile(r"^\S+?[:(]\d+(?:[:,]\d+)?\)?:?\s+(?=\S)")
"""A compiler's or linter's place before its message (``path/to/file.h:15:2: ``)."""

LOCATED_WARNING = regex.compile(r"^\S+?[:(]\d+(?:[:,]\d+)?\)?:?\s+warning\b", regex.IGNORECASE)
"""A compiler's or linter's warning at a place (``file:12:3: warning: ...``)."""

PENDING = regex.compile(r"^(?:Pending|Skipped|Ignored)(?::|\ \()", regex.VERBOSE)
"""A section of skipped tests: its numbered items are not failures."""

_MASK = regex.compile(r"0x[0-9a-fA-F]+|[0-9a-f]{7,}|\d+(?:[.:]\d+)*|/[^\s:'\"]+")


def shape(text: str) -> str:
    """A line's shape: numbers, hashes, paths and times masked (for baseline comparison)."""
    return _MASK.sub("#", text.strip())


BASELINE_LINES = 1_000_000
"""Lines of a baseline log read at most (its shapes are a set in memory)."""


def baseline_shapes(chunks: Iterable[bytes]) -> frozenset[str]:
    """The shapes of a successful build's log lines: a line of the failed log with one of these
    shapes printed in the passing build too, so it is not the error."""
    from analyzer.engine.lines import iter_lines

    shapes = set()
    for line in iter_lines(chunks):
        if line.number > BASELINE_LINES:
            break
        if line.kind == LineKind.OUTPUT:
            shapes.add(shape(_text(line)))
    return frozenset(shapes)


@dataclass(frozen=True)
class Located:
    """The error block the locator chose."""

    lines: tuple[Line, ...]
    """The block, in log order (its first line is the anchor)."""
    signal: str
    """Why: ``test-failure``, ``diagnostic``, ``progress``, ``error-words``, ``warning`` or ``last-output``."""


WEIGHTS = {"test-failure": 5, "diagnostic": 4, "progress": 3, "error-words": 2, "warning": 1}
"""How decisive each kind of line is: a test's failure report, then a tool's error, then a
test runner's progress line, then any complaint."""


def classify(text: str) -> str:
    """The kind of a visible line: a key of :data:`WEIGHTS`, or ``boilerplate``, ``wrapper``,
    ``summary``, ``numbered`` or ``other``."""
    stripped = text.strip()
    if not stripped or BOILERPLATE.match(text):
        return "boilerplate"
    if WRAPPER.match(stripped):
        return "wrapper"
    if SUMMARY.match(stripped):
        return "summary"
    if PROGRESS_FAILED.match(stripped):
        return "progress"
    if TEST_HEADER.match(text):
        return "test-failure"
    if NUMBERED.match(text):
        return "numbered"
    if DIAGNOSTIC.match(stripped):
        # The level is read after the place: a long path must not push "warning:" out of view.
        return "warning" if NOT_AN_ERROR.search(PLACE.sub("", stripped, count=1)[:120]) else "diagnostic"
    if ERROR_WORDS.search(stripped):
        return "warning" if NOT_AN_ERROR.search(stripped) else "error-words"
    return "other"


STEP_PREFIX = regex.compile(r"^#\d+ \d+\.\d+ |^[│╷╵] ?|^\[\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\]\s+(?:[VDIWEF]/[\w.$-]+\s+-\s+)?")
"""A prefix before a tool's own text: BuildKit's plain progress (``#7 3.215 ``), Terraform's box
(``│ ``), a time column (gulp's, protractor's ``[16:40:38] E/launcher - ``)."""


TOOL_PREFIX = regex.compile(r"^[^\s!:\]]{1,8}(?: [^\s!:\]]{1,8})?[!:\]] ")
"""A tool's prefix on each of its lines (``npm ERR! ``, ``[error] ``, ``error: ``): a block goes on
while its lines carry the anchor's."""


CLASSIFY_CHARS = 300
"""A line is classified by its first characters: what marks an error is at its start, and a
50 KB minified line must not cost 50 KB of regex work per pattern."""


def _text(line: Line) -> str:
    text = visible(line.text[line.body_start :]) if line.kind != LineKind.OUTPUT else visible(line.text)
    if text[:1] in ("#", "│", "╷", "╵", "["):
        text = STEP_PREFIX.sub("", text, count=1)
    return text[:CLASSIFY_CHARS]


def _kind(text: str) -> str:
    """:func:`classify` of a line that holds a trigger; ``other`` for the rest."""
    return classify(text) if _triggered(text) else "other"


class _Span:
    """The output lines of a window's span, decoded on demand, with their texts and kinds."""

    def __init__(self, window: Window, first: int, last: int, baseline: Collection[str]) -> None:
        self.window, self.first, self.last, self.baseline = window, first, last, baseline
        self.texts: dict[int, str] = {}
        self.kinds: dict[int, str] = {}
        self.pairs: dict[int, int] = {}
        """An assertion's ``Expected:`` line -> its ``Actual:`` line."""

    def _add(self, lines: Iterable[Line]) -> list[int]:
        numbers = []
        for line in lines:
            if line.kind != LineKind.OUTPUT:
                continue
            number = line.number
            if number not in self.texts:
                text = _text(line)
                self.texts[number] = text
                self.kinds[number] = self._baseline(_kind(text), text)
            numbers.append(number)
        return numbers

    def _baseline(self, kind: str, text: str) -> str:
        if self.baseline and WEIGHTS.get(kind, 0) and shape(text) in self.baseline:
            return "baseline"
        return kind

    def candidates(self) -> list[int]:
        """The output lines of the span that hold a candidate pattern, in order."""
        return self._add(self.window.lines_at(self.window.candidates(self.first, self.last)))

    def after(self, number: int, count: int) -> list[int]:
        """Up to ``count`` output lines of the span after line ``number``."""
        found: list[int] = []
        start = number + 1
        while len(found) < count and start <= self.last:
            end = min(start + 2 * count + 8, self.last)
            found += self._add(self.window.lines(start, end))
            start = end + 1
        return found[:count]

    def before_end(self, count: int) -> list[int]:
        """The span's last ``count`` output lines or more, in order."""
        start = max(self.last - count + 1, self.first)
        return self._add(self.window.lines(start, self.last))


def _post_process(span: _Span, order: list[int]) -> None:
    """Kinds that depend on the lines around: a go test parent's summary line, numbered items."""
    kinds, texts = span.kinds, span.texts
    # A failure header with nothing under it that says why is a line of a list, not a report:
    # a runner's progress line ("x.py::test_a FAILED" above "x.py::test_b PASSED"), a parent
    # test's line above its subtests' ("--- FAIL: TestA" above "    --- PASS: TestA/b"), a
    # closing list. The report, with the reason, is elsewhere (above, or in a failure section).
    for number in order:
        if kinds[number] == "test-failure" and _unexplained(span, number):
            kinds[number] = "progress"
    # An assertion's report, whatever the runner: "Expected: x" with "Actual: y" (Received,
    # But was, Got) on the next line.
    for number in order:
        if kinds[number] in ("other", "error-words") and EXPECTED.match(texts[number]):
            below = span.after(number, 1)
            actual = below[0] if below and below[0] == number + 1 and ACTUAL.match(texts[below[0]]) else None
            if actual is not None and _value(texts[number], EXPECTED) != _value(texts[actual], ACTUAL):
                kinds[number] = "diagnostic"
                span.pairs[number] = actual
    # A numbered item is a failure report when an error follows it, outside a Pending section.
    if not any(kinds[n] == "numbered" for n in order):
        return
    pending = False
    for number in order:
        kind = kinds[number]
        text = texts[number].strip()
        if text.startswith(("Pending", "Skipped", "Ignored")) and PENDING.match(text):
            pending = True
        elif kind in ("summary", "test-failure"):
            pending = False
        if kind != "numbered":
            continue
        follows = [kinds[n] for n in span.after(number, 5)]
        kinds[number] = (
            "test-failure"
            if not pending and any(WEIGHTS.get(k, 0) >= 2 for k in follows)
            else ("error-words" if ERROR_WORDS.search(text) else "other")
        )


def _unexplained(span: _Span, header: int) -> bool:
    """Whether the failure header on line ``header`` has no explanation under it: the next
    line (a blank line and a rule under the header skipped) is another test's status line
    (:data:`TEST_STATUS`), a banner that opens another section, or the span ends."""
    below = [n for n in span.after(header, 3) if span.texts[n].strip() and not UNDERLINE.match(span.texts[n])][:1]
    if not below or below[0] - header > 3:
        return not below
    text = span.texts[below[0]]
    return span.kinds[below[0]] == "progress" or TEST_STATUS.match(text) is not None or BANNER.match(text) is not None


def locate(
    window: Window | Sequence[Line],
    span: tuple[int, int] | None = None,
    baseline: Collection[str] = (),
) -> Located | None:
    """The error block in ``window`` (limited to ``span`` when the failing command is known).

    ``baseline`` holds the :func:`shape` of every line of a successful build's log; lines of
    those shapes are not the error. Returns ``None`` when the window has no line to show.
    Only the window's candidate lines and the lines around the block are decoded.
    """
    window = as_window(window)
    first, last = (max(span[0], window.first), min(span[1], window.last)) if span else (window.first, window.last)
    if last < first:
        return None
    lines = _Span(window, first, last, baseline)
    order = lines.candidates()
    _post_process(lines, order)
    kinds, texts = lines.kinds, lines.texts
    best = max((WEIGHTS.get(kinds[n], 0) for n in order), default=0)
    anchor: int | None = None
    if best >= 3:
        # The first report of the most decisive kind: a runner's first failed test, a
        # compiler's first error (later ones often follow from it).
        anchor = next(n for n in order if WEIGHTS.get(kinds[n], 0) == best)
    elif best == 2:
        # Only complaints: the last one before the command ended is the likeliest.
        anchor = max(n for n in order if kinds[n] == "error-words")
    elif best == 1:
        # No error at all, but a linter's or compiler's warnings at places in the source: a
        # strict linter (swiftlint --strict, -Werror) failed on them. The first is the block.
        anchor = next((n for n in order if kinds[n] == "warning" and LOCATED_WARNING.match(texts[n])), None)
    signal = kinds[anchor] if anchor is not None else ""
    if anchor is None:
        if span is None:
            return None
        anchor = _last_output(lines)
        if anchor is None:
            return None
        signal = "last-output"
    if texts[anchor].startswith("Traceback (most recent call last)"):
        # Python prints the exception last: the header and the exception line are the block.
        exception = _exception_line(lines, anchor)
        if exception is not None:
            return Located(tuple(window.lines_at([anchor, exception])), signal)
    if UNITTEST_HEADER.match(texts[anchor]):
        # unittest's report: the header, a rule, the test's traceback; its last line says why.
        below = [n for n in lines.after(anchor, 2) if texts[n].strip()]
        if below and RULE.match(texts[below[0]]) and len(below) > 1 and texts[below[1]].startswith("Traceback"):
            exception = _exception_line(lines, below[1])
            if exception is not None:
                return Located(tuple(window.lines_at([anchor, exception])), signal)
    if anchor in lines.pairs:
        # An assertion's expected and actual values, with what failed (the test, the
        # assertion) when the line above names it.
        block = list(range(anchor, lines.pairs[anchor] + 1))
        above = lines.after(anchor - 2, 1) if anchor - 1 >= first else []
        if above and above[0] == anchor - 1 and kinds[above[0]] not in ("boilerplate", "summary", "wrapper", "progress", "baseline"):
            if texts[above[0]].strip() and not BOILERPLATE.match(texts[above[0]]):
                block.insert(0, above[0])
        return Located(tuple(window.lines_at(block[:MAX_BLOCK])), signal)
    if BARE_HEADER.match(texts[anchor]):
        anchor = _reason_under(lines, anchor)
    block = [anchor]
    prefix = TOOL_PREFIX.match(texts[anchor])
    gap = False
    for number in lines.after(anchor, 3 * MAX_BLOCK + 2):
        if len(block) >= MAX_BLOCK or number - block[-1] > 2:
            break
        kind, text = kinds[number], texts[number]
        if not text.strip():
            if gap:
                break
            gap = True  # one blank line may sit inside a block (Composer, cargo's "Caused by:")
            continue
        if number == anchor + 1 and TAP_YAML.match(text) and texts[anchor].startswith("not ok"):
            continue  # TAP 13's diagnostics under a failed test (tape, node-tap): the block goes on into them
        if text.lstrip().startswith("#") and TAP_COMMENT_BELOW.match(texts[anchor]) and kind not in ("summary", "wrapper"):
            block.append(number)  # TAP's comment diagnostics under a failed test (Test::More, bats)
            continue
        if number == anchor + 1 and CODE_BELOW.match(texts[anchor]):
            block.append(number)  # the source line a linter quotes under its place (ShellCheck)
            continue
        if kind == "other" and BOILERPLATE.match(text):
            kind = "boilerplate"
        if kind in ("boilerplate", "wrapper", "summary", "baseline", "progress") or (
            kind == "test-failure" and signal == "test-failure"
        ):
            break
        same_tool = prefix is not None and text.startswith(prefix.group(0))
        if WEIGHTS.get(kind, 0) >= 2 or CONTINUATION.match(text) or same_tool or signal == "last-output":
            block.append(number)
            gap = False
            continue
        break
    return Located(tuple(window.lines_at(block)), "error-words" if signal == "numbered" else signal)


def _exception_line(lines: _Span, traceback: int) -> int | None:
    """The exception line that ends the Python traceback whose header is line ``traceback``."""
    for number in lines.after(traceback, TRACEBACK_LINES):
        text = lines.texts[number]
        if text[:1] not in (" ", "\t", "") and not text.startswith("Traceback"):
            return number
    return None


def _reason_under(lines: _Span, header: int) -> int:
    """The line under a bare header (:data:`BARE_HEADER`) that says why the tool stopped; the
    header itself when the next line is no such reason (a frame, a wrapper, CI boilerplate)."""
    following = lines.after(header, 1)
    if not following or following[0] - header > 1:
        return header
    number = following[0]
    text = lines.texts[number]
    if lines.kinds[number] in ("boilerplate", "wrapper", "summary", "baseline") or BOILERPLATE.match(text) or FRAME.match(text):
        return header
    return number


def _last_output(lines: _Span) -> int | None:
    """The start of the tool's last words before it exited: its last lines that are no
    complaint and no boilerplate (a block of up to :data:`MAX_BLOCK` - 1)."""
    count = 64
    while True:
        order = lines.before_end(count)
        quiet = [
            i
            for i, n in enumerate(order)
            if _quiet_kind(lines.kinds[n]) in ("warning", "summary")
            or (_quiet_kind(lines.kinds[n]) == "other" and not BOILERPLATE.match(lines.texts[n]))
        ]
        whole = lines.last - count + 1 <= lines.first
        if quiet and (quiet[-1] >= MAX_BLOCK or whole):
            anchor = quiet[-1]
            while anchor > 0 and anchor - 1 in quiet and quiet[-1] - anchor < MAX_BLOCK - 2:
                anchor -= 1
            return order[anchor]
        if whole:
            return None
        count *= 8


def _quiet_kind(kind: str) -> str:
    # Without a complaint in the span, a numbered item is no failure report.
    return "other" if kind == "numbered" else kind


_PYTEST_HEADER = regex.compile(r"^_{3,} (?!summary _)(.+) _{3,}$")
_PYTEST_CAPTURED = regex.compile(r"^-{3,} Captured (?:std(?:out|err)|log) (?:call|setup|teardown) -{3,}$")
_PYTEST_LOCATION = regex.compile(r"^\S+\.py:\d+: ")
_SECTION_END = regex.compile(r"^={3,}")


def test_noise_lines(window: Window | Sequence[Line]) -> set[int]:
    """Lines of a failing test's source or captured output (pytest's failure sections).

    Inside a section ``____ test_x ____``, the test's source lines and its ``Captured ...``
    output are the test's text, not its failure: only the ``E`` lines and the ``file.py:N:``
    location say why it failed. Only the window's candidate lines are decoded: every other
    line inside a section is the test's text.
    """
    window = as_window(window)
    noise: set[int] = set()
    start: int | None = None  # the first line of the open section's text
    keep: set[int] = set()  # lines of the open section that are not noise
    captured = False

    def close(end: int) -> None:
        if start is not None:
            noise.update(n for n in range(start, end) if n not in keep)

    if not window.candidates(window.first, window.last, "pytest-header"):
        return noise
    numbers = sorted(
        {*window.candidates(window.first, window.last, "pytest-header"), *window.candidates(window.first, window.last, "pytest")}
    )
    for line in window.lines_at(numbers):
        text = visible(line.text)
        number = line.number
        if _PYTEST_HEADER.match(text):
            close(number)
            start, captured = number + 1, False
            keep = set()
            continue
        if _SECTION_END.match(text):
            close(number)
            start, captured = None, False
            continue
        if start is None:
            continue
        if _PYTEST_CAPTURED.match(text):
            captured = True
            keep.add(number)
            continue
        if not captured and (text.startswith("E  ") or _PYTEST_LOCATION.match(text)):
            keep.add(number)
    close(window.last + 1)
    return noise
