"""Checks over every shipped rule: each has cases, positives fire it first, negatives never do."""

from __future__ import annotations

import pytest

from analyzer.models import Role
from analyzer.rules.fixtures import diagnose_case, run_case
from tests.rules.conftest import CASES, FIXTURES

SECONDARY = "-secondary"
"""A positive case whose stem ends with this must fire its rule, but another rule ranks first
(e.g. a cache warning beside a failed test)."""


def test_every_rule_has_a_positive_and_a_negative_case(pack):
    kinds = {(c.rule_id, c.kind) for c in CASES}
    missing = [
        f"{rule.id}: no {kind} case"
        for rule in pack.rules
        for kind in ("positive", "negative")
        if (rule.id, kind) not in kinds
    ]
    assert missing == []


def test_every_fixture_folder_names_a_rule(pack):
    ids = {rule.id for rule in pack.rules}
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in ids) == []


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "positive"], ids=lambda c: c.case_id)
def test_positive_case_fires_its_rule_as_root_cause(pack, case):
    findings = diagnose_case(pack.rules, case).findings
    fired = [f.rule_id for f in findings]
    assert case.rule_id in fired
    own = findings[fired.index(case.rule_id)]
    if own.role is not Role.CAUSE:
        # A wrapper (npm's lifecycle failure), a consequence (artifacts a failed phase never
        # wrote) or noise (a retried rate limit in a phase that passed): it is first unless a
        # finding of a more causal role is.
        assert fired[0] == case.rule_id or findings[0].role.rank < own.role.rank, (fired, own.role)
    elif not case.name.endswith(SECONDARY):
        assert fired[0] == case.rule_id


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "negative"], ids=lambda c: c.case_id)
def test_negative_case_does_not_fire_its_rule(pack, case):
    assert case.rule_id not in [f["rule_id"] for f in run_case(pack.rules, case)]


def test_every_rule_has_an_https_reference_and_a_priority_in_range(pack):
    for rule in pack.rules:
        assert rule.references, rule.id
        assert all(ref.url.startswith("https://") for ref in rule.references), rule.id
        assert 0 <= rule.priority <= 100


def test_specific_causes_outrank_the_fallback(pack):
    fallback = pack.get("command-execution-error").priority
    below = {r.id for r in pack.rules if r.priority <= fallback and r.id != "command-execution-error"}
    # Only cache warnings rank below the fallback: a cache error never fails a build by itself.
    assert below == {"cache-access-denied", "cache-x509-system-roots"}
    assert pack.get("out-of-memory").priority > pack.get("exit-status-137-killed").priority > fallback
    assert pack.get("build-container-died").priority > pack.get("exit-status-137-killed").priority
    assert pack.get("docker-hub-rate-limit").priority > pack.get("image-pull-failed").priority


def test_every_rendered_fix_has_well_formed_code_fences() -> None:
    """A fence glued to the end of a text line never closes, and swallows the rest of the fix."""
    import re

    from analyzer.rules import load_rules
    from analyzer.rules.fixtures import diagnose_case, iter_cases
    from tests.helpers import REPO

    pack = load_rules()
    problems = []
    for case in iter_cases(REPO / "fixtures" / "logs"):
        for finding in diagnose_case(pack.rules, case).findings:
            for name, text in (("summary", finding.summary), ("remediation", finding.remediation)):
                glued = [line for line in text.splitlines() if re.search(r"\S\s*```", line)]
                fences = [line for line in text.splitlines() if line.lstrip().startswith("```")]
                if glued or len(fences) % 2:
                    problems.append(f"{case.case_id}: {finding.rule_id} {name}: {glued or fences}")
    assert problems == []
