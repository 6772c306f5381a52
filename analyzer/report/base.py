"""The report formats and the one function that dispatches to their renderers."""

from __future__ import annotations

import enum
from typing import assert_never

from analyzer.models import Diagnosis


class OutputFormat(str, enum.Enum):
    """Formats of ``--format``; every member maps to a renderer in :func:`render`."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


def render(diagnosis: Diagnosis, output_format: OutputFormat, *, color: bool = False) -> str:
    """Render one diagnosis; ``color`` adds ANSI styling to the text format only."""
    if output_format is OutputFormat.TEXT:
        from analyzer.report.text import render_text

        return render_text(diagnosis, color=color)
    if output_format is OutputFormat.JSON:
        from analyzer.report.json import render_json

        return render_json(diagnosis)
    if output_format is OutputFormat.MARKDOWN:
        from analyzer.report.markdown import render_markdown

        return render_markdown(diagnosis)
    if output_format is OutputFormat.HTML:
        from analyzer.report.html import render_html

        return render_html(diagnosis)
    assert_never(output_format)
