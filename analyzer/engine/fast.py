"""Feed a log to the :class:`~analyzer.engine.matcher.Matcher` through the prefilter.

The log streams in as byte chunks of any size; they are re-cut into line-aligned
blocks of about :data:`BLOCK_SIZE` (the partial last line is carried), so memory
stays at a block or two whatever the log's size. For each block:

1. ANSI codes and NULs are stripped in bytes (``\\n`` kept, so line numbers hold)
   and the prefilter scans the block once (:meth:`Prefilter.events`);
2. event offsets are turned into line numbers with ``bytes.count`` between
   sorted offsets: there is no Python loop over the lines of a block;
3. lines that may start a phase are decoded and checked exactly, giving the
   block's phase changes;
4. each candidate line is decoded and searched with the real patterns that
   flagged it (on a line with İ, ı, ſ or K, the pure-Python path adds its case-insensitive ones); a line that really
   matches is *confirmed*;
5. the lines around each confirmed line (the matcher's look-back: context and
   exclusion windows) are fed, in order, to the very matcher the reference path
   uses, so folding, exclusions, context, captures and phase scoping are the same
   code. Lines printing a phase context are fed too.

A line the matcher is never fed cannot match any rule (the prefilter is a
superset), and every fed stretch starts ``look-back`` lines before its first
possible hit, so the matcher's ring of recent lines is the same as when it sees
every line. Results are identical to :func:`analyzer.engine.reference.feed_all_lines`
(a test runs both on every fixture and on generated logs), except that a pattern
that times out on a line the prefilter rules out is not reported.
"""

from __future__ import annotations

import bisect
import itertools
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from analyzer.engine.lines import Line, line_from_raw
from analyzer.engine.matcher import Matcher
from analyzer.engine.prefilter import ANY_ID, CONTEXT_ID, MARKER_ID, PHASE_ID, Prefilter, clean_block
from analyzer.engine.structure import StructureBuilder, Window
from analyzer.engine.tail import WINDOW as TAIL_WINDOW
from analyzer.engine.tail import ErrorTail

if TYPE_CHECKING:
    from analyzer.engine.locator import CandidateScanner

BLOCK_SIZE = 4 << 20
"""Bytes per scanned block (line-aligned; a longer line makes a longer block). 2-4 MiB measured
fastest on the 100 MB benchmark log (a block cleaned by the worker is still in cache when it is
scanned); 1 MiB and 16 MiB were 5-10% slower."""


def line_blocks(chunks: Iterable[bytes], block_size: int = BLOCK_SIZE) -> Iterator[bytes]:
    """Re-cut a byte stream into blocks that end with ``\\n`` (the last one may not).

    A block is about ``block_size`` bytes (up to a chunk more): chunks are gathered until
    they reach it, then joined up to their last ``\\n``, so each byte is copied once; a
    line longer than that is one block.
    """
    parts: list[bytes] = []
    size = 0
    searched = 0  # parts[:searched] are known to hold no "\n"
    for chunk in _pieces(chunks, block_size):
        if not chunk:
            continue
        parts.append(chunk)
        size += len(chunk)
        if size < block_size:
            continue
        at, cut = len(parts) - 1, -1
        while at >= searched:
            cut = parts[at].rfind(b"\n")
            if cut >= 0:
                break
            at -= 1
        if cut < 0:
            searched = len(parts)  # a line longer than a block: wait for its end
            continue
        last = parts[at]
        head, rest = (last, b"") if cut == len(last) - 1 else (last[: cut + 1], last[cut + 1 :])
        yield head if at == 0 else b"".join([*parts[:at], head])
        parts = ([rest] if rest else []) + parts[at + 1 :]
        size = sum(len(part) for part in parts)
        searched = 0
    if parts:
        yield parts[0] if len(parts) == 1 else b"".join(parts)


def _pieces(chunks: Iterable[bytes], block_size: int) -> Iterator[bytes]:
    """The chunks, a chunk over twice ``block_size`` (a whole file given at once) in
    ``block_size`` pieces, so that it still makes many blocks, not one."""
    for chunk in chunks:
        if len(chunk) <= 2 * block_size:
            yield chunk
        else:
            for start in range(0, len(chunk), block_size):
                yield chunk[start : start + block_size]


def _skip_lines(buf: bytes, pos: int, k: int) -> int:
    """The offset just after the ``k``-th ``\\n`` at or after ``pos`` (``len(buf)`` if there are fewer).

    Whole 16 KiB steps are counted with ``bytes.count`` (C speed); the last step is walked.
    """
    size = len(buf)
    step = 1 << 14
    count = buf.count
    while k > 64:
        end = min(pos + step, size)
        seen = count(b"\n", pos, end)
        if seen >= k:
            break
        k -= seen
        pos = end
        if end == size:
            return size
    find = buf.find
    for _ in range(k):
        found = find(b"\n", pos)
        if found < 0:
            return size
        pos = found + 1
    return pos


class _Block:
    """One line-aligned block: raw bytes, the number of its first line and its phase changes."""

    def __init__(self, raw: bytes, cleaned: bytes, first: int, phase: str | None, newlines: int) -> None:
        self.raw = raw
        self.cleaned = cleaned
        # Known line starts in ``cleaned`` (from the events), to find lines near them.
        self.clean_lines: list[int] = [first]
        self.clean_offsets: list[int] = [0]
        self._fetched: dict[int, bytes] = {}
        self._raw_next = (0, 0, -1)
        """(line, its offset in raw, segment) just after the last raw line fetched."""
        self.segments: tuple[list[int], list[int]] | None = None
        """Line-aligned segment starts in ``raw`` and in ``cleaned``, when cleaning moved offsets."""
        self.first = first
        self.last = first + newlines - (0 if raw and not raw.endswith(b"\n") else 1)
        self.start_phase = phase
        self.change_lines: list[int] = []
        self.change_phases: list[str | None] = []
        # Known line starts (number -> offset), so a lookup counts newlines from the nearest one.
        self._mark_lines = [first]
        self._mark_offsets = [0]

    def mark(self, number: int, offset: int) -> None:
        """Remember that line ``number`` starts at ``offset``."""
        at = bisect.bisect_left(self._mark_lines, number)
        if at == len(self._mark_lines) or self._mark_lines[at] != number:
            self._mark_lines.insert(at, number)
            self._mark_offsets.insert(at, offset)

    def fetch(self, numbers: list[int]) -> None:
        """Read lines ``numbers`` (sorted, inside the block) in one forward pass.

        A line is taken from the cleaned block when that cannot change it: the block
        needed no cleaning, or the cleaned line is ASCII with no ESC and no ``\\r``
        (then ``normalise`` gives the same text from either). Others are looked up in
        the raw block, counting newlines from the nearest known line start.
        """
        cleaned = self.cleaned
        same = cleaned is self.raw
        rest: list[int] = []
        at = max(bisect.bisect_right(self.clean_lines, numbers[0]) - 1, 0) if numbers else 0
        number, pos = self.first, 0
        for target in numbers:
            while at + 1 < len(self.clean_lines) and self.clean_lines[at + 1] <= target:
                at += 1
            if self.clean_lines[at] > number:
                number, pos = self.clean_lines[at], self.clean_offsets[at]
            pos = _skip_lines(cleaned, pos, target - number)
            number = target
            end = cleaned.find(b"\n", pos)
            if end < 0:
                end = len(cleaned)
            line = cleaned[pos:end]
            if same or (line.isascii() and b"\x1b" not in line and b"\r" not in line):
                self._fetched[target] = line
            elif self.segments is not None:
                self._fetch_raw_near(target, pos)
            else:
                rest.append(target)
        self._fetch_raw(rest)

    def _fetch_raw_near(self, target: int, clean_pos: int) -> None:
        """Raw line ``target`` that starts at ``clean_pos`` in ``cleaned``: found within its segment,
        or just after the raw line fetched last (a run of lines, such as the error tail)."""
        assert self.segments is not None
        raw_starts, clean_starts = self.segments
        seg = bisect.bisect_right(clean_starts, clean_pos) - 1
        line, raw_pos, last_seg = self._raw_next
        if last_seg == seg and line <= target:
            # Counting on from the raw line fetched last in this segment (a run of lines).
            pos = _skip_lines(self.raw, raw_pos, target - line)
        else:
            skip = self.cleaned.count(b"\n", clean_starts[seg], clean_pos)
            pos = _skip_lines(self.raw, raw_starts[seg], skip)
        end = self.raw.find(b"\n", pos)
        if end < 0:
            end = len(self.raw)
        self._fetched[target] = self.raw[pos:end]
        self._raw_next = (target + 1, end + 1, seg)

    def lines_at(self, numbers: Sequence[int]) -> list[Line]:
        """Lines ``numbers`` (sorted, inside the block), normalised and phase-tagged."""
        fetched = self._fetched
        missing = [n for n in numbers if n not in fetched]
        if missing:
            self.fetch(missing)
        return [line_from_raw(n, fetched[n], self.phase_before(n))[0] for n in numbers]

    def clean_offset(self, number: int) -> int:
        """Where line ``number`` (inside the block, or just after it) starts in ``cleaned``."""
        at = bisect.bisect_right(self.clean_lines, number) - 1
        return _skip_lines(self.cleaned, self.clean_offsets[at], number - self.clean_lines[at])

    def candidates(self, scanner: Any, first: int, last: int) -> dict[int, list[int]]:
        """Numbers of the lines ``first..last`` (inside the block) that hold a candidate
        pattern, by the scanner's group index; their starts are remembered, so fetching them
        counts no lines."""
        cleaned = self.cleaned
        start = self.clean_offset(first)
        end = self.clean_offset(last + 1) if last < self.last else len(cleaned)
        hits = sorted(scanner.offsets(cleaned[start:end]))
        groups: dict[int, list[int]] = {}
        starts: dict[int, int] = {}
        number, previous = first, start
        for offset, group in hits:
            offset += start
            if offset != previous:
                number += cleaned.count(b"\n", previous, offset)
                previous = offset
            if number > last:
                break
            numbers = groups.setdefault(group, [])
            if not numbers or numbers[-1] != number:
                numbers.append(number)
            if number not in starts:
                starts[number] = cleaned.rfind(b"\n", 0, offset) + 1
        for numbers in groups.values():
            numbers.sort()
        known = dict(zip(self.clean_lines, self.clean_offsets, strict=True))
        known.update(starts)
        self.clean_lines = sorted(known)
        self.clean_offsets = [known[n] for n in self.clean_lines]
        return groups

    def mark_clean(self, number: int, offset: int) -> None:
        """Remember that line ``number`` starts at ``offset`` in ``cleaned``."""
        at = bisect.bisect_left(self.clean_lines, number)
        if at == len(self.clean_lines) or self.clean_lines[at] != number:
            self.clean_lines.insert(at, number)
            self.clean_offsets.insert(at, offset)

    def line_starts_backwards(self) -> Iterator[tuple[int, int]]:
        """``(line, offset in cleaned)`` of the block's lines, from its last back to its first
        (``rfind`` is C speed; counting forwards from the nearest known line may cross the block)."""
        cleaned = self.cleaned
        # Whether the last line is ended is the raw block's say: a last line of only ANSI
        # codes or NULs cleans to nothing, and then ``cleaned`` ends with the line before's "\n".
        end = len(cleaned) - (1 if self.raw.endswith(b"\n") else 0)
        for number in range(self.last, self.first - 1, -1):
            start = cleaned.rfind(b"\n", 0, end) + 1
            yield number, start
            end = start - 1

    def _fetch_raw(self, numbers: list[int]) -> None:
        raw = self.raw
        at = 0
        number, pos = self.first, 0
        for target in numbers:
            while at + 1 < len(self._mark_lines) and self._mark_lines[at + 1] <= target:
                at += 1
            if self._mark_lines[at] > number:
                number, pos = self._mark_lines[at], self._mark_offsets[at]
            pos = _skip_lines(raw, pos, target - number)
            number = target
            end = raw.find(b"\n", pos)
            if end < 0:
                end = len(raw)
            self._fetched[target] = raw[pos:end]

    def raw_line(self, number: int) -> bytes:
        """One line's raw bytes: fetched, else looked up."""
        if number not in self._fetched:
            self.fetch([number])
        return self._fetched[number]

    def raw_lines(self, first: int, last: int) -> Iterator[tuple[int, bytes]]:
        """Raw bytes of lines ``first..last`` (inside the block)."""
        at = bisect.bisect_right(self._mark_lines, first) - 1
        number, pos = self._mark_lines[at], self._mark_offsets[at]
        pos = _skip_lines(self.raw, pos, first - number)
        if first - number > 64:
            self.mark(first, pos)
        raw = self.raw
        for n in range(first, last + 1):
            end = raw.find(b"\n", pos)
            if end < 0:
                end = len(raw)
            yield n, raw[pos:end]
            pos = end + 1

    def phase_before(self, number: int) -> str | None:
        """The phase in force just before line ``number`` of this block."""
        at = bisect.bisect_left(self.change_lines, number)
        return self.change_phases[at - 1] if at else self.start_phase

    def lines(self, first: int, last: int) -> Iterator[Line]:
        """Lines ``first..last`` of this block, normalised and phase-tagged."""
        fetched = self._fetched
        missing = [n for n in range(first, last + 1) if n not in fetched]
        if missing:
            self.fetch(missing)
        for number, raw in ((n, fetched[n]) for n in range(first, last + 1)):
            line, _ = line_from_raw(number, raw, self.phase_before(number))
            yield line


def feed_prefiltered(
    matcher: Matcher,
    chunks: Iterable[bytes],
    prefilter: Prefilter,
    error_tail: ErrorTail | None = None,
    structure: StructureBuilder | None = None,
) -> tuple[int, Window]:
    """Feed ``matcher`` the lines of a log that can matter; returns the log's line count and
    its last :data:`~analyzer.engine.tail.WINDOW` lines (more when the log never said which
    command failed: the structure's window).

    ``structure`` is shown every line the prefilter flags as structural (phase, phase context,
    marker), in order, and given the lines before the first failure when it asks. Those and the
    last lines (the error tail's window, or the structure's when nothing said which command
    failed) are read from the last blocks, kept for that up to :data:`TAIL_BYTES`, so a log
    whose last lines are giant may give fewer.
    """
    rules = [state.rule for state in matcher.states]
    unicode_slots = set(prefilter.unicode_slots)
    look = matcher._lookback  # lines of context or exclusion window a hit looks back and forward
    timeout = matcher.options.regex_timeout
    timed_out: set[int] = set()  # rules whose pattern timed out while confirming a candidate
    phase: str | None = None
    first = 1
    last_fed = 0
    need_until = 0
    tail: list[Line] = []
    recent: deque[_Block] = deque()  # the last blocks, for the error tail and the failure window
    kept = 0  # their raw bytes
    keep_lines = max(TAIL_WINDOW, structure.window_size if structure is not None else 0)
    for raw, (cleaned, segments) in _cleaned_blocks(line_blocks(chunks, BLOCK_SIZE)):
        by_line, newlines, marks = _events_by_line(prefilter.events(cleaned), cleaned, first)
        block = _Block(raw, cleaned, first, phase, newlines)
        block.segments = segments
        # The last lines' starts too, for the tail kept for the next block.
        marks.extend(itertools.islice(block.line_starts_backwards(), look + 1))
        if look:
            # And the start of each candidate's look-back, found backwards from the candidate
            # (counting forwards from the candidate before may cross most of the block);
            # not when that candidate is within ``look`` lines (dense candidates).
            previous = block.first
            for number, start in sorted(marks):
                if number - look > previous:
                    for _ in range(look):
                        start = cleaned.rfind(b"\n", 0, start - 1) + 1
                    marks.append((number - look, start))
                previous = number
        for number, offset in sorted(set(marks)):
            if number > block.first:
                block.clean_lines.append(number)
                block.clean_offsets.append(offset)
        if prefilter.direct:
            for number in range(block.first, block.last + 1):
                by_line.setdefault(number, set()).update(prefilter.direct)
        # One forward pass fetches every line that may be needed: phase lines, candidates
        # and their look-back/forward, and the lines a pending hit still waits for.
        wanted: set[int] = set(by_line)
        for number in by_line:
            wanted.update(range(max(number - look, block.first), min(number + look, block.last) + 1))
        if need_until >= block.first:
            wanted.update(range(block.first, min(need_until, block.last) + 1))
        block.fetch(sorted(wanted))
        # Phase changes, exactly as the reference decides them.
        # (A phase's complete and context lines end it, so they may change the phase too.)
        for number in sorted(n for n, ids in by_line.items() if ids & _STRUCTURAL):
            before = block.phase_before(number)
            _, after = line_from_raw(number, block.raw_line(number), before)
            if after != before:
                block.change_lines.append(number)
                block.change_phases.append(after)
        if structure is not None:
            for number in sorted(n for n, ids in by_line.items() if ids & _STRUCTURAL):
                (line,) = block.lines(number, number)
                structure.observe(line)
                if structure.wants_window is not None:
                    first_wanted = max(structure.wants_window - structure.window_size, 1)
                    structure.take_window(_BlocksWindow([*recent, block], first_wanted, number - 1, prefilter.candidates))
        ranges: list[tuple[int, int]] = []
        only: dict[int, dict[int, set[int]]] = {}  # confirmed line -> {rule: patterns} that may match it
        if need_until >= block.first:
            ranges.append((block.first, need_until))
        for number in sorted(by_line):
            ids = by_line[number]
            slots = sorted({i for i in ids if i >= 0} | (unicode_slots if ANY_ID in ids else set()))
            # A rule switched off (a pattern timed out) is not tried again, here or in the matcher.
            slots = [
                i
                for i in slots
                if prefilter.slots[i][0] not in timed_out and matcher.states[prefilter.slots[i][0]].problem is None
            ]
            if slots and _confirmed(block, number, slots, prefilter, rules, timeout, timed_out):
                named: dict[int, set[int]] = {}
                for slot in slots:
                    rule_index, pattern_index = prefilter.slots[slot]
                    named.setdefault(rule_index, set()).add(pattern_index)
                only[number] = named
                ranges.append((number - look, number + look))
            elif CONTEXT_ID in ids:
                # Fed with its look-back too: every stretch starts ``look`` lines before the
                # line it is for, so clipping a stretch at the last line fed leaves no gap.
                ranges.append((number - look, number))
        need_until = 0
        for start, end in _merge(ranges):
            start = max(start, last_fed + 1, 1)
            if end < start:
                continue
            lines: list[Line] = [line for line in tail if start <= line.number <= end]
            if end > block.last:
                need_until = end
            stop = min(end, block.last)
            if stop >= max(start, block.first):
                lines.extend(block.lines(max(start, block.first), stop))
            if lines:
                matcher.feed(lines, only)
                last_fed = lines[-1].number
        if look and block.last >= block.first:
            # The last ``look`` lines seen, for a stretch that starts before the next block
            # (a block may hold fewer lines than that: one long line).
            tail_first = max(block.first, block.last - look + 1)
            tail = (tail + list(block.lines(tail_first, block.last)))[-look:]
        phase = block.phase_before(block.last + 1)
        first = block.last + 1
        if block.last >= block.first:
            recent.append(block)
            kept += len(block.raw)
            while len(recent) > 1 and (
                block.last - recent[1].first + 1 >= keep_lines or kept - len(recent[0].raw) >= TAIL_BYTES
            ):
                kept -= len(recent.popleft().raw)
    # The last lines: the error tail's window, or, when the log never said which command
    # failed, the structure's (the locator then reads the end of the log).
    wanted = keep_lines if structure is not None and structure.failure is None else TAIL_WINDOW
    last_lines = _BlocksWindow(list(recent), max(first - wanted, 1), first - 1, prefilter.candidates)
    if error_tail is not None:
        for _ in error_tail.tap(last_lines.lines(first - TAIL_WINDOW, first - 1)):
            pass
        error_tail.close(first - 1)
    return first - 1, last_lines


_STRUCTURAL = frozenset((PHASE_ID, CONTEXT_ID, MARKER_ID))


class _BlocksWindow(Window):
    """A window over the kept blocks: lines decoded on demand, candidates found in the cleaned
    bytes by the locator's :class:`~analyzer.engine.locator.CandidateScanner`."""

    def __init__(self, blocks: Iterable[_Block], first: int, last: int, scanner: CandidateScanner | None = None) -> None:
        self._scanner = scanner
        self._blocks = [b for b in blocks if b.last >= b.first and b.last >= first and b.first <= last]
        self.first = max(first, self._blocks[0].first) if self._blocks else first
        self.last = min(last, self._blocks[-1].last) if self._blocks else first - 1
        self._candidates: dict[str, list[int]] | None = None

    def lines(self, first: int, last: int) -> list[Line]:
        first, last = max(first, self.first), min(last, self.last)
        found: list[Line] = []
        for block in self._blocks:
            if block.last >= first and block.first <= last:
                found.extend(block.lines(max(first, block.first), min(last, block.last)))
        return found

    def lines_at(self, numbers: Sequence[int]) -> list[Line]:
        found: list[Line] = []
        for block in self._blocks:
            inside = [n for n in numbers if max(block.first, self.first) <= n <= min(block.last, self.last)]
            if inside:
                found.extend(block.lines_at(inside))
        return found

    def candidates(self, first: int, last: int, group: str = "trigger") -> list[int]:
        if self._candidates is None:
            from analyzer.engine.locator import candidate_scanner

            scanner = self._scanner or candidate_scanner()
            found: dict[str, list[int]] = {name: [] for name in scanner.groups}
            for block in self._blocks:
                inside = block.candidates(scanner, max(self.first, block.first), min(self.last, block.last))
                for index, numbers in inside.items():
                    found[scanner.groups[index]].extend(numbers)
            self._candidates = found
        numbers = self._candidates[group]
        return numbers[bisect.bisect_left(numbers, first) : bisect.bisect_right(numbers, last)]

    def clip(self, last: int) -> Window:
        return _BlocksWindow(self._blocks, self.first, min(last, self.last), self._scanner)


TAIL_BYTES = 16 << 20
"""Raw bytes of the last blocks kept for the error tail: :data:`TAIL_WINDOW` lines of any sane log."""


SEGMENT = 1 << 16
"""Bytes per line-aligned segment cleaned alone; a raw line is found within its segment."""


def clean_segments(raw: bytes) -> tuple[bytes, tuple[list[int], list[int]] | None]:
    """:func:`clean_block` by line-aligned segments, with the segments' starts in both.

    Lines keep their numbers; a line of the cleaned block is found in the raw one by
    counting newlines from its segment's start only. No segments when nothing changed.
    """
    if b"\x1b" not in raw and b"\x00" not in raw:
        return raw, None
    raw_starts, clean_starts, parts = [], [], []
    start, done = 0, 0
    while start < len(raw):
        cut = raw.find(b"\n", start + SEGMENT) if start + SEGMENT < len(raw) else -1
        end = cut + 1 if cut >= 0 else len(raw)
        part = clean_block(raw[start:end])
        raw_starts.append(start)
        clean_starts.append(done)
        parts.append(part)
        done += len(part)
        start = end
    # Escape sequences and NULs never cross a \n, so cleaning by lines' segments is cleaning.
    return b"".join(parts), (raw_starts, clean_starts)


def _cleaned_blocks(blocks: Iterable[bytes]) -> Iterator[tuple[bytes, tuple[bytes, Any]]]:
    """``(raw, cleaned)`` blocks; the next block is cleaned in a thread while this one is matched.

    ``regex`` releases the GIL while it strips ANSI codes from an immutable ``bytes``, so
    on two cores the strip (~450 MB/s) overlaps the scan and line counting of the block
    before. Memory: one more block.
    """
    if (os.cpu_count() or 1) < 2:
        for raw in blocks:
            yield raw, clean_segments(raw)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ansi-strip") as pool:
        pending: tuple[bytes, Future[Any]] | None = None
        for raw in blocks:
            future = pool.submit(clean_segments, raw)
            if pending is not None:
                yield pending[0], pending[1].result()
            pending = (raw, future)
        if pending is not None:
            yield pending[0], pending[1].result()


def _events_by_line(
    events: list[tuple[int, int]], cleaned: bytes, first: int
) -> tuple[dict[int, set[int]], int, list[tuple[int, int]]]:
    """Group ``(offset, id)`` events by line number, counting ``\\n`` between sorted offsets.

    Returns the events by line, the block's count of ``\\n`` and ``(line, offset)`` of each
    event line's start in ``cleaned`` (sorted).
    """
    by_line: dict[int, set[int]] = {}
    marks: list[tuple[int, int]] = []
    events.sort()
    count = cleaned.count
    number = first
    previous = 0
    for offset, event_id in events:
        if offset != previous:
            number += count(b"\n", previous, offset)
            previous = offset
        ids = by_line.get(number)
        if ids is None:
            by_line[number] = {event_id}
            marks.append((number, cleaned.rfind(b"\n", 0, offset) + 1))
        else:
            ids.add(event_id)
    newlines = number - first + count(b"\n", previous)
    return by_line, newlines, marks


def _confirmed(
    block: _Block, number: int, slots: list[int], prefilter: Prefilter, rules: Any, timeout: float, timed_out: set[int]
) -> bool:
    """Whether a real pattern of ``slots`` matches line ``number`` (a timeout counts as a match,
    and its rule joins ``timed_out``: it is not tried on later lines)."""
    (line,) = block.lines(number, number)
    if not line.text:
        return False
    text = line.text[line.body_start :]
    segments = text.split("\r") if "\r" in text else [text]
    for slot in slots:
        r, p = prefilter.slots[slot]
        compiled = rules[r].patterns[p].regex
        for segment in segments:
            if not segment:
                continue
            try:
                if compiled.search(segment, timeout=timeout) is not None:
                    return True
            except TimeoutError:
                timed_out.add(r)
                return True  # let the matcher meet the same timeout and switch the rule off
    return False


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
