"""Redaction's literal screen: a pattern is skipped on a line only when it cannot match there.

Each catalogue pattern is tried on an ASCII line only if the lower-cased line holds one of the
literals every match of it holds (:func:`analyzer.redact._screen`). These tests compare the
screened finds with every pattern tried, on the planted secrets of the sweep (alone, upper-cased
and mixed-cased, inside log prose) and on every line of the shipped fixture logs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import redact
from analyzer.engine.prefilter import FOLDS_TO_ASCII
from tests.report.test_redact_sweep import KINDS

FIXTURE_LOGS = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "logs").rglob("*.log"))


def _unscreened(text: str) -> list[redact.Secret]:
    original = redact._screen
    redact._screen = lambda _text: redact.catalogue()  # type: ignore[assignment]
    try:
        return redact.find_secrets(text)
    finally:
        redact._screen = original  # type: ignore[assignment]


def _variants(line: str) -> list[str]:
    return [line, line.upper(), line.swapcase(), f"[Container] 2026/12/05 05:00:00.1 Running command {line} && echo done",
            f"✓ {line} — é", f"✗ {line.upper()} ü"]  # fmt: skip


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_screen_keeps_every_planted_secret(kind: str) -> None:
    lines, _secret = KINDS[kind]
    for line in lines:
        for text in _variants(line):
            assert redact.find_secrets(text) == _unscreened(text), text


def test_the_screen_finds_what_every_pattern_finds_on_the_fixture_logs() -> None:
    assert len(FIXTURE_LOGS) > 300
    checked = found = 0
    for path in FIXTURE_LOGS:
        for text in path.read_text(encoding="utf-8", errors="replace").splitlines():
            screened = redact.find_secrets(text)
            assert screened == _unscreened(text), f"{path}: {text}"
            checked += 1
            found += bool(screened)
    assert checked > 5000 and found >= 1


def test_most_patterns_are_screened_by_a_literal() -> None:
    # The point of the screen: a line without the literals is tried with few patterns.
    patterns = redact.catalogue()
    assert sum(1 for p in patterns if p.needles) >= 0.75 * len(patterns)
    tried = list(redact._screen("Step 3/9 : RUN npm ci --no-audit"))
    assert len(tried) < 0.25 * len(patterns)


def test_only_a_line_with_a_character_that_folds_to_ascii_is_tried_with_every_pattern() -> None:
    import re

    # re's IGNORECASE matches these four non-ASCII characters to ASCII letters, and no other (as regex's).
    folding = [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF and re.fullmatch("(?i)[a-z]", chr(c))]
    assert sorted(folding) == sorted(FOLDS_TO_ASCII)
    for char in folding:
        assert list(redact._screen(f"t{char}st line ✓")) == redact.catalogue()
    # Other non-ASCII lines are screened like ASCII ones: the PEM-body pattern (quadratic on a
    # long run of letters) is not tried on a 60 KB minified line with a ✓ in it.
    long_line = "✓ " + "x" * 60_000
    assert not any("-----END" in p.regex.pattern for p in redact._screen(long_line))
    assert redact.find_secrets(long_line) == []
    text = "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ✓"
    assert [s.kind for s in redact.find_secrets(text)] == ["aws-secret-key"]
    assert [s.kind for s in redact.find_secrets(text.replace("K", "\u212a"))] == ["aws-secret-key"]  # K_Y, Kelvin
    for text in ("password=hunter2hunter2 é", "PAßWORD=x ß", "ÉCHO AKIAIOSFODNN7EXAMPLE é"):
        assert redact.find_secrets(text) == _unscreened(text), text


@pytest.fixture
def fresh_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODEBUILD_DOCTOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(redact, "_CATALOGUE", None)
    return tmp_path / "cache" / redact._CATALOGUE_FILE


def _as_data(patterns: list[redact._Pattern]) -> list[tuple[object, ...]]:
    return [(p.kind, p.regex.pattern, p.regex.flags, p.group, p.needles) for p in patterns]


def test_the_catalogue_is_cached_and_a_hit_builds_nothing(fresh_catalogue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = redact.catalogue()
    assert fresh_catalogue.is_file()
    monkeypatch.setattr(redact, "_CATALOGUE", None)

    def no_build() -> list[redact._Pattern]:
        raise AssertionError("a cache hit must not import detect-secrets nor find literals again")

    monkeypatch.setattr(redact, "_build_catalogue", no_build)
    assert _as_data(redact.catalogue()) == _as_data(built)
    assert [s.kind for s in redact.find_secrets("key AKIAIOSFODNN7EXAMPLE in use")] == ["aws-access-key-id"]


def test_a_corrupt_or_stale_catalogue_is_rebuilt(fresh_catalogue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = _as_data(redact.catalogue())
    for spoiled in (b"{not json", b'{"key": "other code", "patterns": []}'):
        fresh_catalogue.write_bytes(spoiled)
        monkeypatch.setattr(redact, "_CATALOGUE", None)
        assert _as_data(redact.catalogue()) == built
        assert fresh_catalogue.read_bytes() != spoiled


def test_an_unwritable_cache_only_costs_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("CODEBUILD_DOCTOR_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(redact, "_CATALOGUE", None)
    assert [s.kind for s in redact.find_secrets("DB_PASSWORD=DbPa55word! ./migrate.sh")] == ["password"]


def test_a_catalogue_without_detect_secrets_is_used_but_never_cached(
    fresh_catalogue: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One run whose detect-secrets cannot be imported must not leave its smaller catalogue for
    # every later run sharing the cache directory.
    monkeypatch.setattr(redact, "_detect_secrets_patterns", lambda: None)
    assert len(redact.catalogue()) == len(redact.SHELL_PATTERNS)
    assert not fresh_catalogue.exists()
    monkeypatch.undo()
    monkeypatch.setenv("CODEBUILD_DOCTOR_CACHE_DIR", str(fresh_catalogue.parent))
    monkeypatch.setattr(redact, "_CATALOGUE", None)
    assert len(redact.catalogue()) > len(redact.SHELL_PATTERNS)
    assert fresh_catalogue.exists()


@pytest.mark.parametrize("content", [b"[]", b"null", b'"x"', b'{"patterns": []}'])
def test_a_cache_file_that_is_no_catalogue_is_rebuilt(fresh_catalogue: Path, content: bytes) -> None:
    redact.catalogue()
    data = content
    if content == b'{"patterns": []}':  # the right key, but nothing in it
        import json

        data = json.dumps({"key": redact._catalogue_key(), "patterns": []}).encode()
    fresh_catalogue.write_bytes(data)
    redact._CATALOGUE = None
    assert len(redact.catalogue()) > len(redact.SHELL_PATTERNS)
    assert [s.kind for s in redact.find_secrets("SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ")] == [
        "sendgrid-api-key"
    ]
