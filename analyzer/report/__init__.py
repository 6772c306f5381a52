"""Renderers: a :class:`~analyzer.models.Diagnosis` in, a string out (text, JSON, ...)."""

from analyzer.report.base import OutputFormat, render

Format = OutputFormat


def render_diagnosis(diagnosis, output_format, *, width=None, color=False):  # type: ignore[no-untyped-def]
    return render(diagnosis, output_format, color=color)


def render_scan(report, output_format, *, width=None, color=False):  # type: ignore[no-untyped-def]
    from analyzer.report.scan import ScanFormat
    from analyzer.report.scan import render_scan as _render_scan

    return _render_scan(report, ScanFormat(output_format.value), color=color)


__all__ = ["Format", "OutputFormat", "render", "render_diagnosis", "render_scan"]
