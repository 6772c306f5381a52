"""Scan report formats and the one function that dispatches a :class:`~analyzer.models.ScanReport` to them.

Every renderer reads the report and :func:`analyzer.aggregate.summarise`, so their
figures agree. ``html`` is rendered by ``analyzer.report.html.render_scan_html``,
imported lazily (jinja2 and markdown-it load only for it).
"""

from __future__ import annotations

import enum
from typing import assert_never

from analyzer.models import ScanReport


class ScanFormat(str, enum.Enum):
    """Formats of ``scan --format``; every member maps to a renderer in :func:`render_scan`."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


def render_scan(report: ScanReport, output_format: ScanFormat, *, color: bool = False) -> str:
    """Render a scan report; ``color`` styles the text format only."""
    if output_format is ScanFormat.TEXT:
        from analyzer.report.scan_text import render_scan_text

        return render_scan_text(report, color=color)
    if output_format is ScanFormat.JSON:
        from analyzer.report.scan_json import render_scan_json

        return render_scan_json(report)
    if output_format is ScanFormat.MARKDOWN:
        from analyzer.report.scan_markdown import render_scan_markdown

        return render_scan_markdown(report)
    if output_format is ScanFormat.HTML:
        from analyzer.report.html import render_scan_html

        return render_scan_html(report)
    assert_never(output_format)
