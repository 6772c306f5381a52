"""Clustering unexplained builds (``analyzer.clusters``): fingerprint lines, masks, templates, ranking, history."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from analyzer.clusters import (
    NO_TEXT,
    cluster_report,
    cluster_texts,
    error_block,
    fingerprint,
    generalise,
    mask_token,
    telling_index,
)
from analyzer.engine import diagnose
from analyzer.models import Build, ContextLine, Diagnosis, FingerprintHistory, ScanReport
from analyzer.rules import load_rules
from tests.unknown_failures import KINDS, log_lines, record

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def rules():  # type: ignore[no-untyped-def]
    return load_rules().rules


def _diagnosis(rules, kind_name: str, n: int, *, project: str = "api", minutes: int = 5, hours: float = 0.0) -> Diagnosis:  # type: ignore[no-untyped-def]
    kind = next(k for k in KINDS if k.name == kind_name)
    rec = dict(record(kind, project, minutes))
    start = T0 + timedelta(hours=hours)
    rec.update(id=f"{project}:{n:08d}-1111-2222-3333-444455556666", startTime=start.timestamp(),
               endTime=(start + timedelta(minutes=minutes)).timestamp())  # fmt: skip
    lines = log_lines(kind, random.Random(n), n)
    return diagnose(rules, ["".join(lines).encode()], build=Build.from_api(rec))


def test_the_telling_line_is_the_error_not_a_header_or_a_debug_line() -> None:
    assert telling_index(["Traceback (most recent call last):", "ValueError: bad literal 'x'"]) == 1
    assert telling_index(
        ["history.go:56: [debug] getting history for release orders",
         "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress"]
    ) == 1  # fmt: skip
    assert telling_index(["_____ test_total _____", "E   assert 3 == 4"]) == 1
    assert telling_index(["error[E0425]: cannot find value `state` in this scope", "   --> src/main.rs:31:9"]) == 0
    assert telling_index(["just output"]) == 0


def test_volatile_tokens_are_masked_and_words_kept() -> None:
    assert mask_token("'01a1fa5b87f5'") == "<*>"  # a hash
    assert mask_token("./api/views.py:122:80:") == "<*>"  # a path with line and column
    assert mask_token("(115") == "<*>"
    assert mask_token("[REDACTED:aws-secret-key]") == "<*>"
    assert mask_token("UPGRADE") == "UPGRADE" and mask_token("`state`") == "`state`"
    assert fingerprint("alembic.util.exc.CommandError: Can't locate revision identified by 'be80c46d1fb6'") == (
        "alembic.util.exc.CommandError: Can't locate revision identified by <*>"
    )
    assert fingerprint("") == NO_TEXT


def test_drain_generalises_the_words_that_vary_and_keeps_kinds_apart() -> None:
    lines = [
        "error[E0425]: cannot find value `state` in this scope",
        "error[E0425]: cannot find value `app_args` in this scope",
        "Error: Cannot find module 'left-pad'",
        "error[E0425]: cannot find value `libs` in this scope",
        "Error: Cannot find module 'express'",
    ]
    ids, clusterer = cluster_texts(lines)
    assert ids[0] == ids[1] == ids[3] and ids[2] == ids[4] and ids[0] != ids[2]
    assert clusterer.template(ids[0]) == "<*> cannot find value <*> in this scope"
    assert generalise(clusterer.template(ids[0]), [lines[0], lines[1], lines[3]]) == (
        "error[E0425]: cannot find value <*> in this scope"
    )
    assert generalise(clusterer.template(ids[2]), [lines[2], lines[4]]) == "Error: Cannot find module <*>"


def test_error_block_comes_from_the_locator_then_the_tail_then_the_record(rules) -> None:  # type: ignore[no-untyped-def]
    located = _diagnosis(rules, "alembic", 3)
    block = error_block(located)
    assert [c.text for c in block.lines][0] == "Traceback (most recent call last):"
    assert block.line.text.startswith("alembic.util.exc.CommandError: Can't locate revision identified by '")
    assert block.phase == "PRE_BUILD" and block.finding is not None
    tail = Diagnosis(findings=(), tail=(ContextLine(7, "npm WARN deprecated x"), ContextLine(9, "fatal: bad object HEAD")))
    assert error_block(tail).line == ContextLine(9, "fatal: bad object HEAD")
    record_only = Diagnosis(findings=(), build=Build.from_api(
        {"id": "p:1", "phases": [{"phaseType": "PROVISIONING", "phaseStatus": "FAILED",
                                  "contexts": [{"statusCode": "CLIENT_ERROR", "message": "image not found"}]}]}))  # fmt: skip
    block = error_block(record_only)
    assert (block.line.text, block.phase) == ("CLIENT_ERROR: image not found", "PROVISIONING")
    assert error_block(Diagnosis(findings=())).line.text == NO_TEXT


def test_clusters_are_ranked_by_builds_then_minutes_with_their_times_and_projects(rules) -> None:  # type: ignore[no-untyped-def]
    diagnoses = [_diagnosis(rules, "kubectl", n, project=("web" if n % 2 else "api"), minutes=3, hours=n) for n in range(3)]
    diagnoses += [_diagnosis(rules, "helm", 10 + n, minutes=20, hours=5 + n) for n in range(2)]
    diagnoses += [_diagnosis(rules, "flake8", 20 + n, minutes=1, hours=8 + n) for n in range(2)]
    clusters = cluster_report(ScanReport(tuple(reversed(diagnoses))))
    assert [(c.rank, c.builds, c.minutes_lost) for c in clusters] == [(1, 3, 9.0), (2, 2, 40.0), (3, 2, 2.0)]
    kubectl, helm, flake8 = clusters
    assert kubectl.template == 'error: unable to recognize <*> no matches for kind <*> in version "extensions/v1beta1"'
    assert (kubectl.first_seen, kubectl.last_seen) == (T0, T0 + timedelta(hours=2))
    assert kubectl.projects == ("api", "web") and kubectl.phases == ("BUILD",)
    assert [m.build_id[:12] for m in kubectl.members] == ["api:00000002", "web:00000001", "api:00000000"]
    assert helm.name == "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress"
    assert flake8.template == "<*> E501 line too long <*> > 79 characters)"
    assert helm.sample.build_id == "api:00000011-1111-2222-3333-444455556666"  # the newest
    assert helm.history is None


def test_a_build_a_rule_explains_is_not_clustered(rules) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    log = next((Path(__file__).parent.parent / "fixtures/logs/go-checksum-mismatch").glob("positive-*.log")).read_bytes()
    explained = diagnose(rules, [log])
    assert explained.explained_by is not None and explained.explained_by.rule_id == "go-checksum-mismatch"
    assert cluster_report(ScanReport((explained,))) == ()
    (cluster,) = cluster_report(ScanReport((explained, _diagnosis(rules, "helm", 1))))
    assert cluster.builds == 1


def test_history_counts_the_cache_builds_that_fit_each_cluster(rules) -> None:  # type: ignore[no-untyped-def]
    diagnoses = tuple(_diagnosis(rules, "alembic", n, hours=n) for n in range(2))
    history = (
        FingerprintHistory("alembic.util.exc.CommandError: Can't locate revision identified by <*>", 30,
                           T0 - timedelta(days=20), T0 + timedelta(hours=1)),
        FingerprintHistory("alembic.util.exc.CommandError: Can't locate revision identified by <*>", 4,
                           T0 - timedelta(days=40), T0 - timedelta(days=30)),
        FingerprintHistory("Error: Cannot find module <*>", 9, T0 - timedelta(days=3), T0),  # no cluster of the scan
    )  # fmt: skip
    (cluster,) = cluster_report(ScanReport(diagnoses, history=history))
    assert cluster.history is not None
    assert (cluster.history.builds, cluster.history.first_seen, cluster.history.last_seen) == (
        34, T0 - timedelta(days=40), T0 + timedelta(hours=1)
    )


def test_every_format_shows_a_cluster_escaped_and_its_secrets_redacted(rules) -> None:  # type: ignore[no-untyped-def]
    import json

    from analyzer.report import Format, present
    from tests.report.secrets import SECRETS

    token, password = SECRETS["github token"], SECRETS["url password"]
    diagnoses = []
    for n, user in enumerate(("ci-bot", "deployer")):
        log = (
            "[Container] 2026/11/27 09:14:01.000001 Entering phase BUILD\n"
            "[Container] 2026/11/27 09:14:01.000002 Running command ./publish.sh\n"
            f"publish: pushing <b>{user}</b> with {token}\n"
            f"fatal: could not push to https://{user}:{password}@git.example.com/team/app.git <img src=x>\n"
            "[Container] 2026/11/27 09:14:02.000003 Command did not exit successfully ./publish.sh exit status 128\n"
            "[Container] 2026/11/27 09:14:02.000004 Phase complete: BUILD State: FAILED\n"
        )
        rec = {"id": f"app:{n:08d}-1111-2222-3333-444455556666", "projectName": "app", "buildStatus": "FAILED",
               "phases": [{"phaseType": "BUILD", "phaseStatus": "FAILED"}]}  # fmt: skip
        diagnoses.append(diagnose(rules, [log.encode()], build=Build.from_api(rec)))
    report = ScanReport(tuple(diagnoses))
    data = json.loads(present(report, Format.JSON))
    (cluster,) = data["clusters"]
    assert cluster["builds"] == 2
    assert cluster["template"] == "fatal: could not push to <*> <img src=x>"
    assert cluster["members"][0]["line"] == (
        "fatal: could not push to https://deployer:[REDACTED:url-credentials]@git.example.com/team/app.git <img src=x>"
    )
    for output_format in Format:
        text = present(report, output_format)
        assert token not in text and password not in text, output_format
    html = present(report, Format.HTML)
    assert "<img src=x>" not in html and "fatal: could not push to &lt;*&gt; &lt;img src=x&gt;" in html
