"""Keep the last error-looking lines of a log, for builds no rule explains.

A report of an unknown failure is more useful when it shows where the log
complained last. :class:`ErrorTail` taps the line stream on its way to the
matcher and keeps a bounded deque: memory is ``size`` lines whatever the log.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator

from analyzer.engine.lines import Line
from analyzer.models import ContextLine

ERRORISH = re.compile(r"(?i)\b(?:error|fail(?:ed|ure)?|fatal|exception|denied|cannot|not found)\b")
"""A line that looks like a complaint: 'ERROR', 'failed', 'Permission denied', 'not found'..."""


class ErrorTail:
    """The last ``size`` lines that match :data:`ERRORISH` (``size`` 0 keeps none)."""

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
            if search(line.text):
                keep(ContextLine(line.number, line.text))
            yield line

    def lines(self) -> tuple[ContextLine, ...]:
        """The kept lines, in log order."""
        return tuple(self._lines) if self.size > 0 else ()
