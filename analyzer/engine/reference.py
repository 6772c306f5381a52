"""The reference matcher: every line decoded and searched with every rule's pattern.

Slow (about 3 MB/s for the shipped pack) and simple: it is the definition of
the right answer. The fast path (:mod:`analyzer.engine.fast`) must give the same
:class:`~analyzer.models.Diagnosis` on every log; a test holds it to that. Select
it with ``EngineOptions(engine="reference")`` or ``CODEBUILD_DOCTOR_ENGINE=reference``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from analyzer.engine.lines import Line, iter_lines
from analyzer.engine.matcher import Matcher
from analyzer.engine.structure import LinesWindow, StructureBuilder, Window
from analyzer.engine.tail import WINDOW as TAIL_WINDOW
from analyzer.engine.tail import ErrorTail


def feed_all_lines(
    matcher: Matcher,
    chunks: Iterable[bytes],
    tail: ErrorTail | None = None,
    structure: StructureBuilder | None = None,
) -> tuple[int, Window]:
    """Feed every line of the log to ``matcher``, ``tail`` and ``structure``.

    Returns the log's line count and its last lines, as :func:`analyzer.engine.fast.feed_prefiltered` does.
    """
    last: deque[Line] = deque(maxlen=max(TAIL_WINDOW, structure.window_size if structure else 0))
    before: deque[Line] = deque(maxlen=structure.window_size if structure else 1)

    def watched(lines: Iterator[Line]) -> Iterator[Line]:
        for line in lines:
            if structure is not None:
                structure.observe(line)
                if structure.wants_window is not None:
                    structure.take_window(LinesWindow(before))
                before.append(line)
            last.append(line)
            yield line

    lines = watched(iter_lines(chunks))
    matcher.feed(tail.tap(lines) if tail is not None else lines)
    if tail is not None:
        tail.close(matcher.lines)
    wanted = len(last) if structure is not None and structure.failure is None else TAIL_WINDOW
    return matcher.lines, LinesWindow(list(last)[-wanted:])
