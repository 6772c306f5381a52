"""The generated rule catalogue: docs/rules.md must be up to date (CI fails when it is stale)."""

from __future__ import annotations

import io
import textwrap

from analyzer.cli import main
from analyzer.rules.catalogue import render_catalogue
from tests.helpers import REPO, make_rule

DOCS = REPO / "docs" / "rules.md"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_docs_rules_md_is_up_to_date():
    code, out, err = run(["rules", "docs", "--output", str(DOCS), "--check"])
    assert (code, out, err) == (0, "", ""), err


def test_check_reports_a_stale_file_and_the_command(tmp_path):
    stale = tmp_path / "rules.md"
    stale.write_text("# old\n")
    assert run(["rules", "docs", "--output", str(stale), "--check"]) == (
        1,
        "",
        f"codebuild-doctor: {stale} is out of date: run 'codebuild-doctor rules docs --output {stale}'\n",
    )
    assert stale.read_text() == "# old\n"
    assert run(["rules", "docs", "--check"]) == (
        2,
        "",
        "codebuild-doctor: error: --check needs --output FILE (the catalogue to compare)\n",
    )


def test_docs_writes_the_file(tmp_path, pack):
    target = tmp_path / "rules.md"
    assert run(["rules", "docs", "--output", str(target)]) == (
        0,
        "",
        f"codebuild-doctor: wrote {target} ({len(pack.rules)} rules)\n",
    )
    assert target.read_text() == render_catalogue(pack.rules)
    assert run(["rules", "docs"])[1] == target.read_text()


def test_render_is_deterministic_and_complete():
    one = make_rule(
        """
        id: b-rule
        title: B | pipes
        category: zeta
        priority: 70
        tags: [x]
        description: |
          What it
          means.
        match: {any: [b]}
        references: [{title: Fix, url: "https://example.com/fix"}]
        """
    )
    two = make_rule("id: a-rule\ncategory: alpha\nmatch: {any: [a]}\n")
    text = render_catalogue([one, two])
    assert text == render_catalogue([two, one])
    assert text == textwrap.dedent(
        """\
        # Rule catalogue

        <!-- Generated from the rule files by `codebuild-doctor rules docs --output docs/rules.md`; do not edit by hand. -->

        2 rules in 2 categories. Findings are ranked by priority (0-100, a root cause above the symptoms it causes), then severity. Each rule is one YAML file under `rules/<category>/<id>.yaml`; see the README's "Adding a rule".

        Categories: [alpha](#category-alpha), [zeta](#category-zeta)

        <a id="category-alpha"></a>

        ## alpha

        | id | title | severity | priority |
        |---|---|---|---|
        | [`a-rule`](#a-rule) | rule a-rule | error | 50 |

        <a id="a-rule"></a>

        ### `a-rule`: rule a-rule

        **Severity:** error · **Priority:** 50

        _No description._

        <a id="category-zeta"></a>

        ## zeta

        | id | title | severity | priority |
        |---|---|---|---|
        | [`b-rule`](#b-rule) | B \\| pipes | error | 70 |

        <a id="b-rule"></a>

        ### `b-rule`: B | pipes

        **Severity:** error · **Priority:** 70 · **Tags:** `x`

        What it means.

        How to fix it:

        - [Fix](https://example.com/fix)
        """
    )
