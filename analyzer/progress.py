"""A rich progress bar for ``scan`` on a terminal: builds done of total, log bytes fetched, time left.

A :class:`~analyzer.scan.ScanObserver`; the CLI uses it only when stderr is a
TTY and ``--quiet`` is off, so no terminal code reaches :mod:`analyzer.scan`.
rich is imported only here.
"""

from __future__ import annotations

from typing import Any, TextIO

from analyzer.scan import ScanObserver


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"  # pragma: no cover


class RichProgress(ScanObserver):
    """Shows a bar on ``stream`` (stderr) while the scan runs; use as a context manager."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(file=stream, stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("builds"),
            TextColumn("{task.fields[fetched]} of logs fetched, {task.fields[cached]} from cache"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.task: Any = None
        self.fetched = 0
        self.cached = 0

    def __enter__(self) -> RichProgress:
        self.progress.start()
        self.task = self.progress.add_task("listing builds", total=None, fetched="0 B", cached=0)
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def listed(self, projects: int) -> None:
        """Say how many projects are being listed."""
        self.progress.update(self.task, description=f"listing builds of {projects} projects")

    def selected(self, total: int) -> None:
        """Switch the bar to the builds to diagnose."""
        self.progress.update(self.task, description="diagnosing", total=total, completed=0)

    def build_done(self, build_id: str, *, skipped: bool, fetched_bytes: int, cached: bool) -> None:
        """Advance by one build."""
        self.fetched += fetched_bytes
        self.cached += int(cached)
        self.progress.update(self.task, advance=1, fetched=_size(self.fetched), cached=self.cached)

    def warning(self, message: str) -> None:
        """Print above the bar."""
        self.console.print(f"codebuild-doctor: warning: {message}", markup=False, highlight=False)
