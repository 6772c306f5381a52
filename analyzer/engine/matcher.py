"""Match compiled rules against numbered lines and phase contexts, folding repeated hits.

Every pattern runs through the ``regex`` module with a timeout, so a
pathological pattern costs at most one timeout: the rule is reported as a
:class:`~analyzer.models.RuleProblem` and switched off, and the others go on.
Memory is bounded: a ring of recent lines for context and exclusions, a few
pending hits waiting for their following lines, and at most
``max_evidence`` kept hits per rule (the rest are only counted).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


from analyzer.engine.lines import PHASE_CONTEXT_LINE, PHASE_OUTCOME, Line, LineKind
from analyzer.redact import KEY_END, MASK_RE, find_secrets, mask, redact_lines, redact_match, redact_span, redact_text
from analyzer.models import (
    ContextLine,
    Evidence,
    NearbyCapture,
    Pattern,
    PhaseContext,
    Rule,
    RuleProblem,
    TextSource,
)


MAX_HIT_CAPTURES = 20
"""How many distinct capture sets of one rule's hits are kept for templates (``hits``)."""


@dataclass(frozen=True)
class MatchOptions:
    """Tuning of the matcher; the defaults suit a terminal report."""

    context_lines: int = 3
    """Lines of context kept before and after each kept hit."""
    max_evidence: int = 3
    """Hits kept per rule with their text and context; later hits are only counted."""
    regex_timeout: float = 1.0
    """Seconds one pattern may spend on one line before its rule is switched off."""
    max_text_chars: int = 1000
    """A longer line is shortened around the match (evidence) or at its end (context)."""
    redact: bool = True
    """Mask secrets (:mod:`analyzer.redact`) in evidence, context lines and captures as they
    are kept, so a rule's template never sees one (``--no-redact`` turns it off)."""


@dataclass
class _Hit:
    pattern_index: int
    line: Line | None
    segment: str
    start: int
    end: int
    captures: dict[str, str]
    phase: str | None
    spans: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    """Capture name -> (the text it was taken from, start, end): a capture is redacted in its line."""
    before: tuple[ContextLine, ...] = ()
    after: list[ContextLine] = field(default_factory=list)
    keep: bool = True
    vetoed: bool = False
    wait: int = 0
    pattern_indices: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.pattern_indices.add(self.pattern_index)


@dataclass
class RuleState:
    """What the matcher has learned about one rule so far."""

    rule: Rule
    count: int = 0
    hits: list[_Hit] = field(default_factory=list)
    patterns_hit: set[int] = field(default_factory=set)
    captures: dict[str, str] = field(default_factory=dict)
    """The first hit's captures, plus those of later hits that agree with them (see :meth:`Matcher._accept`)."""
    hit_captures: list[dict[str, str]] = field(default_factory=list)
    """Each accepted hit's own captures, distinct sets in log order (at most :data:`MAX_HIT_CAPTURES`)."""
    shown: dict[tuple[str, str], str] = field(default_factory=dict)
    """(name, value) of a kept capture -> the value redacted (empty when redaction is off)."""
    problem: str | None = None
    kept: int = 0
    """Hits marked to keep evidence for, pending ones included."""

    def shown_captures(self, captures: Mapping[str, str]) -> dict[str, str]:
        """``captures`` as a template and a report see them (redacted, unless that is off)."""
        return {name: self.shown.get((name, value), value) for name, value in captures.items()}

    def take_slot(self, limit: int) -> bool:
        """Reserve an evidence slot if fewer than ``limit`` are taken."""
        if self.kept >= limit:
            return False
        self.kept += 1
        return True

    @property
    def fired(self) -> bool:
        """Whether the rule's condition (any / all patterns) is met."""
        if self.count == 0:
            return False
        if self.rule.match_all:
            return len(self.patterns_hit) == len(self.rule.patterns)
        return True


class Matcher:
    """Streams lines through every rule; call :meth:`feed`, then :meth:`finish`."""

    def __init__(self, rules: Iterable[Rule], options: MatchOptions | None = None) -> None:
        self.options = options or MatchOptions()
        self.states = [RuleState(rule) for rule in rules]
        windows = [e.window for s in self.states for e in (*s.rule.exclusions, *s.rule.nearby)]
        self._lookback = max([self.options.context_lines, *windows])
        self._recent: deque[Line] = deque(maxlen=max(self._lookback, 1))
        self._pending: list[tuple[RuleState, _Hit]] = []
        self._phase_context_lines: set[tuple[str | None, str]] = set()
        self.phase_succeeded: dict[str, bool] = {}
        """Phase -> whether it succeeded, from the agent's ``Phase context status code`` lines."""
        self.lines = 0
        # Context lines are kept a little longer than shown: a secret cut at the limit would
        # no longer have its shape; they are redacted, then cut, in :meth:`_evidence`.
        self._context_chars = self.options.max_text_chars + (_SECRET_MARGIN if self.options.redact else 0)

    # -- log lines -------------------------------------------------------------------------

    def feed(self, lines: Iterable[Line], only: Mapping[int, Mapping[int, Collection[int]]] | None = None) -> None:
        """Match every line; hits wait for their following lines before they are kept.

        ``only`` (from a prefilter) maps a line number to ``{rule index: pattern indexes}``
        of the rules, and their patterns, that may match it; a line it does not name is
        context only, and a pattern it does not name is not run there. ``None`` tries every
        rule's every pattern.
        """
        states = self.states
        for line in lines:
            self.lines = line.number
            if self._pending:
                self._advance_pending(line)
            if line.kind == LineKind.AGENT and "Phase context status code:" in line.text:
                body = line.text[line.body_start :].strip()
                self._phase_context_lines.add((line.phase, body))
                outcome = PHASE_OUTCOME.match(body)
                if outcome is not None and line.phase is not None:
                    # An empty status code is how the agent reports a phase that succeeded.
                    self.phase_succeeded[line.phase] = not outcome.group(1).strip()
            if line.text:
                if only is None:
                    for state in states:
                        if state.problem is None:
                            self._match_line(state, line)
                else:
                    named = only.get(line.number, {})
                    for index in sorted(named):
                        state = states[index]
                        if state.problem is None:
                            self._match_line(state, line, named[index])
            self._recent.append(line)

    def _match_line(self, state: RuleState, line: Line, patterns: Collection[int] | None = None) -> None:
        hit: _Hit | None = None
        for index, pattern in enumerate(state.rule.patterns):
            if patterns is not None and index not in patterns:
                continue  # the prefilter rules it out on this line
            if not _applies(pattern, line):
                continue
            found = self._search(state, pattern, line.text, line.body_start)
            if state.problem is not None:
                return
            if found is None:
                continue
            segment, start, end, groups, spans = found
            if hit is None:
                hit = _Hit(index, line, segment, start, end, groups, line.phase, spans)
            else:
                # Later patterns that also match this line add their captures and, for
                # ``all`` rules, count as hit; the first one is the evidence.
                hit.pattern_indices.add(index)
                for key, value in groups.items():
                    if key not in hit.captures:
                        hit.captures[key] = value
                        hit.spans[key] = spans[key]
        if hit is None or self._vetoed_before(state, line):
            return
        if state.rule.nearby:
            self._capture_nearby(state.rule, hit)
        hit.keep = state.take_slot(self.options.max_evidence)
        if hit.keep and self.options.context_lines:
            hit.before = tuple(
                _context(prev, self._context_chars, self.options.redact)
                for prev in list(self._recent)[-self.options.context_lines :]
            )
        hit.wait = max(
            [self.options.context_lines if hit.keep else 0]
            + [e.window for e in state.rule.exclusions]
            + [n.window for n in state.rule.nearby if n.after]
        )
        if hit.wait:
            self._pending.append((state, hit))
        else:
            self._accept(state, hit)

    def _search(self, state: RuleState, pattern: Pattern, text: str, offset: int) -> Any:
        segments = text[offset:].split("\r") if "\r" in text else [text[offset:]]
        for segment in segments:
            if not segment:
                continue
            try:
                m = pattern.regex.search(segment, timeout=self.options.regex_timeout)
            except TimeoutError:
                state.problem = (
                    f"pattern {pattern.regex.pattern!r} took over {self.options.regex_timeout:g}s "
                    "on one line and was switched off for this log"
                )
                return None
            if m is not None:
                groups = {k: v for k, v in m.groupdict().items() if v is not None}
                spans = {k: (segment, *m.span(k)) for k in groups}
                if len(segments) == 1 and offset:
                    # Show the whole agent line, prefix included.
                    return text, m.start() + offset, m.end() + offset, groups, spans
                return segment, m.start(), m.end(), groups, spans
        return None

    def _capture_nearby(self, rule: Rule, hit: _Hit) -> None:
        """Add the captures of ``rule.nearby`` patterns found just before the hit (nearest first)."""
        recent = list(self._recent)
        for nearby in rule.nearby:
            if nearby.after:
                continue  # searched as the following lines arrive (:meth:`_advance_pending`)
            for prev in reversed(recent[-nearby.window :]):
                if self._capture_from(nearby, prev, hit):
                    break

    def _capture_from(self, nearby: NearbyCapture, line: Line, hit: _Hit) -> bool:
        """Add ``nearby``'s captures on ``line`` to ``hit`` (its own and earlier ones win); whether it matched."""
        try:
            m = nearby.regex.search(line.text[line.body_start :], timeout=self.options.regex_timeout)
        except TimeoutError:
            return False
        if m is None:
            return False
        body = line.text[line.body_start :]
        for key, value in m.groupdict().items():
            if value is not None and key not in hit.captures:
                hit.captures[key] = value
                hit.spans[key] = (body, *m.span(key))  # redacted in its own line when kept
        return True

    def _excluded(self, state: RuleState, exclusion: Any, text: str) -> bool:
        """Whether ``exclusion`` matches ``text``; a timeout switches the rule off (and vetoes).

        An ``exclude:`` pattern runs under the same timeout as a ``match:`` one: a timed-out
        one is reported and its rule switched off for the log, never retried line after line.
        """
        if state.problem is not None:
            return True
        try:
            return exclusion.regex.search(text, timeout=self.options.regex_timeout) is not None
        except TimeoutError:
            state.problem = (
                f"exclude pattern {exclusion.regex.pattern!r} took over {self.options.regex_timeout:g}s "
                "on one line and its rule was switched off for this log"
            )
            return True

    def _vetoed_before(self, state: RuleState, line: Line) -> bool:
        rule = state.rule
        for exclusion in rule.exclusions:
            window = [line] + list(self._recent)[-exclusion.window :] if exclusion.window else [line]
            if any(self._excluded(state, exclusion, prev.text) for prev in window):
                return True
        return False

    def _advance_pending(self, line: Line) -> None:
        still: list[tuple[RuleState, _Hit]] = []
        for state, hit in self._pending:
            assert hit.line is not None
            distance = line.number - hit.line.number
            if hit.keep and distance <= self.options.context_lines:
                hit.after.append(_context(line, self._context_chars, self.options.redact))
            for exclusion in state.rule.exclusions:
                if distance <= exclusion.window and self._excluded(state, exclusion, line.text):
                    hit.vetoed = True
            for nearby in state.rule.nearby:
                if nearby.after and distance <= nearby.window:
                    self._capture_from(nearby, line, hit)
            if distance >= hit.wait:
                self._accept(state, hit)
            else:
                still.append((state, hit))
        self._pending = still

    def _accept(self, state: RuleState, hit: _Hit) -> None:
        if hit.vetoed:
            return
        state.count += 1
        state.patterns_hit.update(hit.pattern_indices)
        if hit.captures:
            # A capture set comes from one hit: values of two lines spliced into one sentence
            # state a fact neither line says (field case 001: the package of a "Missing:" line
            # with the version wanted on the next "Invalid:" line). A later hit adds its
            # captures only when it agrees with every name already taken: another kind of fact
            # (a test's name, then the count of failures) or more of the same one (the package
            # of a 404, then its version range), never another instance of it.
            kept = False
            if all(state.captures.get(name, value) == value for name, value in hit.captures.items()):
                for name, value in hit.captures.items():
                    kept = state.captures.setdefault(name, value) == value or kept
            if hit.captures not in state.hit_captures and len(state.hit_captures) < MAX_HIT_CAPTURES:
                state.hit_captures.append(dict(hit.captures))
                kept = True
            if kept and self.options.redact:
                # Redacted as they are kept, in their whole line, so a capture holding part of
                # a secret holds the mask, not the part (only kept values cost a redaction).
                for name, value in hit.captures.items():
                    if (name, value) not in state.shown:
                        state.shown[name, value] = _redact_capture(hit, name)
        if hit.keep:
            state.hits.append(hit)

    # -- phase contexts of the build record ---------------------------------------------------

    def feed_phase_contexts(self, contexts: Iterable[tuple[str, PhaseContext]]) -> None:
        """Match the record's phase contexts (``BatchGetBuilds``) not already printed in the log."""
        for phase, context in contexts:
            if not context.status_code and not context.message:
                continue
            text = PHASE_CONTEXT_LINE.format(code=context.status_code, message=context.message)
            if (phase, text.strip()) in self._phase_context_lines:
                continue  # the log line is the better evidence: it has a line number
            for state in self.states:
                if state.problem is not None:
                    continue
                for index, pattern in enumerate(state.rule.patterns):
                    if pattern.source is TextSource.LOG:
                        continue
                    if pattern.phases and phase not in pattern.phases:
                        continue
                    found = self._search(state, pattern, text, 0)
                    if found is None:
                        continue
                    if any(self._excluded(state, e, text) for e in state.rule.exclusions):
                        break
                    segment, start, end, groups, spans = found
                    hit = _Hit(index, None, segment, start, end, groups, phase, spans)
                    hit.keep = state.take_slot(self.options.max_evidence)
                    self._accept(state, hit)
                    break

    # -- end ------------------------------------------------------------------------------

    def finish(self) -> Iterator[tuple[Rule, int, dict[str, str], tuple[Evidence, ...]]]:
        """Flush pending hits and yield ``(rule, count, captures, evidence)`` for each rule that fired.

        ``captures`` come from one hit (see :attr:`RuleState.captures`); every hit's own set is
        in :meth:`hits`.
        """
        for state, hit in self._pending:
            self._accept(state, hit)
        self._pending = []
        for state in self.states:
            if not state.fired:
                continue
            evidence = tuple(self._evidence(hit) for hit in state.hits)
            yield state.rule, state.count, state.shown_captures(state.captures), evidence

    def hits(self, rule: Rule) -> tuple[dict[str, str], ...]:
        """The distinct capture sets of ``rule``'s hits, in log order (for templates that list them)."""
        for state in self.states:
            if state.rule is rule:
                return tuple(state.shown_captures(c) for c in state.hit_captures)
        return ()

    def problems(self) -> list[RuleProblem]:
        """Rules that were switched off, with the reason."""
        return [RuleProblem(s.rule.id, s.problem) for s in self.states if s.problem]

    def _evidence(self, hit: _Hit) -> Evidence:
        segment, start, end = hit.segment, hit.start, hit.end
        before, after = hit.before, tuple(hit.after)
        limit = self.options.max_text_chars
        if self.options.redact:
            # The matched line and its context are redacted as one run (a private key's body
            # spans lines), before anything is shortened; a very long line first loses what
            # _shorten would drop anyway, keeping a margin so a secret at the cut keeps its shape.
            window = limit + _SECRET_MARGIN
            if len(segment) > 2 * window + (end - start):
                left = max(0, start - window)
                right = _past_key_end(segment, min(len(segment), end + window))
                segment, start, end = segment[left:right], start - left, end - left
            run = redact_lines([c.text for c in before] + [segment] + [c.text for c in after])
            if run[len(before)] != segment:
                key = mask("private-key")
                if run[len(before)] == key:
                    segment, start, end = key, 0, 0
                else:
                    segment, start, end, _ = redact_match(segment, start, end)
            before = tuple(ContextLine(c.line_number, _cut(t, limit)) for c, t in zip(before, run))
            after = tuple(ContextLine(c.line_number, _cut(t, limit)) for c, t in zip(after, run[len(before) + 1 :]))
        text, start, end = _shorten(segment, start, end, limit)
        return Evidence(
            source=TextSource.LOG if hit.line is not None else TextSource.PHASE_CONTEXT,
            text=text,
            match_start=start,
            match_end=end,
            line_number=hit.line.number if hit.line is not None else None,
            phase=hit.phase,
            before=before,
            after=after,
        )


def _applies(pattern: Pattern, line: Line) -> bool:
    if pattern.source is TextSource.PHASE_CONTEXT:
        return False
    if line.kind == LineKind.ECHO and not pattern.echo:
        return False
    if pattern.phases and line.phase is not None and line.phase not in pattern.phases:
        return False
    return True


_SECRET_MARGIN = 1024
"""Characters kept past the display limit of a context line until it is redacted."""


def _context(line: Line, limit: int, redacting: bool) -> ContextLine:
    if redacting and len(line.text) > limit:
        limit = _past_key_end(line.text, limit)
    return ContextLine(line.number, _cut(line.text, limit))


def _past_key_end(text: str, keep: int) -> int:
    """Where to cut ``text`` (to be redacted) near ``keep``: past a private key's END marker that
    the cut would drop, so the key's body before it (a key echoed on one line) keeps the shape
    redaction knows; a long key outlasts any fixed margin."""
    found = KEY_END.search(text, max(0, keep - 64))
    return max(keep, found.end()) if found else keep


def _cut(text: str, limit: int) -> str:
    """``text`` cut at ``limit`` characters (marked ``…``), never inside a mask."""
    if len(text) <= limit:
        return text
    for found in MASK_RE.finditer(text, max(0, limit - 64), limit + 64):
        if found.start() < limit < found.end():
            limit = found.end()
            break
    return text[:limit] + "…"


def _redact_capture(hit: _Hit, key: str) -> str:
    """The capture ``key`` of ``hit``, cut from its redacted line."""
    if key not in hit.spans:
        return redact_text(hit.captures[key])
    source, start, end = hit.spans[key]
    return redact_text(redact_span(source, start, end, find_secrets(source)))


def _shorten(text: str, start: int, end: int, limit: int) -> tuple[str, int, int]:
    """Cut ``text`` to about ``limit`` characters around ``[start, end)``, marking cuts with ``…``."""
    if len(text) <= limit:
        return text, start, end
    end = min(end, start + limit)  # a very long match is shown in part
    margin = max((limit - (end - start)) // 2, 40)
    left = max(0, start - margin)
    right = min(len(text), end + margin)
    prefix = "…" if left > 0 else ""
    suffix = "…" if right < len(text) else ""
    return prefix + text[left:right] + suffix, start - left + len(prefix), end - left + len(prefix)
