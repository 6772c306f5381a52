"""Which lines of a log can match: one multi-pattern scan of a whole block of bytes.

The full ``regex`` patterns (captures, timeouts, all of ``regex``'s syntax) are
too slow to run on every line (~3 MB/s for the shipped pack). A prefilter scans
a line-aligned block of bytes once for all rules and names the lines that *may*
match; only those are decoded and searched with the real patterns.

The prefilter is a *superset*, never a judge: a line it names is checked by the
real pattern, and every line a real pattern matches is named. Each rule pattern
is parsed (Python's ``re`` parser, named groups renamed away) into a byte-level
approximation that holds on lines of ASCII text:

- ``^``, ``$``, lookarounds and back-references are dropped (they only narrow);
- every character atom becomes the byte class of the ASCII characters it matches
  under ``regex``'s own semantics (case folding included), minus ``\\n``/``\\r``/NUL,
  plus the bytes ``0x80-0xff``; trailing optional parts and ``.+``-like tails are
  trimmed (a trailing ``.+`` would report every byte of a line).

A text character is one ASCII byte or a run of bytes ``>= 0x80`` (UTF-8, or
invalid bytes that decode to U+FFFD), so an atom that may match a non-ASCII
character also accepts ``[\\x80-\\xff]+``, and ``\\b`` is dropped: the
approximation then holds on every line. Two back-ends share that plan:

- **hyperscan** (``pip install 'codebuild-doctor[fast]'``): one block-mode
  database of all patterns, no start of match;
- **pure Python**: a required literal of each pattern (lower-cased) fed to one
  pyahocorasick automaton (or ``bytes.find`` when pyahocorasick is missing too);
  as ``regex`` folds ``k`` to K (Kelvin), ``s`` to ſ and ``i`` to İ and ı, a line
  holding one of those is checked by every case-insensitive pattern.

A pattern neither can handle is *scanned directly*: its ``regex`` runs on every line.
:func:`prefilter_support` tells ``rules lint`` why, per pattern.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import regex

from analyzer.engine.lines import MARKER_LITERALS, PHASE_CONTEXT_LITERAL, PHASE_LITERALS
from analyzer.models import Rule, TextSource

try:  # Python 3.11+: the parser behind ``re``; used read-only to walk a pattern's tree.
    from re import _constants as C
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - older layout
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

PREFILTER_VERSION = "1"
"""Bump when the translation changes: it is part of the on-disk cache key."""

MIN_LITERAL = 3
"""The pure-Python back-end needs a required literal at least this long."""

ENGINE_ENV = "CODEBUILD_DOCTOR_ENGINE"
"""Environment variable that forces a back-end: ``hyperscan``, ``python`` or ``reference``."""


_NAMED_GROUP = re.compile(r"\\.|\[(?:\\.|[^\]\\])*\]|\(\?P?<(?![=!])[A-Za-z_]\w*>")
_ASCII = [chr(c) for c in range(128)]
_DROPPED_BYTES = {0, 10, 13}  # NUL is stripped before the scan; no match spans \n or \r


def hyperscan_module() -> Any:
    """The ``hyperscan`` module, or ``None`` when it is not installed or loads badly."""
    try:
        import hyperscan
    except Exception:  # ImportError, or a broken shared library
        return None
    return hyperscan


def ahocorasick_module() -> Any:
    """The ``ahocorasick`` module (pyahocorasick), or ``None``."""
    try:
        import ahocorasick
    except Exception:
        return None
    return ahocorasick


def engine_versions() -> str:
    """Versions that change what the prefilter compiles to (part of the cache key)."""
    hs = hyperscan_module()
    hs_version = getattr(hs, "__version__", "?") if hs is not None else "none"
    return f"prefilter={PREFILTER_VERSION};regex={regex.__version__};hyperscan={hs_version}"


def choose_backend(requested: str = "auto") -> str:
    """Resolve ``auto`` (or the :data:`ENGINE_ENV` override) to ``hyperscan``, ``python`` or ``reference``."""
    choice = os.environ.get(ENGINE_ENV) or requested
    if choice not in ("auto", "hyperscan", "python", "reference"):
        raise ValueError(f"{ENGINE_ENV}: unknown engine {choice!r} (auto, hyperscan, python, reference)")
    if choice == "auto":
        return "hyperscan" if hyperscan_module() is not None else "python"
    if choice == "hyperscan" and hyperscan_module() is None:
        raise ValueError("engine 'hyperscan' asked for, but hyperscan is not installed (pip install hyperscan)")
    return choice


# -- translation of one pattern ------------------------------------------------------------------


@dataclass(frozen=True)
class PatternPlan:
    """How one rule pattern is prefiltered."""

    hs_expression: bytes | None
    """The byte-level approximation for hyperscan; ``None`` if there is none."""
    hs_caseless: bool
    """Compile :attr:`hs_expression` with ``HS_FLAG_CASELESS``."""
    literals: tuple[bytes, ...]
    """Lower-cased literals of which every match holds at least one; empty if none."""
    reasons: tuple[str, ...]
    """Why a back-end cannot prefilter the pattern (empty when both can)."""
    ignore_case: bool = False
    """Case-insensitive: its literals may also match İ, K or ſ, which ``bytes.lower`` does not fold."""


class _Unsupported(Exception):
    pass


def _strip_group_names(pattern: str) -> str:
    """``(?P<name>x)`` -> ``(x)``: ``re`` rejects the duplicate names ``regex`` allows."""
    return _NAMED_GROUP.sub(lambda m: "(" if m.group(0).startswith("(") else m.group(0), pattern)


_FUZZY = re.compile(r"(?<!\\)\{[\s\d,<=+deis]*[deis][\s\d,<=+deis]*(?::[^}]*)?\}")
"""A fuzzy-matching constraint (``{e<=1}``, ``{i<=1,d<=1}``, ``{e}``, ``{e<=1:[a-z]}``): ``re``
reads it as literal text."""


def _parse(pattern: str, flags: int) -> Any:
    if _FUZZY.search(pattern):
        raise _Unsupported("uses fuzzy matching ({e<=n}), which only the regex module knows")
    plain = _strip_group_names(pattern)
    try:
        with warnings.catch_warnings():
            # ``[[:digit:]]`` (a POSIX class in ``regex``) is a "possible nested set" to ``re``,
            # which reads it as another set: refused rather than misread.
            warnings.simplefilter("error", FutureWarning)
            return sre_parse.parse(plain, flags & (re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE))
    except (re.error, OverflowError, RecursionError, FutureWarning) as exc:
        raise _Unsupported(f"uses syntax only the regex module knows ({exc})") from None


def _atom_text(op: Any, av: Any) -> str:
    """An atom back in ``regex`` syntax, to ask ``regex`` which ASCII characters it matches."""
    if op is C.LITERAL:
        return regex.escape(chr(av))
    if op is C.NOT_LITERAL:
        return "[^" + regex.escape(chr(av)) + "]"
    if op is C.ANY:
        return "."
    if op is C.IN:
        parts = []
        negate = False
        for iop, iav in av:
            if iop is C.NEGATE:
                negate = True
            elif iop is C.LITERAL:
                parts.append(regex.escape(chr(iav)))
            elif iop is C.RANGE:
                parts.append(regex.escape(chr(iav[0])) + "-" + regex.escape(chr(iav[1])))
            elif iop is C.CATEGORY:
                parts.append(_CATEGORY_TEXT[iav])
            else:
                raise _Unsupported(f"a character class item the prefilter does not know ({iop})")
        return "[" + ("^" if negate else "") + "".join(parts) + "]"
    raise _Unsupported(f"an atom the prefilter does not know ({op})")


_CATEGORY_TEXT = {
    C.CATEGORY_DIGIT: r"\d",
    C.CATEGORY_NOT_DIGIT: r"\D",
    C.CATEGORY_SPACE: r"\s",
    C.CATEGORY_NOT_SPACE: r"\S",
    C.CATEGORY_WORD: r"\w",
    C.CATEGORY_NOT_WORD: r"\W",
}


@lru_cache(maxsize=4096)
def _ascii_members(text: str, ignore_case: bool) -> frozenset[int]:
    """The ASCII characters (codes) that the one-character ``regex`` ``text`` matches."""
    compiled = regex.compile(text, regex.VERSION0 | regex.DOTALL | (regex.IGNORECASE if ignore_case else 0))
    return frozenset(c for c, ch in enumerate(_ASCII) if compiled.fullmatch(ch) is not None)


def _byte_class(members: Iterable[int], high: bool) -> bytes:
    codes = sorted(set(members) - _DROPPED_BYTES)
    if len(codes) == 1 and not high:
        return _escape_byte(codes[0])
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    body = b"".join(
        b"\\x%02x" % a if a == b else b"\\x%02x-\\x%02x" % (a, b) for a, b in runs
    ) + (b"\\x80-\\xff" if high else b"")
    return b"[" + body + b"]"


def _escape_byte(code: int) -> bytes:
    ch = bytes([code])
    return ch if ch.isalnum() else b"\\x%02x" % code


class _Translator:
    """Walks a parsed pattern and writes its byte-level, ASCII-line approximation for hyperscan."""

    def __init__(self, ignore_case: bool) -> None:
        self.ignore_case = ignore_case
        self.caseless = ignore_case

    def seq(self, items: Sequence[Any], trim: bool = False) -> bytes:
        items = list(items)
        if trim:
            items = _trim_tail(items)
        return b"".join(self.node(op, av) for op, av in items)

    def node(self, op: Any, av: Any) -> bytes:
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            return self.atom(op, av)
        if op is C.AT:
            # ^, $, \A, \Z: a line's text starts and ends in more places than the block's;
            # \b, \B: between two non-ASCII characters bytes cannot tell. Dropped: they only narrow.
            return b""
        if op in (C.ASSERT, C.ASSERT_NOT, C.GROUPREF):
            return b""  # they only narrow the match
        if op is C.BRANCH:
            return b"(?:" + b"|".join(self.seq(branch) for branch in av[1]) + b")"
        if op is C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            outer = self.ignore_case
            if add_flags & C.SRE_FLAG_IGNORECASE:
                self.caseless = True  # over-approximates: the whole pattern becomes caseless
                self.ignore_case = True  # and inside the group, k, s and i fold beyond ASCII
            if del_flags & C.SRE_FLAG_IGNORECASE:
                self.ignore_case = False
            try:
                return b"(?:" + self.seq(sub) + b")"
            finally:
                self.ignore_case = outer
        if op is C.ATOMIC_GROUP:
            return b"(?:" + self.seq(av) + b")"
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, sub = av
            body = b"(?:" + self.seq(sub) + b")"
            if high is C.MAXREPEAT:
                return body + (b"*" if low == 0 else b"+" if low == 1 else b"{%d,}" % low)
            if (low, high) == (0, 1):
                return body + b"?"
            if high > 1000:
                raise _Unsupported(f"a bounded repeat of {high}")
            return body + b"{%d,%d}" % (low, high)
        raise _Unsupported(f"a construct the prefilter does not know ({op})")

    def atom(self, op: Any, av: Any) -> bytes:
        # One character of the text is one ASCII byte or a run of bytes >= 0x80 (a UTF-8
        # sequence, or invalid bytes that decode to U+FFFD each): ``[\x80-\xff]+`` stands for
        # any number of such characters, so an atom that may match a non-ASCII character
        # keeps the approximation a superset on any line, ASCII or not.
        if op is C.LITERAL and av >= 128 and av != 0xFFFD and not self.caseless:
            # A non-ASCII literal matches only its own UTF-8 bytes (invalid input decodes to
            # U+FFFD, excluded): far more selective than a run of high bytes. Not when caseless:
            # ``regex`` folds non-ASCII case, hyperscan does not.
            return b"".join(_escape_byte(b) for b in chr(av).encode("utf-8"))
        text = _atom_text(op, av)
        members = _ascii_members(text, self.ignore_case)
        if op is C.LITERAL and av < 128 and av not in _DROPPED_BYTES:
            folds_beyond_ascii = self.ignore_case and chr(av).lower() in _FOLDS_BEYOND_ASCII
            if self.caseless and chr(av).isalpha():
                letter = _escape_byte(ord(chr(av).lower()))
                return b"(?:" + letter + _HIGH_RUN_ALT + b")" if folds_beyond_ascii else letter
            if members == {av}:
                return _escape_byte(av)
        ascii_part = sorted(set(members) - _DROPPED_BYTES)
        if not ascii_part:
            return _HIGH_RUN
        return b"(?:" + _byte_class(ascii_part, high=False) + _HIGH_RUN_ALT + b")"


_HIGH_RUN = rb"[\x80-\xff]+"
_HIGH_RUN_ALT = b"|" + _HIGH_RUN
_FOLDS_BEYOND_ASCII = frozenset("iks")
"""ASCII letters that ``regex`` IGNORECASE also matches to a non-ASCII character (İ, K, ſ)."""


def _trim_tail(items: list[Any]) -> list[Any]:
    """Drop what may match nothing at the end, and cut a final ``X{m,n}`` to ``X{m}``."""
    while items:
        op, av = items[-1]
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            items.pop()
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] == 0:
            items.pop()
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, _high, sub = av
            items[-1] = (op, (low, low, sub))
            break
        elif op is C.SUBPATTERN:
            inner = _trim_tail(list(av[3]))
            if _min_width_of(inner) == 0:
                items.pop()
                continue
            items[-1] = (op, (av[0], av[1], av[2], sre_parse.SubPattern(av[3].state, inner)))
            break
        else:
            break
    return items


def _trim_head(items: list[Any]) -> list[Any]:
    """Drop what comes before the first run of :data:`MIN_LITERAL`+ ASCII literals at the top
    level (or group that requires such a literal), else before the first ASCII literal (a line
    matching ``A B`` holds a match of ``B``).

    A leading class run such as ``^\\s+[\\w.-]*`` gives hyperscan no literal to start from
    and, in one database with hundreds of patterns, costs the whole scan its speed; so does a
    short literal that is common in logs followed by one (pip's ``==\\S+ from https?://``
    alone took a third of the 100 MB scan). Starting at the longest literal run instead was
    measured: it skips literals inside groups, such as ``(?:failed|errors?)``, and made the
    scan ten times slower."""
    first = None
    for index, (op, av) in enumerate(items):
        if op is C.LITERAL and 32 <= av < 127:
            if first is None:
                first = index
            run = index
            while run < len(items) and items[run][0] is C.LITERAL and 32 <= items[run][1] < 127:
                run += 1
            if run - index >= MIN_LITERAL:
                first = index
                break
        elif op in (C.SUBPATTERN, C.BRANCH, C.ATOMIC_GROUP):
            # A group every match of which holds a literal of 3+ (``(?:failed|errors?)``).
            literals = _required([(op, av)], ignore_case=False)
            if literals and min(len(x) for x in literals) >= MIN_LITERAL:
                first = index
                break
    return items[first:] if first else items


def _min_width(items: Any) -> int:
    try:
        return items.getwidth()[0]
    except Exception:  # noqa: BLE001 - a width we cannot compute is treated as zero
        return 0


def _required(items: Sequence[Any], ignore_case: bool) -> tuple[bytes, ...] | None:
    """Literals of which every match of ``items`` holds one (lower-cased), or ``None``."""
    factors: list[tuple[bytes, ...]] = []
    run = bytearray()

    def close() -> None:
        if run:
            factors.append((bytes(run).lower(),))
            run.clear()

    for op, av in items:
        if op is C.LITERAL and 32 <= av < 127:
            run.append(av)
            continue
        if op is C.LITERAL and av >= 128 and av != 0xFFFD and not ignore_case:
            # A non-ASCII character matches only its own UTF-8 bytes in the decoded text (an
            # invalid sequence decodes to U+FFFD, excluded here), and ``bytes.lower`` leaves them.
            run.extend(chr(av).encode("utf-8"))
            continue
        if op is C.IN and not ignore_case:
            lits = [iav for iop, iav in av if iop is C.LITERAL]
            if len(lits) == 1 and len(av) == 1 and 32 <= lits[0] < 127:
                run.append(lits[0])
                continue
        if op is C.AT or op in (C.ASSERT, C.ASSERT_NOT):
            continue  # zero width: a literal run goes on across it
        close()
        if op is C.SUBPATTERN:
            sub = _required(av[3], ignore_case or bool(av[1] & C.SRE_FLAG_IGNORECASE))
            if sub:
                factors.append(sub)
        elif op is C.ATOMIC_GROUP:
            sub = _required(av, ignore_case)
            if sub:
                factors.append(sub)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            sub = _required(av[2], ignore_case)
            if sub:
                factors.append(sub)
        elif op is C.BRANCH:
            union: list[bytes] = []
            for branch in av[1]:
                sub = _required(branch, ignore_case)
                if not sub:
                    union = []
                    break
                union.extend(sub)
            if union:
                factors.append(tuple(dict.fromkeys(union)))
    close()
    if not factors:
        return None
    return max(factors, key=lambda f: (min(len(x) for x in f), -len(f)))


def plan_pattern(pattern_text: str, flags: int) -> PatternPlan:
    """Translate one rule pattern (its text and ``regex`` flags) for both back-ends."""
    ignore_case = bool(flags & regex.IGNORECASE)
    reasons: list[str] = []
    try:
        tree = _parse(pattern_text, flags)
    except _Unsupported as exc:
        return PatternPlan(None, False, (), (str(exc),), bool(flags & regex.IGNORECASE))
    ignore_case = ignore_case or bool(tree.state.flags & C.SRE_FLAG_IGNORECASE)
    # A scoped (?i:...) group folds too: its literal may be missing from the lower-cased
    # bytes of a line with İ, ı, ſ or K, so the python back-end checks it on such lines.
    any_ignore_case = ignore_case or _scoped_ignore_case(list(tree))
    expression: bytes | None = None
    caseless = False
    try:
        translator = _Translator(ignore_case)
        items = list(tree)
        if _min_width(tree) == 0:
            raise _Unsupported("it can match an empty line, so every line is a candidate")
        trimmed = _trim_head(_trim_tail(list(items)))
        if _min_width_of(trimmed) == 0:
            raise _Unsupported("it has nothing but optional parts once its tail is trimmed")
        expression = translator.seq(trimmed)
        caseless = translator.caseless
    except _Unsupported as exc:
        reasons.append(f"hyperscan: {exc}")
    except UnicodeEncodeError:  # a lone surrogate (\ud800) has no UTF-8 bytes
        reasons.append("hyperscan: a character with no UTF-8 form (a lone surrogate)")
    try:
        literals = _required(list(tree), ignore_case) or ()
    except UnicodeEncodeError:
        literals = ()
    if not literals or min(len(x) for x in literals) < MIN_LITERAL:
        reasons.append(f"python: no literal of {MIN_LITERAL}+ characters is required by every match")
        literals = ()
    return PatternPlan(expression, caseless, tuple(literals), tuple(reasons), any_ignore_case)


def _scoped_ignore_case(items: Sequence[Any]) -> bool:
    """Whether a group in ``items`` turns IGNORECASE on (``(?i:...)``)."""
    for op, av in items:
        if op is C.SUBPATTERN:
            if av[1] & C.SRE_FLAG_IGNORECASE or _scoped_ignore_case(av[3]):
                return True
        elif op is C.BRANCH:
            if any(_scoped_ignore_case(branch) for branch in av[1]):
                return True
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            if _scoped_ignore_case(av[2]):
                return True
        elif op in (C.ATOMIC_GROUP, C.ASSERT, C.ASSERT_NOT):
            if _scoped_ignore_case(av if op is C.ATOMIC_GROUP else av[1]):
                return True
    return False


def _min_width_of(items: list[Any]) -> int:
    sub = sre_parse.SubPattern(sre_parse.State(), items)
    return _min_width(sub)


def prefilter_support(rule: Rule) -> list[str]:
    """Why the patterns of ``rule`` cannot be prefiltered; empty when every one can.

    For ``rules lint``. Each reason names the pattern (``match.any[2]`` style) and the
    back-end (``hyperscan:`` or ``python:``); a pattern with a reason for a back-end
    is run with ``regex`` on every line of the log when that back-end is in use, which
    costs about 3 MB/s for the whole pack. Patterns limited to the build record's
    phase contexts are never scanned in the log and have no reasons.
    """
    key = "all" if rule.match_all else "any"
    reasons = []
    for index, pattern in enumerate(rule.patterns):
        if pattern.source is TextSource.PHASE_CONTEXT:
            continue
        plan = plan_pattern(pattern.regex.pattern, pattern.regex.flags)
        reasons.extend(f"match.{key}[{index}]: {reason}" for reason in plan.reasons)
    return reasons


# -- the compiled prefilter of a rule pack ---------------------------------------------------------

ANSI_ESCAPE_BYTES = regex.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)|[0-?@-Z\\-_])")
""":data:`analyzer.engine.lines.ANSI_ESCAPE` in bytes; an OSC sequence never crosses a line here."""
FOLDS_TO_ASCII = "\u0130\u0131\u017f\u212a"
"""The only non-ASCII characters that ``regex`` IGNORECASE (simple case folding, the default
V0 mode) matches to ASCII letters: İ and ı (``i``), ſ (``s``), the Kelvin sign (``k``); a test
checks every code point. Full case folding (``(?f)``, ``(?V1)``, where ``ss`` matches ß) is
``regex``-only syntax that the prefilter's parser refuses, so such patterns are scanned directly."""
FOLDS_TO_ASCII_LINE = re.compile(
    b"(?:" + b"|".join(re.escape(c.encode("utf-8")) for c in FOLDS_TO_ASCII) + b")[^\n]*"
)
"""One match per line holding one of :data:`FOLDS_TO_ASCII` (there a lower-cased literal of a
case-insensitive pattern may be missing from the bytes of a line the pattern matches)."""

PHASE_ID = -1
"""Event id of a line that may start a phase."""
CONTEXT_ID = -2
"""Event id of a line that may print a phase context."""
ANY_ID = -3
"""Event id of a line every pattern must be checked on (it holds non-ASCII text)."""
MARKER_ID = -4
"""Event id of a line that may end a command or a phase (:data:`analyzer.engine.lines.MARKERS`)."""

STRUCTURE_LITERALS: tuple[tuple[bytes, int], ...] = (
    *((literal, PHASE_ID) for literal in PHASE_LITERALS),
    (PHASE_CONTEXT_LITERAL, CONTEXT_ID),
    *((literal, MARKER_ID) for literal in MARKER_LITERALS),
)
"""The literals of the log's own structure, with their event ids, scanned beside the rules."""


def clean_block(block: bytes) -> bytes:
    """Strip ANSI codes, then NULs, as :func:`analyzer.engine.lines.normalise` does; ``\\n`` is kept."""
    if b"\x1b" in block:
        block = ANSI_ESCAPE_BYTES.sub(b"", block, concurrent=True)  # releases the GIL
    if b"\x00" in block:
        block = block.replace(b"\x00", b"")
    return block


@dataclass
class Prefilter:
    """All log patterns of a rule pack, compiled for one back-end.

    ``slots`` lists ``(rule index, pattern index)`` for every log pattern; event ids
    are indexes into it. ``direct`` holds the slots that must be checked on every
    line (no prefilter). Build with :func:`compile_prefilter`; a hyperscan database
    round-trips through :meth:`to_bytes` / :meth:`from_bytes` for the on-disk cache.
    """

    backend: str
    slots: list[tuple[int, int]]
    direct: list[int]
    database: Any = None
    automaton: Any = None
    literals: dict[bytes, list[int]] | None = None
    unicode_slots: list[int] = field(default_factory=list)
    """Slots to check on every line holding a character of :data:`FOLDS_TO_ASCII` (case-insensitive literals, python only)."""
    candidates: Any = None
    """The locator's :class:`~analyzer.engine.locator.CandidateScanner`, compiled with the pack
    (hyperscan only) so the compiled pack's cache keeps it too; ``None``: compiled when needed."""
    _local: threading.local = field(default_factory=threading.local, repr=False, compare=False)
    """Per-thread hyperscan scratch: one scratch space must not be used by two scans at once
    (``scan`` diagnoses builds in a thread pool)."""

    def events(self, cleaned: bytes) -> list[tuple[int, int]]:
        """``(offset, event id)`` pairs for a cleaned block, in no set order.

        The offset is any byte of the line the event is on.
        """
        found: list[tuple[int, int]] = []
        add = found.append
        if self.backend == "hyperscan":

            extra = len(self.slots)

            def on_match(event_id: int, _from: int, to: int, _flags: int, _context: Any) -> None:
                add((to - 1, event_id if event_id < extra else extra - event_id))

            scratch = getattr(self._local, "scratch", None)
            if scratch is None:
                import hyperscan

                scratch = self._local.scratch = hyperscan.Scratch(self.database)
            self.database.scan(cleaned, match_event_handler=on_match, scratch=scratch)
        else:
            lowered = cleaned.lower()
            if self.automaton is not None:
                # pyahocorasick is usually built for str keys: latin-1 maps each byte to one char.
                for end, ids in self.automaton.iter(lowered.decode("latin-1")):
                    for event_id in ids:
                        add((end, event_id))
            else:
                assert self.literals is not None
                for literal, ids in self.literals.items():
                    find = lowered.find
                    at = find(literal)
                    while at >= 0:
                        for event_id in ids:
                            add((at, event_id))
                        at = find(literal, lowered.find(b"\n", at) + 1 or len(lowered))
        if not self.unicode_slots or cleaned.isascii():
            return found
        for m in FOLDS_TO_ASCII_LINE.finditer(cleaned):
            add((m.start(), ANY_ID))
        return found

    def to_bytes(self) -> bytes:
        """The compiled database (hyperscan only) for the on-disk cache."""
        import hyperscan

        return hyperscan.dumpb(self.database)

    @classmethod
    def from_bytes(
        cls, data: bytes, rules: Sequence[Rule], layout: dict[str, Any] | None = None, candidates: bytes | None = None
    ) -> Prefilter:
        """Rebuild a hyperscan prefilter from :meth:`to_bytes` output (raises on corrupt data).

        ``layout`` (``{"slots": ..., "direct": ...}`` as stored beside the database) saves
        translating every pattern again; it must belong to the same ``rules``. ``candidates``
        is the locator's scanner as its ``to_bytes`` gave it (compiled again when ``None``).
        """
        import hyperscan

        from analyzer.engine.locator import CandidateScanner

        if layout is not None:
            slots = [tuple(slot) for slot in layout["slots"]]
            direct = list(layout["direct"])
            if any(r >= len(rules) or p >= len(rules[r].patterns) for r, p in slots):
                raise ValueError("the cached layout does not fit these rules")
        else:
            slots, direct, _ = _layout(rules, "hyperscan")
        database = hyperscan.loadb(data, hyperscan.HS_MODE_BLOCK)
        database.scratch = hyperscan.Scratch(database)  # a loaded database comes without one
        database.scan(b"\n", match_event_handler=lambda *_: None)  # fail here, not mid-log
        scanner = CandidateScanner(candidates)
        scanner.offsets(b"\n")  # a corrupt scanner fails here too
        return cls("hyperscan", slots, direct, database=database, candidates=scanner)


def _layout(rules: Sequence[Rule], backend: str) -> tuple[list[tuple[int, int]], list[int], list[PatternPlan]]:
    slots, direct, plans = [], [], []
    for r, rule in enumerate(rules):
        for p, pattern in enumerate(rule.patterns):
            if pattern.source is TextSource.PHASE_CONTEXT:
                continue
            plan = plan_pattern(pattern.regex.pattern, pattern.regex.flags)
            usable = plan.hs_expression is not None if backend == "hyperscan" else bool(plan.literals)
            if not usable:
                direct.append(len(slots))
            slots.append((r, p))
            plans.append(plan)
    return slots, direct, plans


def compile_prefilter(rules: Sequence[Rule], backend: str = "auto") -> Prefilter:
    """Compile the log patterns of ``rules`` for ``backend`` (``auto``, ``hyperscan`` or ``python``)."""
    backend = choose_backend(backend)
    if backend == "reference":
        backend = "python"
    slots, direct, plans = _layout(rules, backend)
    if backend == "hyperscan":
        import hyperscan

        expressions, ids, flags = [], [], []
        for slot, plan in enumerate(plans):
            if slot in direct:
                continue
            assert plan.hs_expression is not None
            flag = hyperscan.HS_FLAG_CASELESS if plan.hs_caseless else 0
            try:  # one bad expression would fail the whole database: try each alone first
                hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK).compile(
                    expressions=[plan.hs_expression], ids=[0], elements=1, flags=[flag]
                )
            except Exception:
                direct.append(slot)
                continue
            expressions.append(plan.hs_expression)
            ids.append(slot)
            flags.append(flag)
        for literal, event_id in STRUCTURE_LITERALS:
            expressions.append(re.escape(literal))
            ids.append(len(slots) + (-event_id))  # hyperscan ids are unsigned: remapped below
            flags.append(0)
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        database.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
        from analyzer.engine.locator import CandidateScanner

        return Prefilter("hyperscan", slots, sorted(direct), database=database, candidates=CandidateScanner())
    literals: dict[bytes, list[int]] = {}
    for slot, plan in enumerate(plans):
        if slot in direct:
            continue
        for literal in plan.literals:
            literals.setdefault(literal, []).append(slot)
    for literal, event_id in STRUCTURE_LITERALS:
        literals.setdefault(literal.lower(), []).append(event_id)
    ahocorasick = ahocorasick_module()
    automaton = None
    if ahocorasick is not None and os.environ.get(ENGINE_ENV + "_NO_AHOCORASICK") is None:
        automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        for literal, ids in literals.items():
            automaton.add_word(literal.decode("latin-1"), ids)
        automaton.make_automaton()
    unicode_slots = [slot for slot, plan in enumerate(plans) if plan.ignore_case and slot not in direct]
    return Prefilter("python", slots, sorted(direct), automaton=automaton, literals=literals, unicode_slots=unicode_slots)
