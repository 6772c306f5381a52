"""The report seam: one :class:`Format` enum, the :class:`Renderer` interface, and the options.

Every format is one class with a method for a diagnosis and one for a scan; both
take the view model (:mod:`analyzer.report.view`), built once per report, and
return the whole report as a string. Modelled on pip-audit's ``_format/interface.py``.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass
from typing import assert_never

from analyzer.report.view import DiagnosisView, ScanView

DEFAULT_WIDTH = 100
"""The text report's width when it is not written to a terminal (a pipe or a file): stable for grep and diff."""


class Format(str, enum.Enum):
    """The report formats of ``--format`` (``diagnose`` and ``scan``)."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"

    @property
    def suffix(self) -> str:
        """The usual file-name suffix of a report in this format."""
        return {"text": "txt", "json": "json", "markdown": "md", "html": "html"}[self.value]

    def renderer(self, options: RenderOptions | None = None) -> Renderer:
        """The renderer of this format (every member maps to one; checked by the type checker)."""
        options = options or RenderOptions()
        if self is Format.TEXT:
            from analyzer.report.text import TextRenderer

            return TextRenderer(options)
        if self is Format.JSON:
            from analyzer.report.json import JsonRenderer

            return JsonRenderer(options)
        if self is Format.MARKDOWN:
            from analyzer.report.markdown import MarkdownRenderer

            return MarkdownRenderer(options)
        if self is Format.HTML:
            from analyzer.report.html import HtmlRenderer  # jinja2 and markdown-it load only for it

            return HtmlRenderer(options)
        assert_never(self)


@dataclass(frozen=True)
class RenderOptions:
    """How a report is laid out; formats ignore what does not apply to them."""

    width: int = DEFAULT_WIDTH
    """Text: the width to wrap at (the terminal's, or :data:`DEFAULT_WIDTH`)."""
    color: bool = False
    """Text: ANSI colours and styles."""
    wide: bool = False
    """Text: long evidence lines whole instead of cut at the width."""


class Renderer(abc.ABC):
    """One report format: a diagnosis or a scan in, the whole report (a string ending in a newline) out."""

    def __init__(self, options: RenderOptions | None = None) -> None:
        self.options = options or RenderOptions()

    @abc.abstractmethod
    def render_diagnosis(self, view: DiagnosisView) -> str:
        """The report of one build."""

    @abc.abstractmethod
    def render_scan(self, view: ScanView) -> str:
        """The report of a scan."""
