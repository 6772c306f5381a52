"""The log model's structure: phases, commands, their exit status, and where the build first failed.

Both engine paths show a :class:`StructureBuilder` the lines that may be structural (the
reference path every line; the fast path the lines the prefilter flags with a phase, phase
context or marker literal, which are a superset), in order. It keeps:

- each phase's outcome (from ``Phase complete: X State: Y`` and phase contexts);
- every line that ends a command or a phase (:data:`analyzer.engine.lines.MARKERS`), with its
  exit status;
- the **first failure**: the first marker of a failed command or phase;
- the lines before the first failure (up to :data:`FAILURE_WINDOW`), handed over by the engine
  when the builder asks (:attr:`StructureBuilder.wants_window`), and the log's last lines.

From those, :meth:`StructureBuilder.finish` makes a :class:`LogStructure`: the failing command's
output span, which the ranking (roles) and the failure locator read. It is bounded: a few
hundred markers and two windows of lines, whatever the log's size.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from analyzer.engine.lines import (
    AGENT_STRUCTURE,
    COMMAND_START,
    MARKER_HINTS,
    MARKERS,
    PHASE_COMPLETE,
    PHASE_OUTCOME,
    Line,
    LineKind,
    visible,
)

FAILURE_WINDOW = 50_000
"""Lines kept before the first failure: the failing command's output that the locator reads.
A test suite's first failure report may sit tens of thousands of lines above the runner's exit
(pytest and sbt print every test); the window is read on demand, so its size costs little."""

MAX_MARKERS = 10_000
"""Markers kept (a log of a million ``The command`` lines keeps its first ones)."""



@dataclass(frozen=True)
class Marker:
    """A line that ends a command or a phase."""

    line: int
    kind: str
    """Which CI printed it: ``codebuild-command-failed``, ``travis-command``, ``actions-exit``..."""
    failed: bool
    status: str | None = None
    """The exit status or phase state as printed (``1``, ``FAILED``, ``TIMED_OUT``)."""
    command: str | None = None
    phase: str | None = None


class Window:
    """A stretch of the log's lines, read on demand (the lines before the first failure, or the
    log's last lines).

    A window of tens of thousands of lines is a few megabytes of raw bytes; only the lines a
    reader asks for are decoded. :meth:`candidates` names the lines that may be of interest
    (by group of :data:`analyzer.engine.locator.CANDIDATE_GROUPS`: a superset, found in the raw bytes),
    so a reader decodes those and their neighbours, not the whole window.
    """

    first: int = 1
    last: int = 0

    def __len__(self) -> int:
        return max(self.last - self.first + 1, 0)

    def __bool__(self) -> bool:
        return self.last >= self.first

    def __iter__(self) -> Iterator[Line]:
        return iter(self.lines(self.first, self.last))

    def lines(self, first: int, last: int) -> list[Line]:
        """The lines numbered ``first..last`` (clipped to the window), decoded."""
        raise NotImplementedError

    def lines_at(self, numbers: Sequence[int]) -> list[Line]:
        """The lines of ``numbers`` (sorted) that are in the window, decoded."""
        raise NotImplementedError

    def candidates(self, first: int, last: int, group: str = "trigger") -> list[int]:
        """Numbers of the lines in ``first..last`` that may hold a pattern of ``group`` (sorted):
        every line whose decoded text holds one is among them."""
        raise NotImplementedError

    def clip(self, last: int) -> Window:
        """This window without its lines after ``last``."""
        raise NotImplementedError


class LinesWindow(Window):
    """A window of lines already decoded (the reference path, tests): every line is a candidate."""

    def __init__(self, lines: Iterable[Line]) -> None:
        self._lines = tuple(lines)
        self._numbers = [line.number for line in self._lines]
        if self._lines:
            self.first, self.last = self._numbers[0], self._numbers[-1]

    def _slice(self, first: int, last: int) -> slice:
        return slice(bisect.bisect_left(self._numbers, first), bisect.bisect_right(self._numbers, last))

    def lines(self, first: int, last: int) -> list[Line]:
        return list(self._lines[self._slice(first, last)])

    def lines_at(self, numbers: Sequence[int]) -> list[Line]:
        found = []
        for number in numbers:
            at = bisect.bisect_left(self._numbers, number)
            if at < len(self._numbers) and self._numbers[at] == number:
                found.append(self._lines[at])
        return found

    def candidates(self, first: int, last: int, group: str = "trigger") -> list[int]:
        return self._numbers[self._slice(first, last)]

    def clip(self, last: int) -> Window:
        return LinesWindow(self._lines[: bisect.bisect_right(self._numbers, last)])


def as_window(lines: Window | Iterable[Line]) -> Window:
    """``lines`` as a :class:`Window` (a sequence of lines is wrapped)."""
    return lines if isinstance(lines, Window) else LinesWindow(lines)


@dataclass(frozen=True)
class LogStructure:
    """What the log says of its own structure: the answer of :class:`StructureBuilder`."""

    ci: str | None
    """``codebuild``, ``travis``, ``actions`` or ``None`` (plain tool output)."""
    markers: tuple[Marker, ...]
    failure: Marker | None
    """The first failed command or phase, if the log says."""
    command_start: int | None
    """The line that started the failing command (its echo), when found in the window."""
    command: str | None
    """The failing command, as the CI printed it."""
    window: Window
    """The lines before :attr:`failure` (at most :data:`FAILURE_WINDOW`), else the log's last lines."""
    last_line: int
    phase_outcomes: dict[str, bool] = field(default_factory=dict)
    """Phase -> whether it succeeded, from the log's agent lines."""
    open_phase: str | None = None
    """A CodeBuild phase that was entered and never completed: the log stops mid-phase."""

    @property
    def failure_span(self) -> tuple[int, int] | None:
        """``(first, last)`` lines of the failing command's output, when the log says where it failed."""
        if self.failure is None:
            return None
        start = self.command_start + 1 if self.command_start is not None else (self.window.first if self.window else 1)
        return start, self.failure.line - 1


class StructureBuilder:
    """Collects a log's structure as its lines stream past (see the module docstring)."""

    def __init__(self, window: int = FAILURE_WINDOW) -> None:
        self.window_size = window
        self.markers: list[Marker] = []
        self.failure: Marker | None = None
        self.wants_window: int | None = None
        """Set to the first failure's line number until :meth:`take_window` is called."""
        self.phase_outcomes: dict[str, bool] = {}
        self._window: Window = LinesWindow(())
        self._ci: str | None = None
        self._phase_entered: str | None = None
        self._phase_completed: set[str] = set()
        self._agent_seen = False

    def observe(self, line: Line) -> None:
        """Look at a line that may be structural (any line may be given; most return at once)."""
        if line.kind != LineKind.OUTPUT:
            body = line.text[line.body_start :]
            if not body.startswith(AGENT_STRUCTURE):
                return
            self._ci = self._ci or "codebuild"
            self._agent_seen = True
            if line.phase:
                self._phase_entered = line.phase
            if body.startswith("Phase context status code:"):
                outcome = PHASE_OUTCOME.match(body)
                if outcome is not None and line.phase is not None:
                    # An empty status code is how the agent reports a phase that succeeded.
                    self.phase_outcomes[line.phase] = not outcome.group(1).strip()
                return
        else:
            body = visible(line.text)
        if not any(hint in body for hint in MARKER_HINTS):
            return
        for kind, pattern in MARKERS:
            found = pattern.match(body)
            if found is None:
                continue
            if kind == "codebuild-phase-complete":
                if line.kind == LineKind.OUTPUT:
                    return
                phase, state, success = found.group(1), found.group(2), found.group(3)
                self._phase_completed.add(phase)
                ok = state == "SUCCEEDED" if state else success == "true"
                self.phase_outcomes.setdefault(phase, ok)
                marker = Marker(line.number, kind, not ok, state or ("SUCCEEDED" if ok else "FAILED"), None, phase)
            elif kind == "codebuild-phase-details" and self._agent_seen:
                # The agent writes its own phase lines: quoted phase details in its log are
                # another build's (a child build's status a script printed), not this one's.
                return
            elif kind == "codebuild-command-failed":
                if line.kind == LineKind.OUTPUT:
                    return
                marker = Marker(line.number, kind, True, found.group("status"), found.group("command"), line.phase)
            else:
                self._ci = self._ci or kind.split("-")[0]
                groups = found.groupdict()
                status = groups.get("status")
                marker = Marker(line.number, kind, status not in (None, "0"), status, groups.get("command"), line.phase)
            if len(self.markers) < MAX_MARKERS:
                self.markers.append(marker)
            if marker.failed and self.failure is None and marker.kind != "travis-done":
                self.failure = marker
                self.wants_window = marker.line
            return

    def take_window(self, lines: Window | Iterable[Line]) -> None:
        """The lines just before the first failure (the engine gives them once it is found;
        at most :attr:`window_size` are kept)."""
        window = as_window(lines)
        if len(window) > self.window_size:
            window = _Tail(window, window.last - self.window_size + 1)
        self._window = window
        self.wants_window = None

    def finish(self, last_lines: Window | Iterable[Line], last_line: int) -> LogStructure:
        """The structure, given the log's last lines (used as the window when nothing failed)."""
        failure = self.failure
        if failure is None:
            # Travis's closing line says the build failed, but not which command did.
            done = next((m for m in self.markers if m.kind == "travis-done" and m.failed), None)
            window = as_window(last_lines)
            if done is not None:
                window = window.clip(done.line - 1)
        else:
            window = self._window
        command_start, command = None, failure.command if failure else None
        for line in _backwards(window):
            body = line.text[line.body_start :] if line.kind != LineKind.OUTPUT else visible(line.text)
            started = COMMAND_START.match(body)
            if started is not None and (line.kind != LineKind.OUTPUT or not started.group("codebuild")):
                command_start = line.number
                command = command or next(g for g in started.groups() if g is not None)
                break
        open_phase = None
        if self._ci == "codebuild" and self._phase_entered and self._phase_entered not in self._phase_completed:
            open_phase = self._phase_entered
        return LogStructure(
            ci=self._ci,
            markers=tuple(self.markers),
            failure=failure,
            command_start=command_start,
            command=command,
            window=window,
            last_line=last_line,
            phase_outcomes=dict(self.phase_outcomes),
            open_phase=open_phase,
        )


def _backwards(window: Window, batch: int = 256) -> Iterator[Line]:
    """The window's candidate lines, last first, decoded a batch at a time."""
    numbers = window.candidates(window.first, window.last, "command")
    for end in range(len(numbers), 0, -batch):
        yield from reversed(window.lines_at(numbers[max(end - batch, 0) : end]))


class _Tail(Window):
    """The lines of a window from ``first`` on."""

    def __init__(self, window: Window, first: int) -> None:
        self._window = window
        self.first, self.last = max(first, window.first), window.last

    def lines(self, first: int, last: int) -> list[Line]:
        return self._window.lines(max(first, self.first), last)

    def lines_at(self, numbers: Sequence[int]) -> list[Line]:
        return self._window.lines_at([n for n in numbers if n >= self.first])

    def candidates(self, first: int, last: int, group: str = "trigger") -> list[int]:
        return self._window.candidates(max(first, self.first), last, group)

    def clip(self, last: int) -> Window:
        return _Tail(self._window.clip(last), self.first)


PHASE_ORDER = ("SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD",
               "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED")
"""CodeBuild's phases in execution order."""

__all__ = [
    "FAILURE_WINDOW",
    "LinesWindow",
    "LogStructure",
    "Marker",
    "PHASE_COMPLETE",
    "PHASE_ORDER",
    "StructureBuilder",
    "Window",
    "as_window",
]
