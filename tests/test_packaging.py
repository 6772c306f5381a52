"""The wheel: it installs the package with the shipped rule pack and the demo's samples inside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel and installed into a bare target directory."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check", "-w", str(dist), str(REPO)],
        check=True,
    )  # fmt: skip
    (wheel,) = dist.glob("codebuild_doctor-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "analyzer/data/rules/docker/docker-hub-rate-limit.yaml" in names
    assert "analyzer/rules/rule.schema.json" in names
    assert "analyzer/report/diagnosis.schema.json" in names
    for template in ("_layout.html.j2", "_build.html.j2", "diagnosis.html.j2", "scan.html.j2", "report.css.j2", "report.js.j2"):
        assert f"analyzer/report/templates/{template}" in names
    assert "analyzer/data/demo/01-docker-hub-rate-limit/build.json" in names
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--disable-pip-version-check", "--target", str(target), str(wheel)],
        check=True,
    )  # fmt: skip
    return target


def _run(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_installed_wheel_loads_the_shipped_rules(installed: Path, tmp_path: Path) -> None:
    where = _run(installed, "-c", "import analyzer.rules.loader as l; print(l.default_rules_dir())", cwd=tmp_path)
    assert where.stdout.strip() == str(installed / "analyzer" / "data" / "rules")
    listed = _run(installed, "-m", "analyzer", "rules", "list", "--format", "json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    shipped = {p.stem for p in (REPO / "rules").rglob("*.yaml")}
    assert {rule["id"] for rule in json.loads(listed.stdout)} == shipped


def test_installed_wheel_diagnoses_a_log(installed: Path, tmp_path: Path) -> None:
    log = REPO / "fixtures/builds/01-docker-hub-rate-limit/log.txt"
    run = _run(installed, "-m", "analyzer", "diagnose", "--log-file", str(log), "--format", "json", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert json.loads(run.stdout)["root_cause"] == "docker-hub-rate-limit"


def test_installed_wheel_renders_the_html_report(installed: Path, tmp_path: Path) -> None:
    log = REPO / "fixtures/builds/01-docker-hub-rate-limit/log.txt"
    run = _run(installed, "-m", "analyzer", "diagnose", "--log-file", str(log), "--format", "html", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("<!DOCTYPE html>") and "Root cause: Docker Hub pull rate limit reached" in run.stdout


def test_installed_wheel_finds_the_demo_samples(installed: Path, tmp_path: Path) -> None:
    code = "import analyzer.demo as d; print(d.default_samples_dir()); print(len(d.load_samples()))"
    run = _run(installed, "-c", code, cwd=tmp_path)
    assert run.stdout.split() == [str(installed / "analyzer" / "data" / "demo"), "4"]


def test_the_version_is_the_one_in_pyproject() -> None:
    import tomllib

    from analyzer._version import __version__

    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert __version__ == data["project"]["version"]


def test_contributing_names_only_files_a_clone_has() -> None:
    """CONTRIBUTING.md must tell the truth: every repository path it names exists in a checkout."""
    import re

    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    top = r"(?:analyzer|scripts|tests|fixtures|rules|benchmarks|docs|deploy|\.ci)"
    named = {p.rstrip(".,:;") for p in re.findall(rf"(?<![\w/.-])({top}/[^\s`<>()]+)", text)}
    assert "scripts/update_snapshots.py" in named
    missing = sorted(path for path in named if not any(REPO.glob(path.rstrip("/"))))  # a pattern: one file at least
    assert missing == []
    assert "../shared" not in text  # nothing outside the repository
