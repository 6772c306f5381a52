"""The cache file (schema version, eviction), the rate limiter, and paging of ListBuildsForProject."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
import os
from pathlib import Path
from typing import Any

import pytest

from analyzer.cache import BuildCache, CachedSource
from analyzer.errors import LogsNotFound
from analyzer.scan import RateLimiter, ScanOptions, _Lister


class _Source:
    description = "cloudwatch:/g/s"

    def __init__(self, data: bytes | None) -> None:
        self.data = data
        self.reads = 0

    def chunks(self):  # type: ignore[no-untyped-def]
        self.reads += 1
        if self.data is None:
            raise LogsNotFound("log stream s not found in log group /g", tip="expired?")
        yield self.data[:3]
        yield self.data[3:]


def test_logs_are_read_once_and_missing_logs_remembered(tmp_path: Path) -> None:
    warnings: list[str] = []
    cache = BuildCache(tmp_path, warn=warnings.append)
    inner = _Source(b"line 1\nline 2\n")
    assert b"".join(CachedSource(inner, cache, "k1").chunks()) == b"line 1\nline 2\n"
    again = CachedSource(inner, cache, "k1")
    assert b"".join(again.chunks()) == b"line 1\nline 2\n" and again.from_cache and inner.reads == 1
    gone = _Source(None)
    for _ in range(2):
        try:
            list(CachedSource(gone, cache, "k2").chunks())
        except LogsNotFound as exc:
            assert (exc.message, exc.tip) == ("log stream s not found in log group /g", "expired?")
    assert gone.reads == 1 and warnings == []
    stored = sqlite3.connect(tmp_path / "cache.sqlite3").execute("SELECT data FROM log_pieces WHERE build_key='k1'").fetchone()[0]
    assert stored != b"line 1\nline 2\n"  # compressed
    assert sqlite3.connect(tmp_path / "cache.sqlite3").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_another_schema_version_is_rebuilt(tmp_path: Path) -> None:
    BuildCache(tmp_path).close()
    db = sqlite3.connect(tmp_path / "cache.sqlite3")
    db.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
    db.commit()
    db.close()
    warnings: list[str] = []
    cache = BuildCache(tmp_path, warn=warnings.append)
    assert cache.enabled and len(warnings) == 1
    assert warnings[0] == f"cache file {tmp_path / 'cache.sqlite3'} is unusable (schema version 0, expected 2); rebuilding it empty"


def test_least_recently_used_logs_are_evicted(tmp_path: Path) -> None:
    import os

    cache = BuildCache(tmp_path, max_bytes=2500)
    blobs = {f"k{i}": os.urandom(1000) for i in range(3)}  # random: compresses to ~1000 bytes
    cache.put_log("k0", "s", blobs["k0"])
    cache.put_log("k1", "s", blobs["k1"])
    assert cache.get_log("k0") is not None  # k0 is now more recently used than k1
    cache.put_log("k2", "s", blobs["k2"])
    assert cache.get_log("k1") is None and cache.get_log("k0") is not None and cache.get_log("k2") is not None
    assert cache.evicted == 1


def test_only_finished_records_are_cached(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path)
    assert cache.put_records([{"id": "p:1", "buildStatus": "IN_PROGRESS"}, {"id": "p:2", "buildStatus": "FAILED"}]) == 1
    assert list(cache.get_records(["p:1", "p:2"])) == ["p:2"]


def test_rate_limiter_spaces_requests() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(10, clock=lambda: now[0], sleep=sleep)
    for _ in range(30):
        limiter.acquire()
    # 10 tokens at start, then one every 0.1 s: 20 more requests take 2 s.
    assert round(sum(slept), 6) == 2.0 and round(now[0], 6) == 2.0


class _PagedCodeBuild:
    """ListBuildsForProject as AWS does it: newest first, 100 ids a page, with nextToken."""

    def __init__(self, starts: list[datetime]) -> None:
        self.records = [
            {"id": f"p:{i:08d}-0000", "buildStatus": "FAILED" if i % 2 else "SUCCEEDED", "buildComplete": True,
             "startTime": start, "projectName": "p"}
            for i, start in enumerate(starts)
        ]  # fmt: skip
        self.pages: list[str | None] = []
        self.batches: list[int] = []

    def list_builds_for_project(self, projectName: str, nextToken: str | None = None) -> dict[str, Any]:  # noqa: N803
        self.pages.append(nextToken)
        start = int(nextToken or 0)
        page = {"ids": [r["id"] for r in self.records[start : start + 100]]}
        if start + 100 < len(self.records):
            page["nextToken"] = str(start + 100)
        return page

    def batch_get_builds(self, ids: list[str]) -> dict[str, Any]:
        assert len(ids) <= 100
        self.batches.append(len(ids))
        return {"builds": [r for r in self.records if r["id"] in ids], "buildsNotFound": []}


def test_paging_stops_after_the_first_page_past_the_window() -> None:
    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    # 450 builds, one an hour, newest first; one out-of-order old build on page 1.
    starts = [now - timedelta(hours=i) for i in range(450)]
    starts[50] = now - timedelta(days=30)
    fake = _PagedCodeBuild(starts)
    options = ScanOptions(since=now - timedelta(hours=150))
    selected, skipped = _Lister(fake, None, options, now).project("p")
    # Page 1 holds an old build out of order: it is checked and left out, and paging goes on;
    # it stops after page 2, whose last build is past the window.
    assert fake.pages == [None, "100"]
    assert fake.batches == [100, 100]
    expected = {r["id"] for r in fake.records[:151] if r["buildStatus"] == "FAILED"} - {fake.records[50]["id"]}
    assert {r["id"] for r in selected} == expected and skipped == []


def test_the_cache_is_private_to_its_user(tmp_path: Path) -> None:
    """Cached logs are not redacted: the directory is 0700 and the file 0600."""
    directory = tmp_path / "cache"
    BuildCache(directory).close()
    assert directory.stat().st_mode & 0o777 == 0o700
    assert (directory / "cache.sqlite3").stat().st_mode & 0o777 == 0o600


def test_a_cache_dir_that_is_a_file_disables_the_cache_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a directory")
    warnings: list[str] = []
    cache = BuildCache(tmp_path / "afile", warn=warnings.append)
    assert warnings == [f"cache disabled: {tmp_path / 'afile'} is not a directory"]
    assert (tmp_path / "afile").read_text() == "not a directory"
    cache.close()


def test_a_cache_that_cannot_be_written_is_left_alone(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    BuildCache(tmp_path).close()
    before = (tmp_path / "cache.sqlite3").read_bytes()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if mode == os.W_OK else real_access(path, mode))
    warnings: list[str] = []
    BuildCache(tmp_path, warn=warnings.append).close()
    assert warnings == [f"cache disabled: {tmp_path / 'cache.sqlite3'} is not writable"]
    assert (tmp_path / "cache.sqlite3").read_bytes() == before  # not wiped


def test_cancel_wakes_a_worker_waiting_for_the_rate_limit() -> None:
    """Ctrl-C during a scan must not wait for rate-limited workers to finish their turn."""
    import threading
    import time

    from analyzer.scan import ScanCancelled

    limiter = RateLimiter(0.1)  # one request per 10 s
    limiter.acquire()  # the burst token
    outcome: list[object] = []

    def worker() -> None:
        try:
            limiter.acquire()  # would wait about 10 s
            outcome.append("went")
        except ScanCancelled as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    started = time.monotonic()
    thread.start()
    time.sleep(0.1)
    limiter.cancel()
    thread.join(timeout=5)
    assert time.monotonic() - started < 2
    assert len(outcome) == 1 and isinstance(outcome[0], ScanCancelled)


@pytest.mark.parametrize(("rate", "burst"), [(8, None), (3, None), (2.5, None), (10, 1.0), (0.5, None)])
def test_rate_limiter_never_exceeds_its_rate_in_any_one_second_window(rate: float, burst: float | None) -> None:
    """--logs-rps 8 let 16 calls through in the first second (a full bucket, then its refill)."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(rate, burst, clock=lambda: now[0], sleep=sleep)
    times = []
    for _ in range(60):
        limiter.acquire()
        times.append(now[0])
    most = max(sum(1 for t in times if start <= t < start + 1.0 - 1e-9) for start in times)
    assert most <= max(1, int(rate))
    # ... and it is not slower than its rate either (60 grants take about 60 / rate seconds).
    assert times[-1] <= 60 / (max(1, int(rate)) if burst is None and rate >= 1 else rate)


def test_a_log_is_stored_streaming_and_read_back_in_pieces(tmp_path: Path) -> None:
    """scan held a whole log in memory to cache it (2.28 GB for a 1 GB log): now it is
    compressed into a temporary file as it streams, written in pieces, and read back in
    pieces of at most 1 MiB."""
    from analyzer.sources.base import CHUNK_SIZE

    cache = BuildCache(tmp_path)
    body = b"".join(f"line {i} of a long log\n".encode() for i in range(300_000))  # ~7 MB
    inner = _Source(body)
    assert b"".join(CachedSource(inner, cache, "big").chunks()) == body
    cached = cache.get_log("big")
    assert cached is not None and cached[0] is not None
    pieces = list(cached[0])
    assert b"".join(pieces) == body and max(len(p) for p in pieces) <= CHUNK_SIZE and len(pieces) > 1


def test_a_read_cut_short_stores_nothing(tmp_path: Path) -> None:
    from analyzer.errors import TransportError

    class _Cut:
        description = "cut"

        def chunks(self):  # type: ignore[no-untyped-def]
            yield b"first half\n"
            raise TransportError("the gzip stream is cut short")

    cache = BuildCache(tmp_path)
    with pytest.raises(TransportError):
        list(CachedSource(_Cut(), cache, "cut").chunks())  # type: ignore[arg-type]
    assert cache.get_log("cut") is None


def test_a_damaged_log_entry_is_dropped_and_read_again(tmp_path: Path) -> None:
    from analyzer.errors import TransportError

    cache = BuildCache(tmp_path)
    inner = _Source(b"line 1\nline 2\n" * 1000)
    list(CachedSource(inner, cache, "k").chunks())
    db = sqlite3.connect(tmp_path / "cache.sqlite3")
    db.execute("UPDATE log_pieces SET data=? WHERE build_key='k'", (b"not zlib at all",))
    db.commit()
    with pytest.raises(TransportError, match="damaged log entry"):
        list(CachedSource(inner, cache, "k").chunks())
    assert b"".join(CachedSource(inner, cache, "k").chunks()) == b"line 1\nline 2\n" * 1000
    assert inner.reads == 2


def test_a_log_is_stored_and_read_in_bounded_pieces(tmp_path: Path) -> None:
    """A cached log lives in rows of at most PIECE_BYTES (its own table): neither storing it nor
    marking it used (``last_used``) reads or writes one row holding the whole log."""
    from analyzer.cache import PIECE_BYTES

    data = os.urandom(3 * PIECE_BYTES + 12345)  # random: the compressed stream is as long
    cache = BuildCache(tmp_path)
    inner = _Source(data)
    assert b"".join(CachedSource(inner, cache, "big").chunks()) == data
    db = sqlite3.connect(tmp_path / "cache.sqlite3")
    sizes = [row[0] for row in db.execute("SELECT length(data) FROM log_pieces WHERE build_key='big' ORDER BY seq")]
    assert len(sizes) == 4 and max(sizes) == PIECE_BYTES and sum(sizes) > len(data)
    columns = [row[1] for row in db.execute("PRAGMA table_info(logs)")]
    assert columns == ["build_key", "source", "missing", "raw_bytes", "stored_bytes", "last_used"]
    again = CachedSource(inner, cache, "big")
    assert b"".join(again.chunks()) == data and again.from_cache and inner.reads == 1
    cache.forget("big")
    assert db.execute("SELECT COUNT(*) FROM log_pieces").fetchone()[0] == 0


def test_a_cache_without_the_fingerprints_table_keeps_its_entries_and_gains_it(tmp_path: Path) -> None:
    # A cache file written before fingerprints were kept: the same schema version, no such table.
    BuildCache(tmp_path).put_log("k1", "cloudwatch:/g/s", b"line 1\n")
    db = sqlite3.connect(tmp_path / "cache.sqlite3")
    db.execute("DROP TABLE fingerprints")
    db.commit()
    db.close()
    warnings: list[str] = []
    cache = BuildCache(tmp_path, warn=warnings.append)
    assert warnings == [] and cache.stats()["logs"] == 1  # readable, nothing rebuilt
    assert cache.fingerprint_history() == []
    cache.put_fingerprints([("a:1", "Error: x <*>", 100.0), ("a:2", "Error: x <*>", 50.0), ("b:1", "fatal: y", None)])
    assert cache.fingerprint_history() == [("Error: x <*>", 2, 50.0, 100.0), ("fatal: y", 1, None, None)]
    cache.put_fingerprints([("a:2", None, 50.0)])  # explained now: dropped
    assert cache.fingerprint_history() == [("Error: x <*>", 1, 100.0, 100.0), ("fatal: y", 1, None, None)]
