"""Provenance: every positive fixture names the public report its wording comes from (a URL).

A positive case's wording must come from a real report (an issue, a forum answer, the tool's
own source), cited in its folder's ``README.md``. Cases written before that rule are listed
in ``provenance_todo.txt``; the list may only shrink: a new positive case without a source
fails, and so does a listed case that has one now (take it off the list). When the list is
empty, :func:`test_every_positive_case_names_its_source` holds for every case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.rules.fixtures import case_sources
from tests.rules.conftest import CASES

TODO_FILE = Path(__file__).with_name("provenance_todo.txt")
TODO = {
    line.strip() for line in TODO_FILE.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")
}
POSITIVE = [case for case in CASES if case.kind == "positive"]


def _sources(case) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return case_sources(case.directory).get(case.name, ())


def test_case_sources_reads_each_bullet_of_the_readme(tmp_path):
    (tmp_path / "README.md").write_text(
        "# r: where the wording comes from\n\n"
        "- `positive-a.log`: `boom`, as in https://github.com/o/r/issues/1 and\n"
        "  https://example.com/post.\n"
        "- `positive-b.log` and `positive-c.json`: from (https://github.com/o/r/pull/2).\n"
        "- `negative-d.log`: a near miss.\n",
        encoding="utf-8",
    )
    assert case_sources(tmp_path) == {
        "positive-a": ("https://github.com/o/r/issues/1", "https://example.com/post"),
        "positive-b": ("https://github.com/o/r/pull/2",),
        "positive-c": ("https://github.com/o/r/pull/2",),
        "negative-d": (),
    }
    assert case_sources(tmp_path / "missing") == {}


def test_provenance_todo_lists_only_cases_that_exist_and_still_lack_a_source():
    positive = {case.case_id: case for case in POSITIVE}
    assert sorted(TODO - set(positive)) == []  # a renamed or removed case: update the list
    assert sorted(case_id for case_id in TODO if _sources(positive[case_id])) == []  # sourced now: remove it


@pytest.mark.parametrize("case", [c for c in POSITIVE if c.case_id not in TODO], ids=lambda c: c.case_id)
def test_every_positive_case_names_its_source(case):
    sources = _sources(case)
    assert sources, f"{case.case_id}: name the public report its wording comes from in {case.directory}/README.md"
    assert all(url.startswith(("https://", "http://")) for url in sources)
