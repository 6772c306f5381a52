"""The HTML report: one self-contained file for a team, for one build or a whole scan.

Everything is inline (CSS, a small vanilla script, the SVG trend chart drawn
here in Python), so the file opens offline and as a mail attachment; a
Content-Security-Policy forbids every fetch and allows only our own script (by
its hash), so nothing injected could run even if escaping failed. Templates are
Jinja2 package data (``templates/*.j2``) with autoescape on; rule Markdown is
rendered by markdown-it-py with raw HTML off, images off and only http(s) links.
Callers pass diagnoses that went through :mod:`analyzer.redact` already.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from functools import lru_cache
from html import escape as _escape
from importlib import resources
from typing import Any

from analyzer._version import __version__
from analyzer.aggregate import UNKNOWN, ScanSummary
from analyzer.report.interface import Renderer
from analyzer.report.view import SEVERITY_ORDER, DiagnosisView, ScanView, duration, http_url, safe, when

PALETTE = ("#c0392b", "#2471a3", "#d68910", "#7d3c98", "#138d75", "#5d6d7e", "#a04000")
"""Trend-chart colours of the top causes, then 'other' (colour-blind-safe enough, and print well)."""

_TOP_CAUSES = 6


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("analyzer.report", "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = render_markdown_html
    env.filters["minutes"] = _minutes
    env.filters["duration"] = lambda seconds: duration(seconds) or "—"
    env.filters["http_url"] = http_url
    env.filters["when"] = lambda value: when(value) or "—"
    env.filters["safe_text"] = safe
    return env


@lru_cache(maxsize=1)
def _markdown_it() -> Any:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False})
    md.disable("image")  # an image would be a fetch; the report must not make any
    # Anything but http(s) (javascript:, data:, relative paths) stays literal text.
    md.validateLink = lambda url: http_url(url) is not None  # type: ignore[method-assign]
    return md


def render_markdown_html(text: str) -> Any:
    """Rule Markdown (a summary or remediation) as safe HTML: no raw HTML, only http(s) links."""
    from markupsafe import Markup

    return Markup(_markdown_it().render(text or ""))


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str, str]:
    """(css, js, CSP) — the script is allowed by its SHA-256, nothing else may run."""
    folder = resources.files("analyzer.report").joinpath("templates")
    css = folder.joinpath("report.css.j2").read_text("utf-8")
    js = folder.joinpath("report.js.j2").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode()
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
    return css, js, csp


def _page(template: str, **variables: Any) -> str:
    from markupsafe import Markup

    css, js, csp = _assets()
    html = _environment().get_template(template).render(
        css=Markup(css), js=Markup(js), csp=csp, version=__version__, **variables
    )
    return html.rstrip() + "\n"


# -- the renderer ---------------------------------------------------------------------------


class HtmlRenderer(Renderer):
    """One self-contained page: a build's card, or a scan's figures, causes, trend and builds."""

    def render_diagnosis(self, view: DiagnosisView) -> str:
        return _page("diagnosis.html.j2", build=view, generated=when(datetime.now(timezone.utc)))

    def render_scan(self, view: ScanView) -> str:
        from markupsafe import Markup

        summary = view.summary
        svg, legend = trend_svg(summary, list(view.days))
        figures = {
            "scanned": summary.builds + summary.skipped,
            "failed": view.failed,
            "diagnosed": summary.diagnosed,
            "share": f"{summary.diagnosed_share:.0%}",
            "unknown": summary.unknown,
            "skipped": summary.skipped,
            "minutes": summary.minutes_lost,
            "transient": summary.transient,
            "deterministic": summary.deterministic,
        }
        peak_minutes = max((c.minutes_lost for c in summary.causes), default=0.0) or 1.0
        builds = view.builds
        return _page(
            "scan.html.j2",
            report=view.report,
            summary=summary,
            figures=figures,
            account=view.account,
            region=view.region,
            since=view.since,
            until=view.until,
            window=view.window,
            trend=Markup(svg),
            legend=legend,
            peak_minutes=peak_minutes,
            diagnosed=view.diagnosed,
            unknown=view.unknown,
            clusters=view.clusters,
            options={
                "project": sorted({v.project for v in builds}),
                "cause": sorted({v.cause for v in builds}),
                "severity": [s for s in SEVERITY_ORDER if any(v.severity == s for v in builds)],
                "status": sorted({v.status for v in builds}),
            },
            generated=when(datetime.now(timezone.utc)),
        )


# -- the trend ------------------------------------------------------------------------------


def trend_svg(summary: ScanSummary, days: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """A stacked bar chart of failed builds per day and cause, as inline SVG; and its legend.

    The top causes by builds get a colour each, the rest are stacked as 'other'.
    Returns ``(svg, [(colour, cause), ...])``.
    """
    top = [c.rule_id for c in summary.causes[:_TOP_CAUSES]]
    series = top + (["other"] if len(summary.causes) > _TOP_CAUSES else [])
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    if UNKNOWN in colours:
        colours[UNKNOWN] = "#909497"

    def stack(day: str) -> list[tuple[str, int]]:
        counts = summary.daily.get(day, {})
        other = sum(n for cause, n in counts.items() if cause not in top)
        parts = [(cause, counts.get(cause, 0)) for cause in top] + [("other", other)]
        return [(cause, n) for cause, n in parts if n]

    width, height, left, bottom, top_pad = 760, 220, 36, 34, 10
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    peak = max((sum(n for _, n in stack(d)) for d in days), default=0) or 1
    slot = plot_w / max(len(days), 1)
    bar = max(min(slot * 0.7, 40), 1)
    out = [
        f'<svg class="trend" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="trend-title">',
        '<title id="trend-title">Failed builds per day, by root cause</title>',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 8}" y2="{top_pad + plot_h}" stroke="#888"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" class="axis">{peak}</text>',
        f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end" class="axis">0</text>',
    ]
    label_every = max(1, round(len(days) / 10))
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        y = top_pad + plot_h
        for cause, n in stack(day):
            h = plot_h * n / peak
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colours[cause]}" '
                f'data-day="{day}" data-cause="{_escape(cause)}" data-count="{n}">'
                f"<title>{day}: {_escape(cause)} ×{n}</title></rect>"
            )
        if i % label_every == 0 or i == len(days) - 1:
            out.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" class="axis">{day[5:]}</text>'
            )
    out.append("</svg>")
    return "".join(out), [(colours[name], name) for name in series]


def _minutes(value: float) -> str:
    return f"{value:,.1f}"
