"""Turn a log's bytes into numbered, normalised lines that know their phase.

Lines are counted by ``\\n`` only (as ``wc -l``, ripgrep and the CloudWatch
console count them); a lone ``\\r`` is a terminal progress redraw, not a line
break. Bytes are decoded as UTF-8 with invalid sequences replaced, ANSI escape
codes are stripped, and CodeBuild's agent lines (``[Container] <date> <time>
...``) are parsed so each line carries the phase it was printed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import regex

ANSI_ESCAPE = regex.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
"""CSI sequences (colours, cursor moves), OSC sequences (titles, links) and two-byte escapes."""

AGENT_LINE = regex.compile(r"^\[Container\] (\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?) ")
"""The CodeBuild agent's prefix; seconds-only before 2024, microseconds since."""

_PHASE_START = regex.compile(r"^(?:Entering phase|Phase is) ([A-Z_]+)\s*$")
_ECHO = regex.compile(r"^(?:Running command|Command did not exit successfully) ")


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
    """The whole line, decoded, ANSI codes and the trailing ``\\r`` removed."""
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


def line_from_raw(number: int, raw: bytes, phase: str | None) -> tuple[Line, str | None]:
    """Make line ``number`` from its raw bytes, given the phase before it; returns it and the phase after."""
    text = normalise(raw)
    kind = LineKind.OUTPUT
    body_start = 0
    if text.startswith("[Container] "):
        prefix = AGENT_LINE.match(text)
        if prefix is not None:
            body_start = prefix.end()
            body = text[body_start:]
            kind = LineKind.ECHO if _ECHO.match(body) else LineKind.AGENT
            started = _PHASE_START.match(body)
            if started is not None:
                phase = started.group(1)
    return Line(number, text, body_start, phase, kind), phase


def iter_lines(chunks: Iterable[bytes]) -> Iterator[Line]:
    """Number, normalise and phase-tag every line of a log."""
    phase: str | None = None
    for number, raw in enumerate(split_lines(chunks), start=1):
        line, phase = line_from_raw(number, raw, phase)
        yield line
