"""The on-disk cache of the compiled prefilter: hit, key, corrupt entries, unwritable directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.engine import EngineOptions, diagnose, prefilter
from analyzer.rules import compiled
from tests.helpers import log_bytes, make_rule

pytestmark = pytest.mark.skipif(prefilter.hyperscan_module() is None, reason="only hyperscan databases are cached")
RULE = make_rule(
    r"""
    id: creds
    match:
      any:
        - 'Unable to locate (?P<what>credentials)'
    """
)
LOG = log_bytes("ok", "Unable to locate credentials. You can configure credentials", "done")


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(compiled.CACHE_ENV, str(tmp_path))
    monkeypatch.delenv(prefilter.ENGINE_ENV, raising=False)
    return tmp_path


def _entry(tmp_path: Path) -> Path:
    (entry,) = tmp_path.glob("*.hsdb")
    return entry


def test_a_miss_compiles_and_stores_a_hit_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = compiled.load_prefilter([RULE])
    assert first is not None and first.backend == "hyperscan"
    entry = _entry(tmp_path)
    assert entry.name == compiled.pack_key([RULE], "hyperscan") + ".hsdb"

    def no_compile(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cache hit must not compile")

    monkeypatch.setattr(compiled, "compile_prefilter", no_compile)
    second = compiled.load_prefilter([RULE])
    assert second is not None and second.slots == first.slots
    result = diagnose([RULE], [LOG], options=EngineOptions(prefilter=second))
    assert [(f.rule_id, f.first_line, f.captures) for f in result.findings] == [("creds", 2, {"what": "credentials"})]


def test_a_corrupt_entry_is_ignored_and_rebuilt(tmp_path: Path) -> None:
    compiled.load_prefilter([RULE])
    entry = _entry(tmp_path)
    entry.write_bytes(entry.read_bytes()[:60] + b"garbage")
    rebuilt = compiled.load_prefilter([RULE])
    assert rebuilt is not None
    assert diagnose([RULE], [LOG], options=EngineOptions(prefilter=rebuilt)).findings[0].first_line == 2
    header, _, blob = entry.read_bytes().partition(b"\n")[2].partition(b"\n")
    size = json.loads(header)["candidates"]
    assert size > 0
    assert compiled.Prefilter.from_bytes(blob[:-size], [RULE], candidates=blob[-size:])


def test_the_locators_candidate_scanner_is_kept_with_the_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Compiling the locator's candidate patterns costs ~100 ms a start: a hit loads them too.
    compiled.load_prefilter([RULE])
    from analyzer.engine import locator

    block = b"ok\n$ make test\nmain.c:3:5: error: x undeclared\n=== FAILURES ===\n"
    fresh = sorted(locator.CandidateScanner().offsets(block))
    compiles = []
    real_init = locator.CandidateScanner.__init__

    def counting_init(self: locator.CandidateScanner, serialized: bytes | None = None) -> None:
        compiles.append(serialized is None)
        real_init(self, serialized)

    monkeypatch.setattr(locator.CandidateScanner, "__init__", counting_init)
    loaded = compiled.load_prefilter([RULE])
    assert loaded is not None and loaded.candidates is not None
    assert compiles == [False]  # loaded from the entry, not compiled
    assert sorted(loaded.candidates.offsets(block)) == fresh
    assert {loaded.candidates.groups[g] for _, g in fresh} == {"trigger", "command", "pytest"}


def test_the_key_follows_the_patterns_and_the_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    other = make_rule(
        r"""
        id: creds
        match:
          any:
            - 'Unable to find (?P<what>credentials)'
        """
    )
    key = compiled.pack_key([RULE], "hyperscan")
    assert compiled.pack_key([other], "hyperscan") != key
    monkeypatch.setattr(compiled, "__version__", "99.0")
    assert compiled.pack_key([RULE], "hyperscan") != key


def test_only_the_most_recently_used_packs_are_kept(tmp_path: Path) -> None:
    import os

    old = []
    for n in range(compiled.KEEP_ENTRIES + 3):
        entry = tmp_path / f"{n:064x}.hsdb"
        entry.write_bytes(b"an older pack")
        os.utime(entry, (1_000_000 + n, 1_000_000 + n))
        old.append(entry)
    other = tmp_path / "redact-catalogue.json"
    other.write_text("{}", encoding="utf-8")
    compiled.load_prefilter([RULE])  # a miss: stored, then pruned
    kept = sorted(p.name for p in tmp_path.glob("*.hsdb"))
    assert len(kept) == compiled.KEEP_ENTRIES
    assert compiled.pack_key([RULE], "hyperscan") + ".hsdb" in kept
    assert [e.name for e in old if e.exists()] == [e.name for e in old[-(compiled.KEEP_ENTRIES - 1) :]]
    assert other.exists()
    # A hit marks its entry used: it outlives newer entries that are not used.
    entry = _entry_named(tmp_path, compiled.pack_key([RULE], "hyperscan"))
    os.utime(entry, (1, 1))
    compiled.load_prefilter([RULE])
    assert entry.stat().st_mtime > 2_000_000


def _entry_named(tmp_path: Path, key: str) -> Path:
    return tmp_path / f"{key}.hsdb"


def test_an_unwritable_cache_only_costs_the_compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv(compiled.CACHE_ENV, str(blocker / "sub"))
    assert compiled.load_prefilter([RULE]) is not None


def test_without_hyperscan_auto_falls_back_to_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefilter, "hyperscan_module", lambda: None)
    assert prefilter.choose_backend("auto") == "python"
    with pytest.raises(ValueError, match="hyperscan is not installed"):
        prefilter.choose_backend("hyperscan")
    result = diagnose([RULE], [LOG])
    assert result.findings[0].first_line == 2


@pytest.mark.skipif(not hasattr(__import__("os"), "getuid"), reason="POSIX permissions")
def test_an_entry_others_could_have_written_is_not_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a hyperscan database trusts its bytes: an entry in a directory that group or
    others may write to (a shared CODEBUILD_DOCTOR_CACHE_DIR) is compiled afresh instead."""
    compiled.load_prefilter([RULE])
    entry = _entry(tmp_path)
    assert entry.stat().st_mode & 0o777 == 0o600
    compiled_calls: list[int] = []
    real = compiled.compile_prefilter

    def counting(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        compiled_calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(compiled, "compile_prefilter", counting)
    tmp_path.chmod(0o777)
    try:
        assert compiled.load_prefilter([RULE]) is not None
        assert compiled_calls == [1]
        tmp_path.chmod(0o700)
        entry.chmod(0o666)
        assert compiled.load_prefilter([RULE]) is not None
        assert compiled_calls == [1, 1]
        # The rewritten entry is the user's own again (0600), and a private directory is read.
        assert entry.stat().st_mode & 0o777 == 0o600
        assert compiled.load_prefilter([RULE]) is not None
        assert compiled_calls == [1, 1]
    finally:
        tmp_path.chmod(0o700)
