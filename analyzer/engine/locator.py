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

import regex

from analyzer.engine.lines import Line, LineKind, visible

MAX_BLOCK = 4
"""Lines of an error block at most: a handful, not a page."""

TRACEBACK_LINES = 400
"""How far a Python traceback's exception line is looked for below its header."""

TEST_HEADER = regex.compile(
    r"""^(?:
        _{3,}\ .+\ _{3,}$                                  # pytest failure section header
      | ---\ FAIL:\ \S                                      # go test
      | (?:FAIL|ERROR):\ [\w.]+(?:\ \([\w.]+\))?\s*$         # unittest / nose
      | not\ ok\ \d+                                        # TAP
      | ----\ \S+\ stdout\ ----$                            # cargo test
      | \s*●\ \S                                          # Jest's failure report
      | \[-\]\ \S                                           # Pester
      | \s*test\w*,\ .*\bfailed\b                           # xcpretty's failure section
      | Test\ Case\ .*\bfailed\b                            # XCTest
      | (?:Error|Failure):$                                 # minitest
      | \s*\S.*(?:<<<\ (?:FAILURE|ERROR)!|\*\*\*\ FAILED\ \*\*\*|\[FAIL\])   # Surefire, ScalaTest, xUnit
      | \s*\S.*\S\s+(?:FAILED|FAIL|ERROR)\s*$                  # Gradle, karma and table reporters: "name  FAILED"
      | .*\bDubious,\ test\ returned                        # prove (TAP harness)
      | thread\ '.*'\ panicked\ at                          # Rust
    )""",
    regex.VERBOSE,
)
"""The header of one test's failure report."""

NUMBERED = regex.compile(r"^\s{0,6}\d{1,4}\)\s+\S")
"""A numbered failure (mocha, ExUnit, PHPUnit, RSpec, minitest): one only when an error follows it."""

PROGRESS_FAILED = regex.compile(
    r"^\S+::\S+ (?:FAILED|ERROR)\b|^\S+\.py [.sFEx]*[FE]|^\s*[✕✗✖×]\s\S|^.*\.\.\. (?:FAILED|FAIL|ERROR)\s*$"
)
"""A runner's progress line naming a failed test (pytest's ``FAILED``, Jest's ✕, xcpretty's ✗,
``test x ... FAILED`` of cargo and unittest):
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
      | Traceback\ \(most\ recent\ call\ last\)
      | (?:Exception|Error)\ in\ thread\ 
      | (?:[\w$]+\.)*[\w$]*(?:Error|Exception|Failure)(?:\ \[\w+\])?(?::\ |$)  # SomeError: x, java.lang.X: y, Error [ERR_X]: z
      | \*\*\ \(\w+(?:\.\w+)*\)                                            # Elixir ** (ArgumentError)
      | =ERROR\ REPORT=                                                    # Erlang
      | \S+:\d+:\d+:\ \S                                                   # file:line:col: message (linters)
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
    r"|not\ defined|incompatible|unsatisfied|conflict|problem|broken|unexpected)\b",
    regex.VERBOSE,
)
"""Words of a complaint; weaker than :data:`DIAGNOSTIC`."""

TRIGGER_WORDS = (
    "err", "fail", "fatal", "exception", "denied", "cannot", "can't", "unable", "not found", "could not",
    "no such", "invalid", "missing", "undefined", "abort", "panic", "refused", "timed out", "killed",
    "segmentation", "unresolved", "not defined", "incompatible", "unsatisfied", "conflict", "problem",
    "broken", "unexpected", "traceback", "not ok", "●", "✕", "✗", "✖", "×", "[-]", "*** ", " stdout ---",
)
"""Lower-case words of which a line classified above zero holds one (or it matches
:data:`TRIGGER_START`): a cheap test before the regular expressions."""

TRIGGER_START = regex.compile(r"[ \t]*\d{1,4}\)[ \t]|_{3,} |\S+[:(]\d+[:,]\d+|\S+\.\w+: ?\d+|E {2,}|\*\* \(")
"""Line starts that may be classified above zero without a trigger word."""


_TRIGGER = re.compile("|".join(re.escape(word) for word in TRIGGER_WORDS))
"""The words as one alternation of literals (``re`` skips positions by their first characters)."""


def _triggered(text: str) -> bool:
    return _TRIGGER.search(text.lower()) is not None or TRIGGER_START.match(text) is not None


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
      | .*\bfailed\ with\ (?:exit\ )?(?:code|status)\ \d+
      | ERROR:\ .*\bfailed\ while\ processing\b
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
      | (?:some|\d+)\ tests?\ failed
      | finished\ in\ 
      | ran\ \d+\ tests?
      | tests\ ok\ \d+/\d+
      | [-=*\ ]*(?:short\ test\ summary|failures|errors|failed\ tests)[-=*\ :]*$
      | test\ result:\ FAILED
      | error:\ test\ failed
      | \d+\ examples?,\ \d+\ failures?
      | \d+\ tests?,\ \d+\ (?:assertions|failures)
      | failed\ \d+\ and\ passed
      | \#\ fail\ 
      | (?:result|status):\ fail
      | \[\ ?ok:\ \d+
      | .*\btotal:\ \d+,\ errors:\ \d+,\ failed:
      | (?:R\ CMD\ check|latexmk|gulp|grunt)\b.*\bfailed
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
      | (?:at|from|in|File|Caused\ by|\.\.\.)\b
      | \S+\.\w+:\d+
      | \w[\w.$]*(?:Error|Exception)\b
      | [>+\-?]\ 
      | \*\*\ 
      | \[(?:error|info)\]\s
    )""",
    regex.VERBOSE,
)
"""A line that continues the block above it."""

SUBTEST = regex.compile(r"^\s+(?:--- (?:PASS|FAIL|SKIP)|=== RUN)")
"""The next test's header (go test), right under a parent's."""

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
    """Why: ``test-failure``, ``diagnostic``, ``progress``, ``error-words`` or ``last-output``."""


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
        return "warning" if NOT_AN_ERROR.search(stripped[:120]) else "diagnostic"
    if ERROR_WORDS.search(stripped):
        return "warning" if NOT_AN_ERROR.search(stripped) else "error-words"
    return "other"


STEP_PREFIX = regex.compile(r"^#\d+ \d+\.\d+ |^[│╷╵] ?")
"""A prefix before a tool's own text: BuildKit's plain progress (``#7 3.215 ``), Terraform's box (``│ ``)."""


TOOL_PREFIX = regex.compile(r"^[^\s!:\]]{1,8}(?: [^\s!:\]]{1,8})?[!:\]] ")
"""A tool's prefix on each of its lines (``npm ERR! ``, ``[error] ``, ``error: ``): a block goes on
while its lines carry the anchor's."""


CLASSIFY_CHARS = 300
"""A line is classified by its first characters: what marks an error is at its start, and a
50 KB minified line must not cost 50 KB of regex work per pattern."""


def _text(line: Line) -> str:
    text = visible(line.text[line.body_start :]) if line.kind != LineKind.OUTPUT else visible(line.text)
    if text[:1] in ("#", "│", "╷", "╵"):
        text = STEP_PREFIX.sub("", text, count=1)
    return text[:CLASSIFY_CHARS]


def _kinds(texts: Sequence[str]) -> list[str]:
    """:func:`classify` of every text, found with one scan of them all for the cheap trigger."""
    kinds = [classify(text) if _triggered(text) else "other" for text in texts]
    # A failure header followed at once by another test's header is a parent's summary line
    # (go test's "--- FAIL: TestA" above its subtests): the report is the subtest's.
    for index, kind in enumerate(kinds):
        if kind == "test-failure" and index + 1 < len(texts) and SUBTEST.match(texts[index + 1]):
            kinds[index] = "progress"
    # A numbered item is a failure report when an error follows it, outside a Pending section.
    if "numbered" not in kinds:
        return kinds
    pending = False
    for index, kind in enumerate(kinds):
        text = texts[index].strip()
        if text.startswith(("Pending", "Skipped", "Ignored")) and PENDING.match(text):
            pending = True
        elif kind in ("summary", "test-failure"):
            pending = False
        if kind != "numbered":
            continue
        follows = kinds[index + 1 : index + 6]
        kinds[index] = (
            "test-failure"
            if not pending and any(WEIGHTS.get(k, 0) >= 2 for k in follows)
            else ("error-words" if ERROR_WORDS.search(text) else "other")
        )
    return kinds


def locate(
    window: Sequence[Line],
    span: tuple[int, int] | None = None,
    baseline: Collection[str] = (),
) -> Located | None:
    """The error block in ``window`` (limited to ``span`` when the failing command is known).

    ``baseline`` holds the :func:`shape` of every line of a successful build's log; lines of
    those shapes are not the error. Returns ``None`` when the window has no line to show.
    """
    lines = [
        line
        for line in window
        if line.kind == LineKind.OUTPUT and (span is None or span[0] <= line.number <= span[1])
    ]
    if not lines:
        return None
    texts = [_text(line) for line in lines]
    kinds = _kinds(texts)
    if baseline:
        kinds = [
            "baseline" if WEIGHTS.get(kind, 0) and shape(text) in baseline else kind
            for kind, text in zip(kinds, texts, strict=True)
        ]
    best = max((WEIGHTS.get(kind, 0) for kind in kinds), default=0)
    anchor: int | None = None
    if best >= 3:
        # The first report of the most decisive kind: a runner's first failed test, a
        # compiler's first error (later ones often follow from it).
        anchor = next(i for i, kind in enumerate(kinds) if WEIGHTS.get(kind, 0) == best)
    elif best == 2:
        # Only complaints: the last one before the command ended is the likeliest.
        anchor = max(i for i, kind in enumerate(kinds) if kind == "error-words")
    signal = kinds[anchor] if anchor is not None else ""
    if anchor is None:
        if span is None:
            return None
        # No complaint at all: the tool's last words before it exited.
        quiet = [
            i for i, kind in enumerate(kinds) if kind in ("warning", "summary") or (kind == "other" and not BOILERPLATE.match(texts[i]))
        ]
        if not quiet:
            return None
        anchor = quiet[-1]
        while anchor > 0 and anchor - 1 in quiet and quiet[-1] - anchor < MAX_BLOCK - 2:
            anchor -= 1
        signal = "last-output"
    if texts[anchor].startswith("Traceback (most recent call last)"):
        # Python prints the exception last: the header and the exception line are the block.
        for i in range(anchor + 1, min(len(lines), anchor + TRACEBACK_LINES)):
            if texts[i][:1] not in (" ", "\t", "") and not texts[i].startswith("Traceback"):
                return Located((lines[anchor], lines[i]), signal)
    block = [lines[anchor]]
    prefix = TOOL_PREFIX.match(texts[anchor])
    gap = False
    for i in range(anchor + 1, len(lines)):
        if len(block) >= MAX_BLOCK or lines[i].number - block[-1].number > 2:
            break
        kind = kinds[i]
        if not texts[i].strip():
            if gap:
                break
            gap = True  # one blank line may sit inside a block (Composer, cargo's "Caused by:")
            continue
        if kind == "other" and BOILERPLATE.match(texts[i]):
            kind = "boilerplate"
        if kind in ("boilerplate", "wrapper", "summary", "baseline", "progress") or (
            kind == "test-failure" and signal == "test-failure"
        ):
            break
        same_tool = prefix is not None and texts[i].startswith(prefix.group(0))
        if WEIGHTS.get(kind, 0) >= 2 or CONTINUATION.match(texts[i]) or same_tool or signal == "last-output":
            block.append(lines[i])
            gap = False
            continue
        break
    return Located(tuple(block), "error-words" if signal == "numbered" else signal)


_PYTEST_HEADER = regex.compile(r"^_{3,} (.+) _{3,}$")
_PYTEST_CAPTURED = regex.compile(r"^-{3,} Captured (?:std(?:out|err)|log) (?:call|setup|teardown) -{3,}$")
_PYTEST_LOCATION = regex.compile(r"^\S+\.py:\d+: ")
_SECTION_END = regex.compile(r"^={3,}")


def test_noise_lines(window: Sequence[Line]) -> set[int]:
    """Lines of a failing test's source or captured output (pytest's failure sections).

    Inside a section ``____ test_x ____``, the test's source lines and its ``Captured ...``
    output are the test's text, not its failure: only the ``E`` lines and the ``file.py:N:``
    location say why it failed.
    """
    noise: set[int] = set()
    inside = captured = False
    for line in window:
        text = visible(line.text)
        if _PYTEST_HEADER.match(text):
            inside, captured = True, False
            continue
        if _SECTION_END.match(text):
            inside = captured = False
            continue
        if not inside:
            continue
        if _PYTEST_CAPTURED.match(text):
            captured = True
            continue
        if captured or not (text.startswith("E ") or _PYTEST_LOCATION.match(text)):
            noise.add(line.number)
    return noise
