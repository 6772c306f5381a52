"""``scripts/demo``: installs once, then skips the install while the packaging is unchanged; no pip noise."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import REPO

FAKE_PYTHON = """#!/bin/sh
# Stands in for python3 and the venv's python: logs each call; 'pip install' makes a fake console script.
echo "$(basename "$0") $*" >> "$CALLS"
if [ "$1" = "-c" ]; then exec "$REAL_PYTHON" "$@"; fi
if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; exit 0; fi
if [ "$1 $2" = "-m pip" ]; then
    echo "SetuptoolsDeprecationWarning: License classifiers are deprecated." >&2
    printf '#!/bin/sh\\necho "demo $*"\\n' > "$(dirname "$0")/codebuild-doctor"
    chmod +x "$(dirname "$0")/codebuild-doctor"
    exit 0
fi
exit 3
"""


def _demo(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "python3"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CALLS": str(tmp_path / "calls.log"),
        "REAL_PYTHON": sys.executable,
        "CODEBUILD_DOCTOR_VENV": str(tmp_path / "venv"),
    }
    start = time.monotonic()
    run = subprocess.run(["bash", str(REPO / "scripts" / "demo"), *args], env=env, capture_output=True, text=True, timeout=60)
    return run, time.monotonic() - start


def test_scripts_demo_installs_once_then_skips_and_shows_no_pip_output(tmp_path: Path) -> None:
    first, _ = _demo(tmp_path, "--no-html")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "demo demo --no-html\n"
    assert "Setuptools" not in first.stderr  # pip's and setuptools' chatter is hidden when the install works
    assert first.stderr == f"scripts/demo: installing codebuild-doctor[demo] into {tmp_path / 'venv'} (later runs skip this)\n"
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert "python3 -m venv " + str(tmp_path / "venv") in calls
    assert "python -m pip install --quiet --disable-pip-version-check -e .[demo]" in calls

    (tmp_path / "calls.log").unlink()
    second, seconds = _demo(tmp_path, "--format", "json")
    assert second.returncode == 0 and second.stderr == ""
    assert second.stdout == "demo demo --format json\n"
    assert [c.split()[1] for c in (tmp_path / "calls.log").read_text().splitlines()] == ["-c"]  # the hash only
    assert seconds < 10
