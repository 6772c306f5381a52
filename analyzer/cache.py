"""A local cache of finished builds' records and logs (SQLite), and a :class:`CachedSource`.

A finished build (``buildComplete``, or a terminal ``buildStatus``) never changes,
so its ``BatchGetBuilds`` record and its log are fetched once and kept, keyed by
build id (records, since listing gives ids) and build ARN (logs; the id when the
record has no ARN). A re-scan, also after a rule change, diagnoses from the cache
with zero ``GetLogEvents`` calls: the cache keeps raw logs, never diagnoses.

- One SQLite file, ``cache.sqlite3``, in WAL mode; each build's write is one
  transaction, so a scan killed half-way leaves a usable cache.
- Logs are stored zlib-compressed, in rows of 1 MiB of the compressed stream. A missing log (``LogsNotFound``: expired,
  never written) is remembered too, so it is not asked for again; access denied
  and throttling are not (they may pass).
- A corrupt file, or one of another schema version, is detected when opened
  (``sqlite3.DatabaseError``, ``PRAGMA quick_check``, the ``meta`` table) and
  rebuilt empty, with a warning. An error later on disables the cache for the
  rest of the run, with a warning; a scan never fails because of its cache.
- ``max_bytes`` caps the compressed logs; the least recently used are evicted.

Where the file lives (precedence): ``--no-cache`` (none) > ``--cache-dir`` >
``$CODEBUILD_DOCTOR_CACHE_DIR`` > platformdirs' user cache dir for
``codebuild-doctor`` (``~/.cache/codebuild-doctor`` on Linux, honouring
``XDG_CACHE_HOME``). The engine never knows the cache exists.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from analyzer.cachedir import ENV_DIR, default_cache_dir  # noqa: F401 - the scan cache's directory
from analyzer.errors import LogsNotFound, SourceError
from analyzer.sources.base import LogSource

SCHEMA_VERSION = 2
"""Bumped when the tables change incompatibly; a file of another version is rebuilt. A table
added with ``CREATE TABLE IF NOT EXISTS`` (``fingerprints``) keeps the version: an older file
gains it when opened, and an older codebuild-doctor ignores it."""
PIECE_BYTES = 1 << 20
"""A cached log's compressed stream is stored in rows of this many bytes (see :meth:`BuildCache.get_log`)."""
FILE_NAME = "cache.sqlite3"
DEFAULT_MAX_MB = 500
TERMINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED"})
"""``buildStatus`` values a build never leaves."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    build_id TEXT PRIMARY KEY,
    record BLOB NOT NULL,          -- zlib(JSON of the BatchGetBuilds element, times as epoch seconds)
    fetched_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS logs (
    build_key TEXT PRIMARY KEY,    -- build ARN, else build id
    source TEXT NOT NULL,          -- where the log came from, e.g. cloudwatch:<group>/<stream>
    missing TEXT,                  -- the LogsNotFound message when the log is missing (no pieces)
    raw_bytes INTEGER NOT NULL,
    stored_bytes INTEGER NOT NULL,
    last_used REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS log_pieces (
    build_key TEXT NOT NULL,
    seq INTEGER NOT NULL,          -- 0, 1, 2...: the pieces of one zlib stream, in order
    data BLOB NOT NULL,            -- at most PIECE_BYTES of it
    PRIMARY KEY (build_key, seq)
);
CREATE INDEX IF NOT EXISTS logs_lru ON logs (last_used);
CREATE TABLE IF NOT EXISTS fingerprints (
    build_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,     -- the masked fingerprint line of an unexplained build (analyzer.clusters)
    started REAL                   -- the build's startTime, epoch seconds
);
"""


def is_finished(record: Mapping[str, Any]) -> bool:
    """Whether a ``BatchGetBuilds`` record can no longer change (``buildComplete`` or a terminal status)."""
    return bool(record.get("buildComplete")) or record.get("buildStatus") in TERMINAL_STATUSES


def _jsonable(value: Any) -> Any:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class BuildCache:
    """The cache file; thread-safe (one connection behind a lock). Counters are for tests and benchmarks."""

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int = DEFAULT_MAX_MB * 1024 * 1024,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.path = self.directory / FILE_NAME
        self.max_bytes = max_bytes
        self._warn = warn or (lambda message: None)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self.hits = 0
        """Records and logs served from the cache."""
        self.misses = 0
        self.evicted = 0
        """Logs evicted to stay under ``max_bytes``."""
        self._open()

    # -- opening, checking, rebuilding -------------------------------------------------------

    def _open(self) -> None:
        # Cached logs are not redacted: only the user may read them (a directory and a file
        # that only the owner can open).
        if self.directory.exists() and not self.directory.is_dir():
            self._warn(f"cache disabled: {self.directory} is not a directory")
            return
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            self._warn(f"cache disabled: cannot create {self.directory}: {exc.strerror or exc}")
            return
        if not os.access(self.directory, os.W_OK) or (self.path.exists() and not os.access(self.path, os.W_OK)):
            # Not writable is not corrupt: never delete a cache we merely cannot write.
            self._warn(f"cache disabled: {self.path} is not writable")
            return
        try:
            self._db = self._connect()
        except sqlite3.OperationalError as exc:
            if "readonly" in str(exc) or "unable to open" in str(exc):
                self._warn(f"cache disabled: cannot open {self.path}: {exc}")
                return
            self._rebuild(exc)
        except sqlite3.DatabaseError as exc:
            self._rebuild(exc)
        if self._db is not None:
            with contextlib.suppress(OSError):
                os.chmod(self.path, 0o600)

    def _rebuild(self, exc: sqlite3.Error) -> None:
        """A corrupt or foreign file: start again empty, with a warning."""
        self._warn(f"cache file {self.path} is unusable ({exc}); rebuilding it empty")
        try:
            self._remove_files()
            self._db = self._connect()
        except (sqlite3.DatabaseError, OSError) as again:
            self._warn(f"cache disabled: cannot rebuild {self.path}: {again}")
            self._db = None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            check = db.execute("PRAGMA quick_check(1)").fetchone()
            if not check or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check[0] if check else 'no answer'}")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "meta" in tables:
                row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if row is None or row[0] != str(SCHEMA_VERSION):
                    found = row[0] if row else "none"
                    raise sqlite3.DatabaseError(f"schema version {found}, expected {SCHEMA_VERSION}")
            elif tables:
                raise sqlite3.DatabaseError("not a codebuild-doctor cache (no meta table)")
            db.executescript(_SCHEMA)
            db.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
            return db
        except BaseException:
            db.close()
            raise

    def _remove_files(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _failed(self, exc: sqlite3.Error) -> None:
        """An error in use: warn once and carry on without the cache."""
        if self._db is not None:
            self._warn(f"cache disabled for this run: {self.path}: {exc}")
            try:
                self._db.close()
            finally:
                self._db = None

    @property
    def enabled(self) -> bool:
        """Whether the cache file is open (``False`` after an error disabled it)."""
        return self._db is not None

    def close(self) -> None:
        """Close the file (checkpointing the WAL)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- records ---------------------------------------------------------------------------

    def get_records(self, build_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The cached records among ``build_ids`` (times as epoch seconds, as ``Build.from_api`` reads)."""
        found: dict[str, dict[str, Any]] = {}
        with self._lock:
            if self._db is None:
                return found
            try:
                for start in range(0, len(build_ids), 500):
                    chunk = build_ids[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    for build_id, blob in self._db.execute(
                        f"SELECT build_id, record FROM records WHERE build_id IN ({marks})", chunk
                    ):
                        found[build_id] = json.loads(zlib.decompress(blob))
            except (sqlite3.Error, zlib.error, ValueError) as exc:
                self._failed(sqlite3.DatabaseError(str(exc)))
                return {}
        from analyzer.sources.codebuild import record_problem

        for build_id in [b for b, r in found.items() if record_problem(r) or r.get("id") != b]:
            # A record of the wrong shape (written by an older version, or damaged) is not
            # trusted: it is fetched again, and replaced if the new one is valid.
            self._warn(f"cache: the record of {build_id} has the wrong shape; fetching it again")
            del found[build_id]
        self.hits += len(found)
        self.misses += len(build_ids) - len(found)
        return found

    def put_records(self, records: list[Mapping[str, Any]]) -> int:
        """Store the finished ones among ``records`` (one transaction); returns how many were stored."""
        from analyzer.sources.codebuild import record_problem

        rows = [
            (str(r["id"]), zlib.compress(json.dumps(_jsonable(r)).encode()), time.time())
            for r in records
            if is_finished(r) and r.get("id") and record_problem(r) is None
        ]
        if not rows or not self._write(lambda db: db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", rows)):
            return 0
        return len(rows)

    # -- logs ------------------------------------------------------------------------------

    def get_log(self, key: str) -> tuple[Iterator[bytes] | None, str | None, str] | None:
        """``(the log's chunks or None, missing message or None, source)`` for ``key``, or ``None``.

        The compressed log is read one stored piece (:data:`PIECE_BYTES`) at a time and
        decompressed in pieces of at most :data:`~analyzer.sources.base.CHUNK_SIZE`, so a
        1 GB log is never whole in memory. A damaged entry raises
        :class:`~analyzer.errors.TransportError` while read.
        """
        with self._lock:
            if self._db is None:
                return None
            try:
                row = self._db.execute("SELECT missing, source FROM logs WHERE build_key=?", (key,)).fetchone()
                if row is None:
                    self.misses += 1
                    return None
                # A small row of its own: updating it never rewrites the log (a 1 GB log's
                # row used to be read and written whole by this one UPDATE).
                self._db.execute("UPDATE logs SET last_used=? WHERE build_key=?", (time.time(), key))
            except sqlite3.Error as exc:
                self._failed(exc)
                return None
        missing, source = row
        self.hits += 1
        return (None if missing is not None else _inflate(self._pieces(key), key)), missing, source

    def _pieces(self, key: str) -> Iterator[bytes]:
        """The stored pieces of ``key``'s compressed log, in order, one query each (the lock is not held between)."""
        seq = 0
        while True:
            with self._lock:
                if self._db is None:
                    raise sqlite3.OperationalError("the cache was closed")
                row = self._db.execute(
                    "SELECT data FROM log_pieces WHERE build_key=? AND seq=?", (key, seq)
                ).fetchone()
            if row is None:
                return  # the end, or evicted meanwhile: _inflate then finds the stream unfinished
            seq += 1
            yield row[0]

    def put_log(self, key: str, source: str, data: bytes | None, missing: str | None = None) -> None:
        """Store a whole log (or the fact it is missing, ``data`` None) in one transaction, then evict to the cap."""
        import io

        spool = None if data is None else io.BytesIO(zlib.compress(data, 6))
        self._store(key, source, spool, len(data or b""), None if data is not None else missing)

    def put_log_file(self, key: str, source: str, compressed: Any, raw_bytes: int) -> None:
        """Store a log already zlib-compressed into the file object ``compressed`` (at its end).

        Copied into the database :data:`PIECE_BYTES` at a time, so storing a 1 GB log never
        holds it, nor its compressed form, whole in memory.
        """
        self._store(key, source, compressed, raw_bytes, None)

    def _store(self, key: str, source: str, compressed: Any, raw_bytes: int, missing: str | None) -> None:
        size = compressed.seek(0, 2) if compressed is not None else 0

        def store(db: sqlite3.Connection) -> None:
            self._delete(key)
            db.execute("INSERT INTO logs VALUES (?, ?, ?, ?, ?, ?)", (key, source, missing, raw_bytes, size, time.time()))
            if compressed is not None:
                compressed.seek(0)
                seq = 0
                while piece := compressed.read(PIECE_BYTES):
                    db.execute("INSERT INTO log_pieces VALUES (?, ?, ?)", (key, seq, piece))
                    seq += 1
            self._evict()

        self._write(store)

    def _delete(self, key: str) -> None:
        """Delete ``key``'s log entry and its pieces (lock held, inside a transaction)."""
        assert self._db is not None
        self._db.execute("DELETE FROM log_pieces WHERE build_key=?", (key,))
        self._db.execute("DELETE FROM logs WHERE build_key=?", (key,))

    def forget(self, key: str) -> None:
        """Drop the log entry of ``key`` (a damaged one)."""
        self._write(lambda _db: self._delete(key))

    def _evict(self) -> None:
        """Delete the least recently used logs until the stored logs fit ``max_bytes`` (lock held)."""
        assert self._db is not None
        total = self._db.execute("SELECT COALESCE(SUM(stored_bytes), 0) FROM logs").fetchone()[0]
        if total <= self.max_bytes:
            return
        for key, size in self._db.execute(
            "SELECT build_key, stored_bytes FROM logs WHERE missing IS NULL ORDER BY last_used, build_key"
        ).fetchall():
            if total <= self.max_bytes:
                break
            self._delete(key)
            total -= size
            self.evicted += 1

    # -- fingerprints ----------------------------------------------------------------------

    def put_fingerprints(self, rows: list[tuple[str, str | None, float | None]]) -> None:
        """Keep each build's fingerprint (``(build id, fingerprint, startTime)``) in one transaction;
        a ``None`` fingerprint (the build is explained now) drops the build's."""

        def keep(db: sqlite3.Connection) -> None:
            db.executemany("INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?)", [(b, f, t) for b, f, t in rows if f is not None])
            db.executemany("DELETE FROM fingerprints WHERE build_id=?", [(b,) for b, f, _t in rows if f is None])

        if rows:
            self._write(keep)

    def fingerprint_history(self) -> list[tuple[str, int, float | None, float | None]]:
        """``(fingerprint, builds, first startTime, last startTime)`` over every build the cache keeps one of."""
        with self._lock:
            if self._db is None:
                return []
            try:
                return [
                    (str(f), int(n), first, last)
                    for f, n, first, last in self._db.execute(
                        "SELECT fingerprint, COUNT(*), MIN(started), MAX(started) FROM fingerprints "
                        "GROUP BY fingerprint ORDER BY fingerprint"
                    )
                ]
            except sqlite3.Error as exc:
                self._failed(exc)
                return []

    def stats(self) -> dict[str, int]:
        """Counts of cached records and logs and the stored log bytes."""
        with self._lock:
            if self._db is None:
                return {"records": 0, "logs": 0, "log_bytes": 0}
            records = self._db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
            logs, size = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(stored_bytes), 0) FROM logs"
            ).fetchone()
        return {"records": records, "logs": logs, "log_bytes": size}

    def _write(self, work: Callable[[sqlite3.Connection], object]) -> bool:
        """Run ``work`` in one transaction, under the lock. ``False`` when the cache is off, or
        when it failed: the transaction is rolled back and the cache turned off for the run."""
        with self._lock:
            db = self._db
            if db is None:
                return False
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    work(db)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._failed(exc)
                return False
        return True


class CachedSource(LogSource):
    """Wraps a :class:`LogSource`: serves the log from the cache, else reads it through and stores it whole.

    Only a log read to its end is stored (a read cut short stores nothing). A
    :class:`LogsNotFound` is stored too and raised again from the cache.
    ``fetched_bytes`` counts the bytes that came from the inner source. ``key``
    comes from :func:`log_key`, so a build's CloudWatch and S3 logs are kept apart.
    """

    def __init__(self, inner: LogSource, cache: BuildCache, key: str) -> None:
        self.inner = inner
        self.cache = cache
        self.key = key
        self.description = inner.description
        self.fetched_bytes = 0
        self.from_cache = False

    def chunks(self) -> Iterator[bytes]:
        """Yield the cached log's chunks, or the inner source's while storing a compressed copy."""
        cached = self.cache.get_log(self.key)
        if cached is not None:
            chunks, missing, _source = cached
            self.from_cache = True
            if chunks is None:
                message, _, tip = (missing or f"no log for {self.key}").partition("\ntip: ")
                raise LogsNotFound(message, tip or None)
            try:
                yield from chunks
            except SourceError:
                self.cache.forget(self.key)  # damaged: the next try reads the log again
                raise
            return
        # Compressed as it streams past into a temporary file beside the cache, stored only
        # once the inner source has read the log to its verified end; never whole in memory.
        import tempfile

        compressor = zlib.compressobj(6)
        raw = 0
        with tempfile.TemporaryFile(dir=self.cache.directory if self.cache.directory.is_dir() else None) as spool:
            try:
                for chunk in self.inner.chunks():
                    self.fetched_bytes += len(chunk)
                    raw += len(chunk)
                    spool.write(compressor.compress(chunk))
                    yield chunk
            except LogsNotFound as exc:
                self.cache.put_log(self.key, self.description, None, missing=str(exc))
                raise
            spool.write(compressor.flush())
            self.cache.put_log_file(self.key, self.description, spool, raw)


def _inflate(compressed: Iterator[bytes], key: str) -> Iterator[bytes]:
    """A cached log's chunks, decompressed in bounded pieces from its compressed pieces."""
    from analyzer.errors import TransportError
    from analyzer.sources.base import CHUNK_SIZE

    decompressor = zlib.decompressobj()
    try:
        for pending in compressed:
            while pending:
                piece = decompressor.decompress(pending, CHUNK_SIZE)
                if piece:
                    yield piece
                pending = decompressor.unconsumed_tail
        if not decompressor.eof:
            raise zlib.error("the entry ends early")
    except (zlib.error, sqlite3.Error) as exc:
        raise TransportError(f"cache: damaged log entry for {key} ({exc}); it is read again next time") from None


def log_key(build_key: str, source: LogSource) -> str:
    """The cache key of one of a build's logs: the build ARN (or id) and where the log is."""
    return f"{build_key}|{source.description}"
