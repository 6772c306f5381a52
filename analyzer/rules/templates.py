"""Sandboxed Jinja2 templates for a rule's ``summary`` and ``remediation``.

Rule files may come from any team's ``--rules-dir``, so templates are rendered
in Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment`: no attribute access
to Python internals, no file system. A name the log did not capture renders as
an empty string; ``rules lint`` reports names that no pattern defines.

Compiling a template (lexing, parsing, code generation, Python ``compile``) costs about a
millisecond, a fifth of a second for the shipped pack's fixes. Compiled templates are kept as
Jinja2 bytecode in the user cache directory (see :func:`analyzer.rules.compiled.cache_dir`),
so a later process only loads them; a cache that cannot be read or written only costs the
compile.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from jinja2.sandbox import SandboxedEnvironment

from analyzer.models import Template

class _RuleSandbox(SandboxedEnvironment):
    """The sandbox, also refusing arithmetic that would build huge values (``'a' * 10**9``)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise jinja2.exceptions.SecurityError(f"exponent {right} is too large for a rule template")
        if operator == "*" and isinstance(left, (str, list, tuple)) and isinstance(right, int) and len(left) * right > MAX_VALUE:
            raise jinja2.exceptions.SecurityError("a repeated value would be too long for a rule template")
        if operator == "*" and isinstance(right, (str, list, tuple)) and isinstance(left, int) and len(right) * left > MAX_VALUE:
            raise jinja2.exceptions.SecurityError("a repeated value would be too long for a rule template")
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Any:
        """``str.format`` in a template: a width too large to build is refused first."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        _check_widths("format", (value.__self__,), {})
        return wrapped

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Every call a template makes: widths and format specs too large to build are refused."""
        name = getattr(__obj, "__name__", "")
        bound = getattr(__obj, "__self__", None)
        if isinstance(bound, str) and name in ("format", "format_map"):
            _check_widths("format", (bound,), {})  # '{:>1000000000}'.format(x)
        if name in _WIDTH_CALLS or isinstance(bound, str):
            _check_widths(name, args, kwargs)
        _check_budget()
        return super().call(__context, __obj, *args, **kwargs)


MAX_VALUE = 100_000
"""The longest string or list a template may build by repetition, padding or a format width."""
MAX_OUTPUT = 200_000
"""Characters one rendered summary or remediation may have; a longer one fails to render."""
RENDER_SECONDS = 1.0
"""Wall-clock budget of one render (nested ``range()`` loops hang without one)."""

_WIDTH_CALLS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "format", "indent", "wordwrap", "do_center", "do_indent", "do_wordwrap", "do_format"})
_BIG_NUMBER = re.compile(r"%[-+ #0]*\d{6,}|\{[^{}]*:[^{}]*\d{6,}[^{}]*\}")
"""A width of 100000 or more in a %-format or a str.format spec."""


def _check_widths(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_VALUE:
            raise jinja2.exceptions.SecurityError(f"{name}: a width of {value} is too large for a rule template")
        if isinstance(value, str) and name in ("format", "do_format") and _BIG_NUMBER.search(value):
            raise jinja2.exceptions.SecurityError(f"{name}: a format width is too large for a rule template")


class RenderBudgetExceeded(jinja2.exceptions.SecurityError):
    """A template ran past :data:`RENDER_SECONDS` or built more than :data:`MAX_OUTPUT` characters."""


_DEADLINE = threading.local()


def _check_budget() -> None:
    deadline = getattr(_DEADLINE, "at", None)
    if deadline is not None and time.monotonic() > deadline:
        raise RenderBudgetExceeded(f"the template ran for more than {RENDER_SECONDS:g}s")


def _filter(name: str) -> Any:
    """A built-in filter that checks its width arguments first (``'a'|center(10**9)``)."""
    inner = jinja2.filters.FILTERS[name]

    @functools.wraps(inner)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check_widths(name, args[1:] if name != "format" else args, kwargs)
        return inner(*args, **kwargs)

    return checked


def _budgeted_range(*args: int) -> Any:
    """``range`` that checks the render budget as it goes (it is Jinja's safe range inside)."""
    from jinja2.sandbox import safe_range

    for count, value in enumerate(safe_range(*args)):
        if count % 1024 == 0:
            _check_budget()
        yield value

TEMPLATE_CACHE_VERSION = "1"
"""Bump when what the template cache stores changes (this module's code is in the key anyway)."""


@functools.cache
def _cache_fingerprint() -> str:
    """What compiled templates depend on besides their text: Jinja2, Python, this module's code.

    Jinja's own header (``bc_magic``) names the Python version but not Jinja2's, and a Jinja2
    release can change the code its sandbox generates; this module defines the sandbox.
    """
    from analyzer.rules.compiled import code_fingerprint

    code = code_fingerprint(__name__)
    key = f"{TEMPLATE_CACHE_VERSION}|{jinja2.__version__}|{sys.implementation.cache_tag}|{code}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class _BytecodeFiles(jinja2.BytecodeCache):
    """Compiled templates as files in ``<cache dir>/templates/<fingerprint>/``, for this user only.

    Jinja names a file after the template's name (a hash of its text) and rejects an entry
    whose source checksum differs. Loading bytecode runs it, so a file is read only when
    :func:`~analyzer.rules.compiled.trusted_file` says only this user could have written it,
    and each file carries a SHA-256 of its content: a truncated or corrupt file is ignored,
    not unmarshalled.
    """

    @staticmethod
    def _path(bucket: jinja2.bccache.Bucket) -> Path:
        from analyzer.rules.compiled import cache_dir

        return cache_dir() / "templates" / _cache_fingerprint() / f"{bucket.key}.j2c"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        from analyzer.rules.compiled import trusted_file

        try:
            path = self._path(bucket)
            if not trusted_file(path):
                return
            data = path.read_bytes()
            digest, payload = data[:32], data[32:]
            if hashlib.sha256(payload).digest() == digest:
                bucket.bytecode_from_string(payload)
        except Exception:  # noqa: BLE001 - missing, unreadable or foreign: compile instead
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        from analyzer.rules.compiled import write_private

        payload = bucket.bytecode_to_string()
        try:
            write_private(self._path(bucket), hashlib.sha256(payload).digest() + payload)
        except OSError:
            pass  # a cache we cannot write only costs the compile next time


_SOURCES: dict[str, str] = {}
"""Rewritten template texts by name (a SHA-256 of the text), for the loader below."""

# trim_blocks drops the newline after a block tag and lstrip_blocks the indent before one;
# _keep_inline_newlines limits both to tags alone on their line, so ``...{% endif %}`` at the end
# of a text line keeps its line break and ``   {% if x %}text`` inside a code block its indent.
# Templates are loaded by name (not ``from_string``) so that Jinja consults the bytecode cache
# and keeps each loaded template (an LRU of 400) for the rest of the process.
_ENV = _RuleSandbox(
    autoescape=False,
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
    loader=jinja2.FunctionLoader(_SOURCES.get),
    bytecode_cache=_BytecodeFiles(),
)

for _name in ("center", "indent", "format"):
    _ENV.filters[_name] = _filter(_name)
_ENV.globals["range"] = _budgeted_range

_BLOCK_TAG = re.compile(r"\{%.*?%\}", re.S)


def _keep_inline_newlines(text: str) -> str:
    """Mark block tags that end a line of text with ``+%}`` so Jinja keeps the line break, and
    tags that start an indented line of text with ``{%+`` so Jinja keeps the indent.

    Without the first, ``run this{% endif %}`` followed by a line with a code fence glues the
    fence to the text and the fence never closes (seen in three shipped rules). Without the
    second, ``         {% if v %}nodejs: {{ v }}{% endif %}`` inside a list item's YAML block
    lost its indent and fell out of the block (three shipped rules). The rewrite keeps every
    line where it was, so template error line numbers do not move.
    """
    out: list[str] = []
    last = 0
    for match in _BLOCK_TAG.finditer(text):
        end = match.end()
        tag = match.group(0)
        out.append(text[last : match.start()])
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", end)
        before = _BLOCK_TAG.sub("", text[line_start : match.start()])
        after = _BLOCK_TAG.sub("", text[end : line_end if line_end >= 0 else len(text)])
        if text.startswith("\n", end) and before.strip() and not tag.endswith(("-%}", "+%}")):
            tag = tag[:-2] + "+%}"
        if before and not before.strip() and after.strip() and not tag.startswith(("{%-", "{%+")):
            tag = "{%+" + tag[2:]
        out.append(tag)
        last = end
    out.append(text[last:])
    return "".join(out)

TEMPLATE_GLOBALS = frozenset({"build", "phase", "count", "captures", "hits", "region", "account"})
"""Names every template may use besides the captures (see :func:`template_variables`)."""


def compile_template(text: str) -> Template:
    """Compile ``text``; raises ``jinja2.TemplateSyntaxError`` (with ``lineno``) when it is invalid."""
    source = _keep_inline_newlines(text)
    name = hashlib.sha256(source.encode()).hexdigest()
    _SOURCES[name] = source
    template = _ENV.get_template(name)

    def render(variables: Mapping[str, Any]) -> str:
        # Bounded in time (calls, range() and loop iterations check the deadline; a line
        # tracer on the template's own frames catches loops over anything else) and in size.
        _DEADLINE.at = time.monotonic() + RENDER_SECONDS
        previous = sys.gettrace()
        sys.settrace(_tracer)
        try:
            out: list[str] = []
            size = 0
            for piece in template.generate(**variables):
                size += len(piece)
                if size > MAX_OUTPUT:
                    raise RenderBudgetExceeded(f"the template's output is longer than {MAX_OUTPUT} characters")
                out.append(piece)
            return "".join(out).strip()
        finally:
            sys.settrace(previous)
            _DEADLINE.at = None

    return render


def _tracer(frame: Any, event: str, arg: Any) -> Any:
    """Trace only a template's own code (its file name is the template's hash), line by line."""
    if event == "call" and (frame.f_code.co_filename == "<template>" or frame.f_code.co_filename in _SOURCES):
        return _line_tracer
    return None


def _line_tracer(frame: Any, event: str, arg: Any) -> Any:
    if event == "line":
        _check_budget()
    return _line_tracer


def parse_template(text: str) -> jinja2.nodes.Template:
    """The syntax tree of a rule template, as the renderer sees it (for ``rules lint``);
    raises ``jinja2.TemplateSyntaxError`` when it is invalid."""
    return _ENV.parse(_keep_inline_newlines(text))


def undeclared_names(text: str) -> set[str]:
    """Names a template reads that it does not define itself (for ``rules lint``)."""
    return set(jinja2.meta.find_undeclared_variables(parse_template(text)))


BUILTIN_NAMES = frozenset(_ENV.globals)
"""Names Jinja2 itself defines in every template (``range``, ``dict``, ``namespace``...)."""


def assigned_names(text: str) -> set[str]:
    """Names a template assigns itself (``{% set %}``, ``{% for %}``), even in one branch only."""
    import jinja2.nodes

    tree = parse_template(text)
    return {node.name for node in tree.find_all(jinja2.nodes.Name) if node.ctx == "store"}
