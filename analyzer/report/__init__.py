"""The presentation layer: a Diagnosis or a ScanReport in, a whole report out.

One :class:`Format` enum; one renderer class per format (``text``, ``json``,
``markdown``, ``html``), each with ``render_diagnosis()`` and ``render_scan()``
over one view model (:mod:`analyzer.report.view`); :func:`present` (redact,
view, render) and :func:`write_whole` are the path every caller takes.
"""

from __future__ import annotations

from analyzer.models import Diagnosis, ScanReport
from analyzer.report.interface import DEFAULT_WIDTH, Format, Renderer, RenderOptions
from analyzer.report.present import present, write_whole


def render_diagnosis(diagnosis: Diagnosis, output_format: Format, options: RenderOptions | None = None) -> str:
    """One diagnosis in ``output_format``, as given (no redaction: :func:`present` does that)."""
    return present(diagnosis, output_format, options, redact=False)


def render_scan(report: ScanReport, output_format: Format, options: RenderOptions | None = None) -> str:
    """A scan report in ``output_format``, as given (no redaction: :func:`present` does that)."""
    return present(report, output_format, options, redact=False)


__all__ = [
    "DEFAULT_WIDTH",
    "Format",
    "RenderOptions",
    "Renderer",
    "present",
    "render_diagnosis",
    "render_scan",
    "write_whole",
]
