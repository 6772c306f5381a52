"""Sandboxed Jinja2 templates for a rule's ``summary`` and ``remediation``.

Rule files may come from any team's ``--rules-dir``, so templates are rendered
in Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment`: no attribute access
to Python internals, no file system. A name the log did not capture renders as
an empty string; ``rules lint`` reports names that no pattern defines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
import jinja2.meta
from jinja2.sandbox import SandboxedEnvironment

from analyzer.models import Template

_ENV = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)

TEMPLATE_GLOBALS = frozenset({"build", "phase", "count", "captures", "region", "account"})
"""Names every template may use besides the captures (see :func:`template_variables`)."""


def compile_template(text: str) -> Template:
    """Compile ``text``; raises ``jinja2.TemplateSyntaxError`` (with ``lineno``) when it is invalid."""
    template = _ENV.from_string(text)

    def render(variables: Mapping[str, Any]) -> str:
        return template.render(**variables).strip()

    return render


def undeclared_names(text: str) -> set[str]:
    """Names a template reads that it does not define itself (for ``rules lint``)."""
    return set(jinja2.meta.find_undeclared_variables(_ENV.parse(text)))


BUILTIN_NAMES = frozenset(_ENV.globals)
"""Names Jinja2 itself defines in every template (``range``, ``dict``, ``namespace``...)."""


def assigned_names(text: str) -> set[str]:
    """Names a template assigns itself (``{% set %}``, ``{% for %}``), even in one branch only."""
    import jinja2.nodes

    return {node.name for node in _ENV.parse(text).find_all(jinja2.nodes.Name) if node.ctx == "store"}
