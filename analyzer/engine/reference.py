"""The reference matcher: every line decoded and searched with every rule's pattern.

Slow (about 3 MB/s for the shipped pack) and simple: it is the definition of
the right answer. The fast path (:mod:`analyzer.engine.fast`) must give the same
:class:`~analyzer.models.Diagnosis` on every log; a test holds it to that. Select
it with ``EngineOptions(engine="reference")`` or ``CODEBUILD_DOCTOR_ENGINE=reference``.
"""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.engine.lines import iter_lines
from analyzer.engine.matcher import Matcher
from analyzer.engine.tail import ErrorTail


def feed_all_lines(matcher: Matcher, chunks: Iterable[bytes], tail: ErrorTail | None = None) -> int:
    """Feed every line of the log to ``matcher`` (and ``tail``); returns the log's line count."""
    lines = iter_lines(chunks)
    matcher.feed(tail.tap(lines) if tail is not None else lines)
    if tail is not None:
        tail.close(matcher.lines)
    return matcher.lines
