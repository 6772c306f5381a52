"""Every fixture case: the whole pack's findings equal ``expected.json`` (rank, lines, captures)."""

from __future__ import annotations

import pytest

from analyzer.rules.fixtures import load_expected, run_case
from tests.rules.conftest import CASES


@pytest.mark.parametrize("case", CASES, ids=[c.case_id for c in CASES])
def test_case_matches_expected(pack, case):
    expected = load_expected(case.directory)
    assert case.name in expected, f"{case.case_id} has no entry in expected.json: run scripts/update_expected.py"
    assert run_case(pack.rules, case) == expected[case.name]


def test_expected_files_have_no_stale_entries():
    stems = {}
    for case in CASES:
        stems.setdefault(case.directory, set()).add(case.name)
    for directory, names in stems.items():
        assert set(load_expected(directory)) == names, directory.name
