"""The log model's lines: a log's bytes turned into numbered, normalised lines that know their phase.

This module is the one place that knows how CI systems print their own lines:

- Lines are counted by ``\\n`` only (as ``wc -l``, ripgrep and the CloudWatch
  console count them); a lone ``\\r`` is a terminal progress redraw, not a line
  break. Bytes are decoded as UTF-8 with invalid sequences replaced and ANSI escape
  codes are stripped.
- The prefix a saved copy of a log adds to every line is removed: ``aws logs tail``
  (``2024-05-14T10:00:41.905000+00:00 <stream> ``), ``aws logs get-log-events --output
  text`` (``EVENTS<TAB>ingestion time<TAB>...<TAB>timestamp``), a CloudWatch console copy
  or GitHub Actions (a leading ISO 8601 time).
- CodeBuild's agent lines (``[Container] <date> <time> ...``, the seconds-only form
  before 2024 and the microsecond one since) are parsed, so each line carries the phase
  it was printed in; :data:`MARKERS` names the lines that end a command or a phase in
  CodeBuild, Travis CI and GitHub Actions logs (read by :mod:`analyzer.engine.structure`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import regex

ANSI_ESCAPE = regex.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[0-?@-Z\\-_]")
"""CSI sequences (colours, cursor moves), OSC sequences (titles, links) and two-byte escapes
(``ESC =`` keypad mode, ``ESC 7`` save cursor, ``ESC M``...)."""

AGENT_LINE = regex.compile(r"^\[Container\] (\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?) ")
"""The CodeBuild agent's prefix; seconds-only before 2024, microseconds since."""

CI_PREFIX = regex.compile(
    r"^(?:EVENTS\t\d+\t"  # aws logs get-log-events --output text (columns sorted: ingestionTime, message, timestamp)
    r"|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?"  # ISO 8601 time
    # ... then a tab (console copy), or a space and, from ``aws logs tail``, a CodeBuild log
    # stream name (the build's UUID, ``project/UUID`` when the project names the stream).
    r"(?:\t|[ ](?:[\w.:/-]*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[ ])?))"
)
"""The prefix a saved copy of a log puts before each line; removed from :attr:`Line.text`."""

PASTED_ROW = regex.compile(rb"^(\d{1,7}) \| ?")
"""A row of a table copied from the CodeBuild console and pasted into a Markdown page (a GitHub
issue renders it so): the log's line number, `` | ``, the line; the table's first row (its header)
has no number and the second is a ``--`` rule."""

PASTED_ROW_PREFIX = regex.compile(rb"^\d{1,7}(?: \| ?|\r?$)")
"""What is taken off each line of such a paste: the row number and `` | `` (a row whose line was
empty is its number alone)."""

COMPOSE_PREFIX = regex.compile(rb"^([A-Za-z0-9][\w.-]{0,62}?[_-]\d{1,3})\s+\|(?: |\r?$)")
"""The prefix ``docker compose`` puts before each line of a service's output (``agent_1  | ``,
``agent-1  | ``: the service and its replica number): CodeBuild's local agent
(``codebuild_build.sh``) runs so."""

_AGENT = b"[Container] "

_TABLE_RULE = regex.compile(rb"^\s*-{2,}(?:\s*\|\s*-{2,})*\s*$")

PASTE_PROBE_LINES = 400
"""Lines at the head of a log looked at for a pasted shape (:func:`pasted_shape`)."""


class PastedShape(NamedTuple):
    """How a log was pasted: the prefix on its lines, and what to call it in a note."""

    prefix: regex.Pattern[bytes]
    description: str


def pasted_shape(head: bytes) -> PastedShape | None:
    """The prefix the lines of a pasted log carry (:data:`PASTED_ROW`, :data:`COMPOSE_PREFIX`),
    told from the log's head; ``None`` for a log as CodeBuild wrote it.

    Only CodeBuild's own lines tell a paste: at least two of the prefixed lines hold an agent line
    (``[Container] ...``), console rows with rising numbers, compose lines of one service with no
    agent line outside the prefix. So a compiler's ``12 | code`` frame, CDK's ``Stack | 0/12 |``
    events, a coverage table, or a build that runs ``docker compose up`` is left alone.
    """
    lines = head.split(b"\n", PASTE_PROBE_LINES)[:PASTE_PROBE_LINES]
    rows = [m for m in map(PASTED_ROW.match, lines) if m is not None]
    numbers = [int(m.group(1)) for m in rows]
    agent_rows = sum(1 for m in rows if m.string.startswith(_AGENT, m.end()))
    if agent_rows >= 2 and all(a < b for a, b in zip(numbers, numbers[1:])):
        return PastedShape(PASTED_ROW_PREFIX, "a table pasted from the CodeBuild console ('N | ' before each line)")
    if any(line.startswith(_AGENT) for line in lines):
        return None  # the agent writes its lines itself: compose lines are the build's own output
    services: dict[bytes, int] = {}
    for found in map(COMPOSE_PREFIX.match, lines):
        if found is not None and found.string.startswith(_AGENT, found.end()):
            services[found.group(1)] = services.get(found.group(1), 0) + 1
    name = max(services, key=services.__getitem__, default=None)
    if name is None or services[name] < 2:
        return None
    return PastedShape(
        regex.compile(rb"^" + regex.escape(name) + rb"\s+\|(?: |\r?$)"),
        f"docker compose output ('{name.decode('ascii')} | ' before each line)",
    )


def strip_pasted(chunks: Iterable[bytes], prefix: regex.Pattern[bytes]) -> Iterator[bytes]:
    """``chunks`` with ``prefix`` taken off each line that starts with it (and, in a console
    table's rows, GitHub's ``\\|`` escape undone); lines keep their numbers. Give it bounded
    chunks (:class:`~analyzer.sources.base.BoundedLog`): it holds a line at a time."""
    unescape = prefix is PASTED_ROW_PREFIX
    batch: list[bytes] = []
    size = 0
    for line in split_lines(chunks):
        found = prefix.match(line)
        kept = line[found.end() :] if found is not None else line
        if found is not None and unescape:
            kept = kept.replace(b"\\|", b"|")  # GitHub escapes a cell's pipes
        batch.append(kept)
        size += len(kept) + 1
        if size >= 1 << 16:
            yield b"\n".join(batch) + b"\n"
            batch, size = [], 0
    if batch:
        yield b"\n".join(batch) + b"\n"


_EVENTS_TIMESTAMP = regex.compile(r"\t\d{10,16}$")
"""The ``timestamp`` column that ends an ``EVENTS`` row of ``get-log-events --output text``."""

PHASE_START = regex.compile(r"^(?:Entering phase|Phase is) ([A-Z_]+)\s*$")
"""An agent line starting a phase (the body after the agent prefix)."""
PHASE_COMPLETE = regex.compile(r"^Phase complete: ([A-Z_]+) (?:State: ([A-Z_]+)|Success: (true|false))")
"""An agent line ending a phase: ``State: FAILED`` (current agent) or ``Success: false`` (older)."""
PHASE_CONTEXT_LINE = "Phase context status code: {code} Message: {message}"
"""How the agent prints a phase context; record contexts are matched in the same form."""
PHASE_OUTCOME = regex.compile(r"^Phase context status code:(.*?) Message:")
"""The status code of an agent's phase context line; empty when the phase succeeded."""
_ECHO = regex.compile(r"^(?:Running command|Command did not exit successfully) ")

AGENT_STRUCTURE = ("Entering phase", "Phase is", "Phase context status code:", "Phase complete", "Command did not")
"""How the body of every agent line the log's structure reads starts (a damaged one too:
``Command did not\ufffd exit`` still tells a CodeBuild log)."""
MARKER_HINTS = ("Phase complete", "Command did not", "The command", "##[error]", "Done. Your build", "COMMAND_EXECUTION_ERROR")
"""Every line :data:`MARKERS` may match holds one of these."""
PHASE_LITERALS = tuple(hint.encode() for hint in AGENT_STRUCTURE[:2])
"""Every agent line that may start a phase holds one of these (checked exactly later)."""
PHASE_CONTEXT_LITERAL = AGENT_STRUCTURE[2].encode()
"""Every agent line that prints a phase context holds this."""
MARKER_LITERALS = tuple(hint.encode() for hint in MARKER_HINTS if hint not in AGENT_STRUCTURE[:3])
"""With the two above, the literals the prefilter finds the structure's lines by: every line
:meth:`analyzer.engine.structure.StructureBuilder.observe` acts on holds one (the same words it
tests, so the fast path shows it the lines the reference shows it)."""

MARKERS: tuple[tuple[str, regex.Pattern[str]], ...] = (
    # CodeBuild: the agent's own lines (matched in the body after ``[Container] <time> ``).
    ("codebuild-command-failed", regex.compile(r"^Command did not exit successfully (?P<command>.*) exit status (?P<status>\d+)\s*$")),
    ("codebuild-phase-complete", PHASE_COMPLETE),
    # The phase context pasted as text (the console's phase details, ``COMMAND_EXECUTION_ERROR:
    # Error while executing command: x. Reason: exit status 1``, or the agent's line without its
    # prefix): a report quoting only this still names the command that failed.
    (
        "codebuild-phase-details",
        regex.compile(
            r"^.{0,200}?\bCOMMAND_EXECUTION_ERROR(?::| Message:) Error while executing command: "
            r"(?P<command>.+)\. Reason: exit status (?P<status>\d+)\s*$"
        ),
    ),
    # Travis CI: after every command of the ``script`` phase, and after a failed setup command.
    ("travis-command", regex.compile(r'^The command "(?P<command>.*)" (?:failed and )?exited with (?P<status>\d+)(?: during [^.]*)?\.\s*$')),
    ("travis-done", regex.compile(r"^Done\. Your build exited with (?P<status>\d+)\.\s*$")),
    # GitHub Actions: the runner's line after a failed step.
    ("actions-exit", regex.compile(r"^##\[error\]Process completed with exit code (?P<status>\d+)\.?\s*$")),
)
"""Lines that end a command or a phase, with its exit status, by CI system (see :mod:`analyzer.engine.structure`)."""

LOGGED_BELOW_ERROR = regex.compile(
    r"(?i)^(?:[\d:.,/TZ+-]+\s+){0,2}\[?\s*(?:warn(?:ing)?|info|notice|debug|trace)\s*\]?(?:\s|:)"
)
"""A line a program logged at a level below error (``08:18:45.909 [warning] ...``, ``WARN [main]``,
``WARNING:root:``, after up to two date and time columns): the program went on after it."""

COMMAND_START = regex.compile(
    r"^(?:Running command (?P<codebuild>.*)"  # CodeBuild agent (body)
    r"|\$ (?P<travis>\S.*)"  # Travis CI echoes each command
    r"|##\[group\]Run (?P<actions>.*))$"  # GitHub Actions step
)
"""A line that starts a command's output (the body of an agent line, or a visible line)."""


class LineKind:
    """What printed a line."""

    OUTPUT = "output"
    """Output of a buildspec command (no agent prefix)."""
    AGENT = "agent"
    """A line of the CodeBuild agent (``[Container] ...``)."""
    ECHO = "echo"
    """The agent echoing a command: ``Running command ...``, ``Command did not exit successfully ...``."""


@dataclass(frozen=True, slots=True)
class Line:
    """One normalised log line."""

    number: int
    """1-based, counted by ``\\n`` in the log as fetched."""
    text: str
    """The whole line, decoded, ANSI codes, a saved copy's prefix (:data:`CI_PREFIX`) and the
    trailing ``\\r`` removed."""
    body_start: int
    """Offset in :attr:`text` where the message starts (after an agent prefix, else 0)."""
    phase: str | None
    """The phase the line was printed in; ``None`` before the agent named one."""
    kind: str


def split_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield the lines of a byte stream without their ``\\n``; memory is one line plus one chunk.

    A last line without a trailing ``\\n`` is still a line; an empty stream has none.
    """
    carry = bytearray()
    for chunk in chunks:
        if not chunk:
            continue
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                carry += chunk[start:]
                break
            if carry:
                carry += chunk[start:end]
                yield bytes(carry)
                carry.clear()
            else:
                yield chunk[start:end]
            start = end + 1
    if carry:
        yield bytes(carry)


def normalise(raw: bytes) -> str:
    """Decode one line (invalid UTF-8 replaced), strip ANSI codes, a trailing ``\\r`` and NULs."""
    text = raw.decode("utf-8", "replace")
    if "\x1b" in text:
        text = ANSI_ESCAPE.sub("", text)
    if text.endswith("\r"):
        text = text.rstrip("\r")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def strip_ci_prefix(text: str) -> str:
    """``text`` without the prefix a saved copy of a log adds (:data:`CI_PREFIX`)."""
    if not text or text[0] not in "E0123456789":
        return text
    prefix = CI_PREFIX.match(text)
    if prefix is None:
        return text
    if text.startswith("EVENTS"):
        text = _EVENTS_TIMESTAMP.sub("", text)
    return text[prefix.end() :]


def visible(text: str) -> str:
    """What a terminal shows of a line: its last non-blank ``\\r`` segment (a redraw overwrites)."""
    if "\r" not in text:
        return text
    for segment in reversed(text.split("\r")):
        if segment.strip():
            return segment
    return ""


def line_from_raw(number: int, raw: bytes, phase: str | None) -> tuple[Line, str | None]:
    """Make line ``number`` from its raw bytes, given the phase before it; returns it and the phase after."""
    text = strip_ci_prefix(normalise(raw))
    kind = LineKind.OUTPUT
    body_start = 0
    if text.startswith("[Container] "):
        prefix = AGENT_LINE.match(text)
        if prefix is not None:
            body_start = prefix.end()
            body = text[body_start:]
            kind = LineKind.ECHO if _ECHO.match(body) else LineKind.AGENT
            started = PHASE_START.match(body)
            if started is not None:
                phase = started.group(1)
            elif body.startswith("Phase complete: "):
                # The line ending a phase names it, and the context line after it is that phase's:
                # a phase whose ``Entering phase`` line is missing must not take the one before.
                completed = PHASE_COMPLETE.match(body)
                if completed is not None:
                    phase = completed.group(1)
            elif body.startswith("Phase context status code:"):
                # A phase's last line: what follows is the next phase's, unnamed until it is entered.
                return Line(number, text, body_start, phase, kind), None
    return Line(number, text, body_start, phase, kind), phase


def iter_lines(chunks: Iterable[bytes]) -> Iterator[Line]:
    """Number, normalise and phase-tag every line of a log."""
    phase: str | None = None
    for number, raw in enumerate(split_lines(chunks), start=1):
        line, phase = line_from_raw(number, raw, phase)
        yield line
