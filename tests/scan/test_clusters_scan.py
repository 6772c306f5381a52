"""``scan`` end to end over moto (HTTP): 60 failed builds in 5 kinds no shipped rule names, clustered.

The kinds (``tests/unknown_failures.py``) follow public reports' wording, with names, paths,
numbers and ids that vary from build to build; each must come out as one cluster with its
exact builds, minutes and template, in every format.
"""

from __future__ import annotations

import io
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.demo import FAKE_CREDENTIALS, moto_server, seed_builds_in_process
from tests.unknown_failures import KINDS, log_lines, record, success_lines, success_record

pytestmark = pytest.mark.aws

REGION = "ap-southeast-2"
COUNTS = {"helm": 2, "kubectl": 6, "alembic": 12, "flake8": 20, "rust": 20}
"""Builds of each kind: two to twenty, 60 in all."""
PROJECTS = ("billing", "search", "mobile-api")


@dataclass
class Seeded:
    """The server and what was seeded: build id -> (kind name, minutes)."""

    endpoint: str
    builds: dict[str, tuple[str, int]]

    def of(self, kind: str) -> set[str]:
        """The build ids of one kind."""
        return {b for b, (k, _m) in self.builds.items() if k == kind}


@pytest.fixture(scope="module")
def unknowns() -> Iterator[Seeded]:
    """60 failed builds (and one that succeeded per project), started in the last 50 hours."""
    mp = pytest.MonkeyPatch()
    for key, value in FAKE_CREDENTIALS.items():
        mp.setenv(key, value)
    rng = random.Random(12)
    now = time.time()
    specs, kinds = [], []
    n = 0
    for kind in KINDS:
        for i in range(COUNTS[kind.name]):
            minutes = 2 + (n * 7) % 23
            rec = record(kind, PROJECTS[n % len(PROJECTS)], minutes)
            specs.append({"record": rec, "log_lines": log_lines(kind, rng, i), "start_time": now - 3600 * (50 - n * 0.8)})
            kinds.append((kind.name, minutes))
            n += 1
    successes = [
        {"record": success_record(project), "log_lines": success_lines(rng, project), "start_time": now - 3600 * 30}
        for project in PROJECTS
    ]
    with moto_server() as endpoint:
        ids = seed_builds_in_process(specs + successes, region=REGION)
        yield Seeded(endpoint, dict(zip(ids, kinds, strict=False)))
    mp.undo()


def _scan(seeded: Seeded, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["scan", "--region", REGION, "--endpoint-url", seeded.endpoint, "--since", "3d", "--logs-rps", "1000",
         "--quiet", *args],
        stdout=out, stderr=err,
    )  # fmt: skip
    return code, out.getvalue(), err.getvalue()


def test_scan_shows_exactly_the_five_clusters_with_their_builds_and_minutes(unknowns: Seeded, tmp_path: Path) -> None:
    from analyzer.report.json import schema_validator

    code, out, err = _scan(unknowns, "--format", "json", "--no-cache")
    assert code == 1, err
    data = json.loads(out)
    schema_validator("scan.schema.json").validate(data)
    assert data["schema_version"] == "1.1"
    assert data["summary"]["builds"] == 60 and data["summary"]["unknown"] == 60
    clusters = data["clusters"]
    by_template = {kind.template: kind.name for kind in KINDS}
    minutes = {kind.name: sum(m for k, m in unknowns.builds.values() if k == kind.name) for kind in KINDS}
    ranked = sorted(KINDS, key=lambda k: (-COUNTS[k.name], -minutes[k.name]))
    assert [(c["rank"], c["template"], c["builds"]) for c in clusters] == [
        (rank, kind.template, COUNTS[kind.name]) for rank, kind in enumerate(ranked, 1)
    ]
    assert [c["builds"] for c in clusters] == [20, 20, 12, 6, 2]
    for cluster in clusters:
        kind = by_template[cluster["template"]]
        assert {m["build_id"] for m in cluster["members"]} == unknowns.of(kind)
        minutes = sum(m for k, m in unknowns.builds.values() if k == kind)
        assert cluster["minutes_lost"] == pytest.approx(minutes)
        assert cluster["phases"] == [next(k.phase for k in KINDS if k.name == kind)]
        assert cluster["history"] is None  # no cache
        starts = sorted(m["start_time"] for m in cluster["members"])
        assert (cluster["first_seen"], cluster["last_seen"]) == (starts[0], starts[-1])
        assert sorted(cluster["projects"]) == sorted({unknowns_project(m) for m in cluster["members"]})
        newest = cluster["members"][0]
        assert cluster["sample"]["build_id"] == newest["build_id"]
        block = [line for line in cluster["sample"]["lines"] if line["block"]]
        assert {"line_number": newest["line_number"], "text": newest["line"], "block": True} in block
        assert any(not line["block"] for line in cluster["sample"]["lines"])  # with its context
    assert clusters[0]["minutes_lost"] > clusters[1]["minutes_lost"]  # two of 20 builds: minutes decide
    rust = next(c for c in clusters if c["template"].startswith("error[E0425]"))
    assert rust["members"][0]["line"].startswith("error[E0425]: cannot find value `")


def unknowns_project(member: dict[str, object]) -> str:
    """The project of a cluster member, from its build id."""
    return str(member["build_id"]).split(":", 1)[0]


def test_text_markdown_and_html_show_the_clusters_ranked(unknowns: Seeded, tmp_path: Path) -> None:
    code, text, _err = _scan(unknowns, "--no-cache")
    assert code == 1
    assert "Recurring unknown failures (5 clusters of 60 builds)" in text
    assert "  3. alembic.util.exc.CommandError: Can't locate revision identified by <*>\n" in text
    assert text.index("  3. alembic") < text.index("  4. error: unable to recognize") < text.index("  5. Error: UPGRADE")
    assert "  5. Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n" in text
    code, markdown, _err = _scan(unknowns, "--no-cache", "--format", "markdown")
    assert "| 3 | `alembic.util.exc.CommandError: Can't locate revision identified by <*>` | 12 |" in markdown
    page = tmp_path / "scan.html"
    code, _out, _err = _scan(unknowns, "--no-cache", "--format", "html", "-o", str(page))
    html = page.read_text(encoding="utf-8")
    assert '<h2 id="clusters">Recurring unknown failures</h2>' in html
    assert html.count('<details class="cluster"') == 5
    # Log text is escaped: the kubectl template's quotes and the <*> marks are entities, never markup.
    assert "error: unable to recognize &lt;*&gt; no matches for kind &lt;*&gt; in version &#34;extensions/v1beta1&#34;" in html


DRAFTED = {"helm": "helm-release-locked", "kubectl": "kubectl-removed-api-version", "alembic": "alembic-revision-missing",
           "flake8": "flake8-line-too-long", "rust": "rust-unresolved-name"}  # fmt: skip
ALEMBIC_PATTERN = (
    r"""    - '^\s*alembic\.util\.exc\.CommandError:\s+Can''t\s+locate\s+revision\s+identified\s+by\s+"""
    r"""''(?P<id>[0-9a-f]+)'''"""
)


def test_drafted_rules_pass_their_cases_and_a_second_scan_explains_every_build(unknowns: Seeded, tmp_path: Path) -> None:
    scan_json, cache = tmp_path / "scan.json", tmp_path / "cache"
    code, _out, err = _scan(unknowns, "--format", "json", "-o", str(scan_json), "--cache-dir", str(cache),
                            "--status", "FAILED,SUCCEEDED")  # fmt: skip
    assert code == 1, err
    data = json.loads(scan_json.read_text(encoding="utf-8"))
    assert data["summary"]["builds"] == 63
    assert [c["builds"] for c in data["clusters"]] == [20, 20, 12, 6, 2]  # the successes are no cluster
    team = tmp_path / "team"
    for cluster in data["clusters"]:
        kind = next(k.name for k in KINDS if k.template == cluster["template"])
        out, err_stream = io.StringIO(), io.StringIO()
        code = main(
            ["rules", "draft", "--from-scan", str(scan_json), "--cluster", str(cluster["rank"]), "--id", DRAFTED[kind],
             "--output-dir", str(team / "rules"), "--cache-dir", str(cache)],
            stdout=out, stderr=err_stream,
        )  # fmt: skip
        assert code == 0, err_stream.getvalue()
        cases = team / "fixtures" / DRAFTED[kind]
        # The negative case is a build of the same project that succeeded, read from the scan's cache.
        assert "Happy Helming!" in (cases / "negative-success.log").read_text(encoding="utf-8")
        assert (cases / "positive-sample.log").read_text(encoding="utf-8").count(cluster["members"][0]["line"]) == 1
    rule = (team / "rules" / "alembic-revision-missing.yaml").read_text(encoding="utf-8")
    assert ALEMBIC_PATTERN + "\n" in rule
    assert "  phases: [PRE_BUILD]" in rule and "severity: error" in rule

    out, err_stream = io.StringIO(), io.StringIO()
    assert main(["rules", "test", "--rules-dir", str(team / "rules")], stdout=out, stderr=err_stream) == 0, out.getvalue()
    # 4 rules x (the sample, the builds' other lines, a negative); helm's builds all print one line: no second positive
    assert err_stream.getvalue() == "14 passed, 0 failed\n"
    lint = io.StringIO()
    assert main(["rules", "lint", "--strict", str(team / "rules")], stdout=lint, stderr=io.StringIO()) == 0, lint.getvalue()

    code, out_text, err = _scan(unknowns, "--format", "json", "--cache-dir", str(cache), "--rules-dir", str(team / "rules"))
    second = json.loads(out_text)
    assert (second["summary"]["builds"], second["summary"]["unknown"], second["summary"]["diagnosed"]) == (60, 0, 60)
    assert second["clusters"] == []
    causes = {c["rule_id"]: c["builds"] for c in second["summary"]["causes"]}
    assert causes == {DRAFTED[k]: n for k, n in COUNTS.items()}
    for build in second["builds"]:
        kind, _minutes = unknowns.builds[build["build"]["build_id"]]
        assert build["root_cause"] == DRAFTED[kind]


def test_a_cluster_counts_its_builds_over_the_cache_history_not_only_the_window(unknowns: Seeded, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code, first, err = _scan(unknowns, "--format", "json", "--cache-dir", str(cache))  # --since 3d: all 60
    assert code == 1, err
    everything = {c["template"]: c for c in json.loads(first)["clusters"]}
    assert {t: c["history"]["builds"] for t, c in everything.items()} == {k.template: COUNTS[k.name] for k in KINDS}
    # The last 20 hours hold builds 38-59 of the 60: flake8's last 2 and rust's 20. The cache keeps
    # every build's fingerprint, so flake8's cluster still counts its 20 builds, since its first.
    code, second, err = _scan(unknowns, "--format", "json", "--cache-dir", str(cache), "--since", "20h")
    clusters = {c["template"]: c for c in json.loads(second)["clusters"]}
    flake8 = clusters[next(k.template for k in KINDS if k.name == "flake8")]
    assert (flake8["builds"], flake8["history"]["builds"]) == (2, 20)
    assert flake8["history"]["first_seen"] == everything[flake8["template"]]["first_seen"]
    assert flake8["history"]["last_seen"] == flake8["last_seen"]
    assert len(clusters) == 2
    text = _scan(unknowns, "--cache-dir", str(cache), "--since", "20h")[1]
    first_seen = everything[flake8["template"]]["first_seen"][:16].replace("T", " ")
    assert f"20 builds in the cache's history, first {first_seen} UTC" in text
