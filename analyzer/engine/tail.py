"""Keep the last error-looking lines of a log, for builds no rule explains.

A report of an unknown failure is more useful when it shows where the log
complained last. :class:`ErrorTail` keeps the last ``size`` lines matching
:data:`ERRORISH` among the log's last :data:`WINDOW` lines: a bounded deque,
whatever the log's size. The reference engine taps every line; the fast engine
(which never visits most lines) taps only the last :data:`WINDOW` lines, and the
window makes both give the same answer.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator

from analyzer.engine.lines import Line, LineKind
from analyzer.engine.structure import Window
from analyzer.models import ContextLine

ERRORISH = re.compile(r"(?i)\b(?:error|fail(?:ed|ure)?|fatal|exception|denied|cannot|not found)\b")
"""A line that looks like a complaint: 'ERROR', 'failed', 'Permission denied', 'not found'..."""

_STATUS_ONLY = ("Entering phase", "Phase is", "Phase complete")
_WRAPPING_CONTEXT = re.compile(r"^Phase context status code:\s*(?:COMMAND_EXECUTION_ERROR\b|Message:)")


def reports_only(line: Line) -> bool:
    """Whether ``line`` is CodeBuild's own line that only reports a failure (``Phase complete:
    BUILD State: FAILED``, ``Command did not exit successfully``, a ``COMMAND_EXECUTION_ERROR``
    or empty phase context): the tail is for complaints, which the report says are "among the
    lines below". The agent's own errors (a runner token it could not fetch, a source it could
    not download) are kept."""
    if line.kind == LineKind.ECHO:
        return True
    if line.kind != LineKind.AGENT:
        return False
    body = line.text[line.body_start :]
    return body.startswith(_STATUS_ONLY) or _WRAPPING_CONTEXT.match(body) is not None


WINDOW = 1000
"""Only the log's last ``WINDOW`` lines are searched for the tail."""


class ErrorTail:
    """The last ``size`` lines that match :data:`ERRORISH`, CodeBuild's status lines left out
    (:func:`reports_only`; ``size`` 0 keeps none)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lines: deque[ContextLine] = deque(maxlen=size or 1)

    def tap(self, lines: Iterable[Line]) -> Iterator[Line]:
        """Yield ``lines`` unchanged, remembering the error-looking ones."""
        if self.size <= 0:
            yield from lines
            return
        search = ERRORISH.search
        keep = self._lines.append
        for line in lines:
            if search(line.text) and not reports_only(line):
                keep(ContextLine(line.number, line.text))
            yield line

    def close(self, last_line: int) -> None:
        """The log ended at line ``last_line``: forget lines before the window."""
        first = last_line - WINDOW + 1
        while self._lines and self._lines[0].line_number < first:
            self._lines.popleft()

    def lines(self) -> tuple[ContextLine, ...]:
        """The kept lines, in log order (call :meth:`close` first)."""
        return tuple(self._lines) if self.size > 0 else ()


def tail_before(window: Window, before: int, size: int) -> tuple[ContextLine, ...]:
    """The last ``size`` lines matching :data:`ERRORISH` (not :func:`reports_only`) in ``window``
    before line ``before`` (the first failure's marker), among the :data:`WINDOW` lines before it.

    When the log shows which command failed first, its complaints are the tail: lines of a later
    phase (a ``post_build`` script's source echoed, its ``STATUS='FAILED'``) are not.
    """
    if size <= 0:
        return ()
    found: list[ContextLine] = []
    last = min(before - 1, window.last)
    stop = max(window.first, before - WINDOW)
    while last >= stop and len(found) < size:
        first = max(stop, last - 255)
        for line in reversed(window.lines(first, last)):
            if ERRORISH.search(line.text) and not reports_only(line):
                found.append(ContextLine(line.number, line.text))
                if len(found) == size:
                    break
        last = first - 1
    return tuple(reversed(found))
