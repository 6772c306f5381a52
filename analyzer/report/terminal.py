"""Terminal layout for the text format: wrapping that never breaks a token, rule Markdown, evidence cuts.

Lines are :class:`rich.text.Text` (styles as spans); :func:`to_string` turns them
into plain text, or ANSI when colour is on. Wrapping breaks only at spaces, so a
path, an ARN, a URL or a code span is never cut: a token longer than the width
gets a line of its own and runs past the edge (the one exception to the width).
Rule Markdown (summaries, fixes) is parsed with markdown-it-py (already used by
the HTML format) and laid out here: headings, lists, emphasis, code blocks kept
verbatim (highlighted by Pygments through rich when colour is on), and links as
``text (url)``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from rich.cells import cell_len
from rich.text import Text

ELLIPSIS = "…"

_WORD = re.compile(r"\S+")


def wrap(text: Text | str, width: int, indent: str = "", hanging: str | None = None,
         keep: Sequence[tuple[int, int]] = ()) -> list[Text]:  # fmt: skip
    """``text`` wrapped at spaces to ``width`` cells: first line after ``indent``, the rest after ``hanging``.

    Never breaks inside a word; a word longer than the room gets its own line. ``keep``
    lists (start, end) ranges of ``text`` not to break inside when they fit on a line
    (code spans with spaces).
    """
    text = Text(text) if isinstance(text, str) else text
    hanging = indent if hanging is None else hanging
    plain = text.plain
    lines: list[Text] = []
    for start, end in _paragraph_breaks(plain):
        words = _words(plain, start, end, keep, width - max(cell_len(indent), cell_len(hanging)))
        if not words:
            lines.append(Text(indent if not lines else hanging))
            continue
        first, last = words[0]
        for word_start, word_end in words[1:]:
            room = width - cell_len(indent if not lines else hanging)
            if cell_len(plain[first:word_end]) <= room:
                last = word_end
                continue
            lines.append(_line(text, first, last, indent if not lines else hanging))
            first, last = word_start, word_end
        lines.append(_line(text, first, last, indent if not lines else hanging))
    return lines


def _paragraph_breaks(plain: str) -> list[tuple[int, int]]:
    """(start, end) of each hard line of ``plain`` (split at newlines)."""
    spans, start = [], 0
    for match in re.finditer("\n", plain):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(plain)))
    return spans


def _words(plain: str, start: int, end: int, keep: Sequence[tuple[int, int]], room: int) -> list[tuple[int, int]]:
    """Unbreakable units of ``plain[start:end]``: words, with kept ranges that fit ``room`` glued together."""
    words = [(m.start() + start, m.end() + start) for m in _WORD.finditer(plain[start:end])]
    for keep_start, keep_end in keep:
        if keep_end - keep_start > room:
            continue
        inside = [w for w in words if w[1] > keep_start and w[0] < keep_end]
        if len(inside) > 1:
            glued = (inside[0][0], inside[-1][1])
            words = [w for w in words if w not in inside] + [glued]
            words.sort()
    return words


def _line(text: Text, start: int, end: int, prefix: str) -> Text:
    line = Text(prefix)
    line.append_text(text[start:end])
    return line


def cut(before: str, match: str, after: str, room: int) -> tuple[str, str, str]:
    """A long evidence line cut to ``room`` cells with an ellipsis at each cut, the match kept in view."""
    if cell_len(before + match + after) <= room or room < 8:
        return before, match, after
    if not match:  # a context line: keep its start
        return _head(before + after, room - 1) + ELLIPSIS, "", ""
    if cell_len(before + match) <= room - 1:  # the match fits from the start: cut the end only
        keep = room - 1 - cell_len(before + match)
        return before, match, _head(after, keep) + ELLIPSIS
    if cell_len(match) >= room - 3:  # the match alone fills the room: show its start
        if not before:  # nothing precedes it: no cut to mark at the start
            return "", _head(match, room - 1) + ELLIPSIS, ""
        return ELLIPSIS, _head(match, room - 2) + ELLIPSIS, ""
    lead = min(cell_len(before), max(1, (room - 2 - cell_len(match)) // 3))
    tail = room - 2 - cell_len(match) - lead
    shown_after = after if cell_len(after) <= tail + 1 else _head(after, tail) + ELLIPSIS
    return ELLIPSIS + _tail(before, lead), match, shown_after


def _head(text: str, cells: int) -> str:
    out = ""
    for ch in text:
        if cell_len(out + ch) > cells:
            break
        out += ch
    return out


def _tail(text: str, cells: int) -> str:
    out = ""
    for ch in reversed(text):
        if cell_len(ch + out) > cells:
            break
        out = ch + out
    return out


# -- Markdown --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


def _inline(token: Any, color: bool) -> tuple[Text, list[tuple[int, int]]]:
    """An inline token as styled text, and the ranges of its code spans (kept whole when they fit)."""
    text = Text()
    keep: list[tuple[int, int]] = []
    styles: list[str] = []
    links: list[str | None] = []
    for child in token.children or ():
        kind = child.type
        style = " ".join(styles) or None
        if kind == "text":
            text.append(child.content, style=style)
        elif kind == "code_inline":
            # Styled when colour is on; plain text keeps the backticks, so a command's ends stay clear.
            start = len(text)
            text.append(child.content if color else f"`{child.content}`", style="cyan" if color else None)
            keep.append((start, len(text)))
        elif kind in ("softbreak",):
            text.append(" ")
        elif kind == "hardbreak":
            text.append("\n")
        elif kind == "strong_open":
            styles.append("bold")
        elif kind == "em_open":
            styles.append("italic")
        elif kind in ("strong_close", "em_close") and styles:
            styles.pop()
        elif kind == "link_open":
            href = str(child.attrs.get("href", ""))
            links.append(None if child.markup == "autolink" else href)  # an autolink shows its URL already
            styles.append("underline")
        elif kind == "link_close":
            if styles:
                styles.pop()
            href = links.pop() if links else None
            if href:
                text.append(" (")
                text.append(href, style="blue" if color else None)
                text.append(")")
        elif kind == "image":
            text.append(child.content or "")
        else:
            text.append(child.content or "", style=style)
    return text, keep


def markdown(source: str, width: int, indent: str = "", *, color: bool = False) -> list[Text]:
    """Rule Markdown laid out for a terminal ``width`` cells wide, every line after ``indent``."""
    tokens = _parser().parse(source or "")
    out: list[Text] = []
    markers: list[list[Any]] = []  # per open list item: [marker, used]
    lists: list[list[Any]] = []  # per open list: [ordered, next number]
    quotes = 0
    heading: int | None = None

    def prefixes() -> tuple[str, str]:
        first = indent + "│ " * quotes
        rest = first
        for marker in markers:
            first += " " * len(marker[0]) if marker[1] else marker[0]
            rest += " " * len(marker[0])
        for marker in markers:
            marker[1] = True
        return first, rest

    def blank() -> None:
        if out and out[-1].plain.strip():
            out.append(Text(""))

    for token in tokens:
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = token.attrGet("start")
            lists.append([kind == "ordered_list_open", int(start) if start else 1])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            blank()
        elif kind == "list_item_open":
            ordered, number = lists[-1] if lists else (False, 1)
            markers.append([f"{number}. " if ordered else "- ", False])
            if lists:
                lists[-1][1] = number + 1
        elif kind == "list_item_close":
            if markers:
                marker = markers.pop()
                if not marker[1]:  # an empty item still shows its marker
                    out.append(Text(prefixes()[0] + marker[0].rstrip()))
        elif kind == "blockquote_open":
            quotes += 1
        elif kind == "blockquote_close":
            quotes = max(0, quotes - 1)
            blank()
        elif kind == "heading_open":
            heading = int(token.tag[1:]) if token.tag[1:].isdigit() else 1
        elif kind == "heading_close":
            heading = None
            blank()
        elif kind == "inline":
            text, keep = _inline(token, color)
            if heading is not None and color:
                text.stylize("bold underline" if heading <= 2 else "bold")
            first, rest = prefixes()
            out.extend(wrap(text, width, first, rest, keep))
        elif kind == "paragraph_close" and not token.hidden:
            blank()
        elif kind in ("fence", "code_block"):
            first, rest = prefixes()
            code = token.content.rstrip("\n")
            lines = _highlight(code, token.info.strip().split(" ")[0] if kind == "fence" else "", color)
            for number, line in enumerate(lines):
                out.append(Text(first if number == 0 else rest) + line)
            blank()
        elif kind == "hr":
            first, _rest = prefixes()
            out.append(Text(first + "─" * max(3, width - cell_len(first)), style="dim" if color else None))
            blank()
    while out and not out[-1].plain.strip():
        out.pop()
    return out


def _highlight(code: str, language: str, color: bool) -> list[Text]:
    """A code block's lines: verbatim, never wrapped; highlighted by Pygments when colour is on."""
    if not color:
        return [Text(line) for line in code.split("\n")]
    from rich.syntax import Syntax

    try:
        syntax = Syntax(code, language or "text", theme="ansi_dark", background_color="default")
        text = syntax.highlight(code)
    except Exception:  # an unknown language: plain text, never an error
        text = Text(code)
    text.rstrip()
    return list(text.split("\n", allow_blank=True))


# -- output ----------------------------------------------------------------------------------


def to_string(lines: Iterable[Text | str], *, color: bool) -> str:
    """The lines as one string ending in a newline: plain, or with ANSI styles when ``color``."""
    texts = [Text(line) if isinstance(line, str) else line for line in lines]
    if not color:
        return "".join(text.plain.rstrip() + "\n" for text in texts)
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=True, color_system="standard", width=10_000, highlight=False,
        emoji=False, markup=False, legacy_windows=False, no_color=False,
    )  # fmt: skip
    for text in texts:
        text.rstrip()
        console.print(text, soft_wrap=True, no_wrap=True, overflow="ignore", crop=False)
    return buffer.getvalue()
