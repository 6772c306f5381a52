"""``rules show``, ``rules test`` and ``rules list`` on a team's rule directory and on the shipped pack."""

from __future__ import annotations

import io
import json
import re
import textwrap

import pytest

from analyzer.cli import main
from tests.rules.conftest import CASES

RULE = textwrap.dedent(
    """\
    id: fuse-blown
    title: A fuse blew
    severity: error
    category: power
    priority: 70
    description: The fuse box gave up.
    match:
      any:
        - 'FUSE BLOWN: (?P<fuse>\\w+)'
    summary: The fuse {{ fuse }} blew.
    remediation: |
      Replace the fuse {{ fuse }}.
    references:
      - title: Fuses
        url: https://example.com/fuses
    """
)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def team(tmp_path, monkeypatch):
    """``ci/rules/fuse-blown.yaml`` with its cases in ``ci/fixtures/fuse-blown/``; cwd is tmp_path."""
    monkeypatch.chdir(tmp_path)
    rules = tmp_path / "ci" / "rules"
    rules.mkdir(parents=True)
    (rules / "fuse-blown.yaml").write_text(RULE)
    cases = tmp_path / "ci" / "fixtures" / "fuse-blown"
    cases.mkdir(parents=True)
    (cases / "positive-main.log").write_text("starting\nFUSE BLOWN: main\n")
    (cases / "negative-fine.log").write_text("starting\nall fuses fine\n")
    expected = {
        "positive-main": [{"rule_id": "fuse-blown", "lines": [2], "captures": {"fuse": "main"}}],
        "negative-fine": [],
    }
    (cases / "expected.json").write_text(json.dumps(expected))
    return tmp_path / "ci"


def test_list_shows_priority():
    code, out, err = run(["rules", "list"])
    assert (code, err) == (0, "")
    # Column widths follow the longest id, so the row is matched by its cells.
    assert re.search(r"^docker-hub-rate-limit +error +90  docker +Docker Hub pull rate limit reached$", out, re.M)
    assert re.match(r"id +severity  priority  category    title\n", out)  # a header row names the columns


def test_test_passes_on_a_team_dir(team):
    assert run(["rules", "test", "--rules-dir", "ci/rules"]) == (
        0,
        "PASS fuse-blown/negative-fine\nPASS fuse-blown/positive-main\n",
        "2 passed, 0 failed\n",
    )
    assert run(["rules", "test", "ci/rules/fuse-blown.yaml", "-k", "positive"]) == (
        0,
        "PASS fuse-blown/positive-main\n",
        "1 passed, 0 failed\n",
    )


def test_test_shows_a_short_diff_on_failure(team):
    (team / "fixtures/fuse-blown/negative-fine.log").write_text("FUSE BLOWN: aux\n")
    (team / "fixtures/fuse-blown/positive-main.log").write_text("starting\n\nFUSE BLOWN: main\n")
    assert run(["rules", "test", "ci/rules"]) == (
        1,
        "FAIL fuse-blown/negative-fine\n"
        "    negative case: fuse-blown fired (lines [1])\n"
        "    findings differ from expected.json (- expected, + actual):\n"
        "    - (no finding)\n"
        '    + fuse-blown lines=[1] captures={"fuse": "aux"}\n'
        "FAIL fuse-blown/positive-main\n"
        "    findings differ from expected.json (- expected, + actual):\n"
        '    - fuse-blown lines=[2] captures={"fuse": "main"}\n'
        '    + fuse-blown lines=[3] captures={"fuse": "main"}\n',
        "0 passed, 2 failed\n",
    )


def test_a_rule_without_a_negative_case_fails(team):
    (team / "fixtures/fuse-blown/negative-fine.log").unlink()
    assert run(["rules", "test", "--no-default-rules", "--rules-dir", "ci/rules"]) == (
        1,
        "FAIL fuse-blown\n"
        "    missing fixtures: no negative case in ci/fixtures/fuse-blown/\n"
        "PASS fuse-blown/positive-main\n",
        "1 passed, 1 failed\n",
    )


def test_a_case_without_expected_entry_checks_its_kind_only(team):
    (team / "fixtures/fuse-blown/expected.json").unlink()
    assert run(["rules", "test", "ci/rules", "--fixtures", "ci/fixtures"]) == (
        0,
        "PASS fuse-blown/negative-fine (no expected.json entry: only the case's kind was checked)\n"
        "PASS fuse-blown/positive-main (no expected.json entry: only the case's kind was checked)\n",
        "2 passed, 0 failed\n",
    )


def test_test_confusion_needs_declared_overlaps(team):
    # The pack's fallback fires beside the team rule: allowed only once declared.
    log = "FUSE BLOWN: main\n[Container] 2025/03/08 23:03:00.050806 Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: make. Reason: exit status 2\n"
    (team / "fixtures/fuse-blown/positive-main.log").write_text(log)
    (team / "fixtures/fuse-blown/expected.json").unlink()
    code, out, err = run(["rules", "test", "ci/rules", "--confusion"])
    assert (code, err) == (1, "2 passed, 0 failed, 1 overlap problem\n")
    assert out.endswith(
        "confusion: rule fired on another rule's fixture cases (non-zero cells)\n"
        "  command-execution-error  on fuse-blown: 1 case\n"
        "undeclared overlap: command-execution-error fires on fuse-blown/positive-main\n"
    )
    (team / "fixtures/overlaps.yaml").write_text("fallbacks: [command-execution-error]\n")
    assert run(["rules", "test", "ci/rules", "--confusion"])[::2] == (0, "2 passed, 0 failed, 0 overlap problems\n")


def test_test_usage_errors(team, tmp_path):
    assert run(["rules", "test", "ci/rules", "-k", "nothing"]) == (
        2, "", "codebuild-doctor: error: no fixture case matches -k 'nothing'\n"
    )
    lone = tmp_path / "lone" / "deep"
    lone.mkdir(parents=True)
    (lone / "fuse-blown.yaml").write_text(RULE)
    code, out, err = run(["rules", "test", "lone/deep"])
    assert (code, out) == (2, "")
    assert err == (
        "codebuild-doctor: error: no fixtures directory for lone/deep (looked for fixtures/logs and "
        "fixtures beside it); pass --fixtures DIR\n"
    )


def test_test_takes_a_rule_id_for_its_file():
    code, out, err = run(["rules", "test", "docker-hub-rate-limit"])
    ids = sorted(c.case_id for c in CASES if c.rule_id == "docker-hub-rate-limit")
    assert (code, err) == (0, f"{len(ids)} passed, 0 failed\n")
    assert sorted(line.split()[1] for line in out.splitlines()) == ids
    assert run(["rules", "test", "no-such-rule"]) == (
        2, "", "codebuild-doctor: error: no such file, directory or rule id: no-such-rule\n"
    )


def test_shipped_pack_passes_every_case():
    code, out, err = run(["rules", "test"])
    assert (code, err) == (0, f"{len(CASES)} passed, 0 failed\n")
    assert "PASS docker-hub-rate-limit/positive-docker-build\n" in out
    assert "FAIL" not in out


def test_show_a_team_rule(team):
    assert run(["rules", "show", "fuse-blown", "--rules-dir", "ci/rules"]) == (
        0,
        textwrap.dedent(
            """\
            fuse-blown: A fuse blew
              file:      ci/rules/fuse-blown.yaml
              severity:  error
              category:  power
              priority:  70
              tags:      -

            match (any of 1):
              1. FUSE BLOWN: (?P<fuse>\\w+)

            description:
              The fuse box gave up.

            summary (template):
              The fuse {{ fuse }} blew.

            remediation (template):
              Replace the fuse {{ fuse }}.

            references:
              - Fuses: https://example.com/fuses

            fixture cases (ci/fixtures/fuse-blown/):
              negative-fine  [negative-fine.log]
                expected: (no finding)
              positive-main  [positive-main.log]
                expected: fuse-blown lines=[2] captures={"fuse": "main"}
            """
        ),
        "",
    )


def test_show_a_shipped_rule_lists_its_cases():
    code, out, err = run(["rules", "show", "docker-hub-rate-limit"])
    assert (code, err) == (0, "")
    assert out.startswith("docker-hub-rate-limit: Docker Hub pull rate limit reached\n")
    assert "  priority:  90\n" in out
    assert (
        "fixture cases (fixtures/logs/docker-hub-rate-limit/):\n"
        "  negative-authenticated-pull  [negative-authenticated-pull.log]\n"
        "    expected: (no finding)\n"
    ) in out
    assert (
        "  positive-docker-build  [positive-docker-build.log]\n"
        '    expected: docker-hub-rate-limit lines=[19] captures={"image": "node:18-alpine"}\n'
        '    expected: command-execution-error lines=[23] captures={"command": "docker build -t app .", "exit_status": "1"}\n'
    ) in out


def test_show_unknown_id_suggests_close_matches(pack):
    loaded = len(pack.rules)
    code, out, err = run(["rules", "show", "docker-hub-rate"])
    assert (code, out) == (2, "")
    first, second = err.splitlines()
    assert first == (
        f"codebuild-doctor: error: unknown rule id 'docker-hub-rate' ({loaded} rules loaded; see 'codebuild-doctor rules list')"
    )
    # The closest match comes first; others follow as the pack grows.
    assert second.startswith("did you mean: docker-hub-rate-limit") and second.endswith("?")
    assert run(["rules", "show", "zzz"])[2] == (
        f"codebuild-doctor: error: unknown rule id 'zzz' ({loaded} rules loaded; see 'codebuild-doctor rules list')\n"
    )
