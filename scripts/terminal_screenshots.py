#!/usr/bin/env python3
"""Screenshots of the text report in a real terminal (tmux) at 60, 80 and 160 columns, as PNGs in docs/.

Usage: ``.venv/bin/python scripts/terminal_screenshots.py`` (needs tmux and Chromium:
``apt-get install -y tmux chromium``). Each width runs ``codebuild-doctor diagnose``
in a detached tmux session of that size, captures the pane with its colours
(``capture-pane -e``), turns the ANSI text into HTML with rich, and has headless
Chromium photograph it. The ANSI captures are kept beside the PNGs (``*.ansi``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
LOG = ROOT / "fixtures" / "builds" / "01-docker-hub-rate-limit" / "log.txt"
SOCKET = f"cbd-shots-{os.getpid()}"
CELL_W, CELL_H = 8.4, 17


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", SOCKET, *args], check=True, capture_output=True, text=True).stdout


def capture(width: int, command: str) -> str:
    """The whole output of ``command`` in a ``width``-column tmux pane, with its ANSI styles."""
    done = Path(tempfile.mkstemp(prefix="cbd-shot-")[1])
    done.unlink()
    _tmux("new-session", "-d", "-s", "shot", "-x", str(width), "-y", "400",
          f"cd {shlex.quote(str(ROOT))} && {command}; touch {shlex.quote(str(done))}; sleep 60")  # fmt: skip
    try:
        for _ in range(600):
            if done.exists():
                break
            time.sleep(0.05)
        return _tmux("capture-pane", "-p", "-e", "-t", "shot", "-S", "-", "-E", "-")
    finally:
        _tmux("kill-server")
        done.unlink(missing_ok=True)


def to_png(ansi: str, width: int, png: Path, chromium: str) -> None:
    from rich.console import Console
    from rich.terminal_theme import MONOKAI
    from rich.text import Text

    lines = ansi.rstrip("\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    console = Console(record=True, width=width, force_terminal=True, color_system="standard", file=open(os.devnull, "w"))
    for line in lines:
        console.print(Text.from_ansi(line), soft_wrap=True, no_wrap=True, overflow="ignore", crop=False)
    html = console.export_html(theme=MONOKAI, inline_styles=True, code_format=(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
        "body{{margin:0;background:#0c0c0c;color:#d9d9d9}}"
        "pre{{margin:8px;font:14px/17px 'DejaVu Sans Mono',monospace;}}"
        "</style></head><body><pre><code>{code}</code></pre></body></html>"
    ))  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False, encoding="utf-8") as handle:
        handle.write(html)
    size = f"{int(width * CELL_W) + 16},{int(len(lines) * CELL_H) + 16}"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={size}", f"--screenshot={png}", f"file://{handle.name}"],
                   check=True, capture_output=True)  # fmt: skip
    os.unlink(handle.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    binary = ROOT / ".venv" / "bin" / "codebuild-doctor"
    command = f"{shlex.quote(str(binary))} diagnose --log-file {shlex.quote(str(LOG.relative_to(ROOT)))}"
    for width in (60, 80, 160):
        ansi = capture(width, command)
        (OUT / f"diagnose-{width}.ansi").write_text(ansi, encoding="utf-8")
        to_png(ansi, width, OUT / f"diagnose-{width}.png", args.chromium)
        widest = max(len(line) for line in Text_plain(ansi))
        print(f"{width} columns: {OUT / f'diagnose-{width}.png'} (widest line {widest})")
    return 0


def Text_plain(ansi: str) -> list[str]:  # noqa: N802
    from rich.text import Text

    return [Text.from_ansi(line).plain for line in ansi.split("\n")]


if __name__ == "__main__":
    sys.exit(main())
