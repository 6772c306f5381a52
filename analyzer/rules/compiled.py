"""The compiled form of a rule pack, cached on disk so a start does not recompile every pattern.

Compiling the prefilter database of the shipped pack takes ~300 ms with hyperscan, more than
scanning a 100 MB log. It is stored in the user cache directory (``platformdirs``;
``CODEBUILD_DOCTOR_CACHE_DIR`` wins), keyed by a SHA-256 of the rule files' contents, the
tool's version and the engine versions (:func:`analyzer.engine.prefilter.engine_versions`).
A cache entry that cannot be read or loaded is ignored and rebuilt; a cache directory that
cannot be written only costs the compile. This module does the I/O; the engine stays pure.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from analyzer._version import __version__
from analyzer.cachedir import ENV_DIR as CACHE_ENV  # noqa: F401 - tests set it
from analyzer.cachedir import default_cache_dir
from analyzer.engine.prefilter import Prefilter, choose_backend, compile_prefilter, engine_versions
from analyzer.models import Rule

_MAGIC = b"codebuild-doctor-prefilter\n"
KEEP_ENTRIES = 8
"""Compiled packs kept (~0.7 MB each): every upgrade, rule edit or ``--rules-dir`` makes a new
one; a hit marks its entry used, and storing one removes all but the most recently used."""


def cache_dir() -> Path:
    """Where compiled rule packs are kept: the one cache directory (:mod:`analyzer.cachedir`)."""
    return default_cache_dir()


def trusted_file(path: Path) -> bool:
    """Whether ``path`` is a regular file that only this user could have written: owned by
    the user, and neither it nor its directory writable by group or others (POSIX; always
    true elsewhere). Loading a cached hyperscan database, trusted rule data or template
    bytecode runs or believes what is in it, so a cache others could plant files in is not read."""
    return _owned_and_private(path, stat.S_ISREG) and _owned_and_private(path.parent, stat.S_ISDIR)


def _owned_and_private(node: Path, kind: Callable[[int], bool]) -> bool:
    try:
        info = node.lstat()
    except OSError:
        return False
    if not kind(info.st_mode):
        return False
    return not hasattr(os, "getuid") or (info.st_uid == os.getuid() and not info.st_mode & 0o022)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all, for this user only: missing directories
    are made 0700, the file is 0600 (a temporary file renamed into place). Raises ``OSError``,
    also when the directory is one :func:`trusted_file` would not read from."""
    missing = []
    directory = path.parent
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
    if not _owned_and_private(path.parent, stat.S_ISDIR):
        raise PermissionError(f"{path.parent} is not this user's alone")
    temp = None
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            temp = handle.name
            handle.write(data)
        os.replace(temp, path)
        temp = None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.remove(temp)


@functools.cache
def code_fingerprint(*modules: str) -> str:
    """SHA-256 of the source of ``modules``: a cache made by other code is never read.

    Version constants alone were not enough: a change to the translator with no bump
    served a stale hyperscan database (found by the benchmark, not by a test).
    """
    import importlib.util

    digest = hashlib.sha256()
    for name in modules:
        origin = importlib.util.find_spec(name).origin  # type: ignore[union-attr]
        digest.update(Path(str(origin)).read_bytes() if origin else name.encode())
    return digest.hexdigest()[:16]


def pack_key(rules: Sequence[Rule], backend: str) -> str:
    """SHA-256 of what the prefilter is compiled from: each rule's log patterns (text, flags,
    source; in rule order), the tool and engine versions, the code of the prefilter, the locator
and the log model (whose marker literals it scans for), the back-end.

    Only the patterns count: the rule files need not be read again to find the cache entry.
    """
    # The log model's structure literals (phase and marker lines) are compiled in beside the rules.
    code = code_fingerprint("analyzer.engine.prefilter", "analyzer.engine.locator", "analyzer.engine.lines")
    digest = hashlib.sha256(f"{__version__}|{engine_versions()}|{code}|{backend}\n".encode())
    for rule in rules:
        digest.update(rule.id.encode() + b"\0")
        for pattern in rule.patterns:
            digest.update(f"{pattern.regex.pattern}\0{pattern.regex.flags}\0{pattern.source}\0{pattern.phases and sorted(pattern.phases)}\0{pattern.echo}".encode())
        digest.update(b"\0")
    return digest.hexdigest()


def load_prefilter(rules: Sequence[Rule], backend: str = "auto") -> Prefilter | None:
    """The prefilter of ``rules`` from the cache, compiled and stored on a miss.

    Returns ``None`` for the ``reference`` engine. Only hyperscan databases are cached:
    the pure-Python literal automaton builds in ~20 ms.
    """
    backend = choose_backend(backend)
    if backend == "reference":
        return None
    if backend != "hyperscan":
        return compile_prefilter(rules, backend)
    path = cache_dir() / f"{pack_key(rules, backend)}.hsdb"
    try:
        if not trusted_file(path):
            raise OSError("missing, or not only this user's")
        data = path.read_bytes()
        if data.startswith(_MAGIC):
            header, _, blob = data[len(_MAGIC) :].partition(b"\n")
            layout = json.loads(header)
            with contextlib.suppress(OSError):
                os.utime(path)  # used now: kept by _prune
            size = int(layout.get("candidates", 0))
            pack, candidates = (blob[:-size], blob[-size:]) if size else (blob, None)
            return Prefilter.from_bytes(pack, rules, layout=layout, candidates=candidates)
    except Exception:  # noqa: BLE001 - missing, truncated or corrupt: rebuild it below
        pass
    prefilter = compile_prefilter(rules, backend)
    try:
        candidates = prefilter.candidates.to_bytes() if prefilter.candidates is not None else b""
        layout = {"slots": prefilter.slots, "direct": prefilter.direct, "candidates": len(candidates)}
        write_private(path, _MAGIC + json.dumps(layout).encode() + b"\n" + prefilter.to_bytes() + candidates)
    except OSError:
        pass  # a cache we cannot write only costs the compile next time
    else:
        _prune(path.parent)
    return prefilter


def _prune(directory: Path) -> None:
    """Remove all but the :data:`KEEP_ENTRIES` most recently used compiled packs."""
    entries = []
    for entry in directory.glob("*.hsdb"):
        with contextlib.suppress(OSError):
            entries.append((entry.stat().st_mtime, entry.name, entry))
    for _, _, entry in sorted(entries, reverse=True)[KEEP_ENTRIES:]:
        with contextlib.suppress(OSError):
            entry.unlink()
