"""Parsing of scan's --since and --status values."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from analyzer.errors import ConfigError
from analyzer.scan import parse_since, parse_statuses

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", datetime(2026, 11, 30, 10, 30, tzinfo=timezone.utc)),
        ("24h", datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)),
        ("7d", datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)),
        ("2w", datetime(2026, 11, 16, 12, 0, tzinfo=timezone.utc)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=timezone.utc)),
        ("2026-11-01T08:00:00Z", datetime(2026, 11, 1, 8, tzinfo=timezone.utc)),
    ],
)
def test_since(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", "invalid --since 'yesterday': expected a duration (90m, 24h, 7d, 2w) or a date"),
        ("10000000d", "invalid --since '10000000d': that is before the year 1"),
    ],
)
def test_bad_since_names_the_value(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_since(text, NOW)
    assert str(info.value).startswith(message)


def test_statuses() -> None:
    assert parse_statuses("failed, FAULT,failed") == ("FAILED", "FAULT")
    with pytest.raises(ConfigError):
        parse_statuses("FAILED,BROKEN")


def test_project_names() -> None:
    from analyzer.cli import _project_names

    assert _project_names(["api", "web,worker"]) == ["api", "web", "worker"]
    with pytest.raises(ConfigError) as info:
        _project_names([""])
    assert str(info.value) == "invalid --project '': an empty project name"
