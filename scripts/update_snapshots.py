#!/usr/bin/env python3
"""Rewrite the golden report snapshots under ``fixtures/expected/`` from the current code.

Usage: ``python3 scripts/update_snapshots.py`` (from a checkout with ``.venv``, as
``scripts/test`` makes it). Review ``git diff fixtures/expected`` before committing:
the snapshots are the reports' truth.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    python = ROOT / ".venv" / "bin" / "python"
    command = [str(python if python.exists() else sys.executable), "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "tests/report/test_snapshots.py", "--update-snapshots", *sys.argv[1:]]  # fmt: skip
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
