"""Shared fixtures of the rule-pack tests: the shipped pack and its fixture cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.rules import load_rules
from analyzer.rules.fixtures import iter_cases
from analyzer.rules.loader import RulePack

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "logs"
CASES = list(iter_cases(FIXTURES))


@pytest.fixture(scope="session")
def pack() -> RulePack:
    """The shipped rule pack, loaded once."""
    return load_rules()
