"""Renderers: a :class:`~analyzer.models.Diagnosis` in, a string out (text, JSON, ...)."""

from analyzer.report.base import OutputFormat, render

__all__ = ["OutputFormat", "render"]
