"""Sandboxed Jinja2 templates for a rule's ``summary`` and ``remediation``.

Rule files may come from any team's ``--rules-dir``, so templates are rendered
in Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment`: no attribute access
to Python internals, no file system. A name the log did not capture renders as
an empty string; ``rules lint`` reports names that no pattern defines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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


MAX_VALUE = 100_000
"""The longest string or list a template may build by repetition."""

# trim_blocks drops the newline after a block tag; _keep_inline_newlines limits that to tags
# alone on their line, so ``...{% endif %}`` at the end of a text line keeps its line break.
_ENV = _RuleSandbox(autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)

_BLOCK_TAG = re.compile(r"\{%.*?%\}", re.S)


def _keep_inline_newlines(text: str) -> str:
    """Mark block tags that end a line of text with ``+%}`` so Jinja keeps the line break.

    Without it, ``run this{% endif %}`` followed by a line with a code fence glues the fence to
    the text and the fence never closes (seen in three shipped rules). The rewrite keeps every
    line where it was, so template error line numbers do not move.
    """
    out: list[str] = []
    last = 0
    for match in _BLOCK_TAG.finditer(text):
        end = match.end()
        tag = match.group(0)
        out.append(text[last : match.start()])
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = _BLOCK_TAG.sub("", text[line_start : match.start()])
        if text.startswith("\n", end) and before.strip() and not tag.endswith(("-%}", "+%}")):
            tag = tag[:-2] + "+%}"
        out.append(tag)
        last = end
    out.append(text[last:])
    return "".join(out)

TEMPLATE_GLOBALS = frozenset({"build", "phase", "count", "captures", "region", "account"})
"""Names every template may use besides the captures (see :func:`template_variables`)."""


def compile_template(text: str) -> Template:
    """Compile ``text``; raises ``jinja2.TemplateSyntaxError`` (with ``lineno``) when it is invalid."""
    template = _ENV.from_string(_keep_inline_newlines(text))

    def render(variables: Mapping[str, Any]) -> str:
        return template.render(**variables).strip()

    return render


def undeclared_names(text: str) -> set[str]:
    """Names a template reads that it does not define itself (for ``rules lint``)."""
    return set(jinja2.meta.find_undeclared_variables(_ENV.parse(_keep_inline_newlines(text))))


BUILTIN_NAMES = frozenset(_ENV.globals)
"""Names Jinja2 itself defines in every template (``range``, ``dict``, ``namespace``...)."""


def assigned_names(text: str) -> set[str]:
    """Names a template assigns itself (``{% set %}``, ``{% for %}``), even in one branch only."""
    import jinja2.nodes

    tree = _ENV.parse(_keep_inline_newlines(text))
    return {node.name for node in tree.find_all(jinja2.nodes.Name) if node.ctx == "store"}
