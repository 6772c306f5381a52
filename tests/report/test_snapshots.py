"""Golden snapshots: every report format of ``diagnose`` (each sample build) and of ``scan``.

The reports under ``fixtures/expected/`` are the truth a refactor is checked
against; an intended change rewrites them with ``python3 scripts/update_snapshots.py``
(or ``pytest tests/report/test_snapshots.py --update-snapshots``), and the diff
is reviewed like code. Reports go through redaction first, as the CLI's do.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from analyzer.engine import diagnose
from analyzer.models import Build, Diagnosis
from analyzer.redact import redact_diagnosis, redact_scan
from analyzer.report import Format, RenderOptions, render_diagnosis, render_scan
from tests.helpers import REPO
from tests.report.conftest import make_scan, record

EXPECTED = REPO / "fixtures" / "expected"
SAMPLES = sorted(p.name for p in (REPO / "fixtures" / "builds").iterdir() if p.is_dir())
UNKNOWN = "05-unknown-failure"
"""A log no rule explains (the report shows its last error-looking lines)."""
WIDTH = 80
"""The text report's width in the snapshots (a pipe's stable width)."""

_GENERATED = re.compile(r"Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


def _sample(name: str, rules) -> Diagnosis:  # type: ignore[no-untyped-def]
    if name == UNKNOWN:
        log = b"Running tests\nmake[1]: *** [Makefile:12: test] Error 2\nmake: *** [all] Error 2\n"
        data = record("docs-site", 5, day=0, minutes=3)
    else:
        folder = REPO / "fixtures" / "builds" / name
        base = json.loads((folder / "build.json").read_text("utf-8"))
        data = record(base["projectName"], SAMPLES.index(name) + 1, day=0, minutes=4, base=base)
        log_file = folder / "log.txt"
        log = log_file.read_bytes() if log_file.exists() else None
    build = Build.from_api(data)
    source = f"cloudwatch:{build.logs.group_name}/{build.logs.stream_name}"
    return redact_diagnosis(diagnose(rules, [log] if log is not None else None, build, log_source=source))


def _check(path: Path, text: str, update: bool) -> None:
    text = _GENERATED.sub("Generated <time>", text)  # the one volatile part of a report
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"no snapshot {path.relative_to(REPO)}: run python3 scripts/update_snapshots.py"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{path.relative_to(REPO)} differs: run python3 scripts/update_snapshots.py and review the diff"


@pytest.mark.parametrize("output_format", list(Format), ids=lambda f: f.value)
@pytest.mark.parametrize("name", [*SAMPLES, UNKNOWN])
def test_diagnose_snapshot(name: str, output_format: Format, pack_rules, request) -> None:  # type: ignore[no-untyped-def]
    text = render_diagnosis(_sample(name, pack_rules), output_format, RenderOptions(width=WIDTH))
    _check(EXPECTED / "diagnose" / f"{name}.{output_format.suffix}", text, request.config.getoption("--update-snapshots"))


@pytest.mark.parametrize("output_format", list(Format), ids=lambda f: f.value)
def test_scan_snapshot(output_format: Format, pack_rules, request) -> None:  # type: ignore[no-untyped-def]
    text = render_scan(redact_scan(make_scan(pack_rules)), output_format, RenderOptions(width=WIDTH))
    _check(EXPECTED / "scan" / f"scan.{output_format.suffix}", text, request.config.getoption("--update-snapshots"))
