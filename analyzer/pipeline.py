"""One path from a source to a :class:`~analyzer.models.Diagnosis`, shared by every command.

``diagnose``, ``scan`` and the organisation service's event handler all call these functions;
none has its own matching. The functions take boto3 clients built by the
caller: only the CLI builds clients.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from analyzer import engine
from analyzer.engine.lines import pasted_shape, strip_pasted
from analyzer.errors import ConfigError, LogsNotFound, SourceError, Throttled, TransportError
from analyzer.models import Build, Diagnosis, Rule
from analyzer.sources.base import BoundedLog, Deadline, LogSource


def _peek(chunks: Iterator[bytes]) -> tuple[bytes | None, Iterator[bytes]]:
    """The first non-empty chunk (``None``: no byte at all), and the whole stream again from its start.

    Reading it starts the source now, so a missing or unreadable log is known before matching begins.
    """
    first = next(chunks, None)
    while first is not None and not first:
        first = next(chunks, None)

    def stream() -> Iterator[bytes]:
        if first is not None:
            yield first
        yield from chunks

    return first, stream()


def _primed(source: LogSource) -> Iterator[bytes]:
    """Start reading ``source`` now, so a missing log is known before matching begins."""
    return _peek(source.chunks())[1]


EMPTY_LOG_NOTE = "the log is empty"
"""The note of a diagnosis whose log has no byte at all."""

BINARY_PROBE = 8192
"""Bytes at the head of a log looked at for a NUL byte (a binary file, not a build log)."""


def diagnose_log(
    rules: Sequence[Rule],
    source: LogSource,
    build: Build | None = None,
    options: engine.EngineOptions | None = None,
    deadline: Deadline | None = None,
) -> Diagnosis:
    """Diagnose a log from ``source`` (a file, stdin...) with an optional build record.

    An empty log is diagnosed (from the record, if any) with the note "the log is empty";
    a binary file (a NUL byte near its start, after gzip is undone) is refused with a
    :class:`ConfigError` naming it: it is not a build log. Once ``deadline`` passes, the
    log is read no further and the diagnosis of what was read says so in its notes.
    """
    first, chunks = _text_chunks(source)
    if first is None:
        return engine.diagnose(rules, [], build, log_source=source.description, notes=[EMPTY_LOG_NOTE], options=options)
    nul = first.find(b"\x00", 0, BINARY_PROBE)
    if nul >= 0:
        raise ConfigError(
            f"{source.description}: a binary file, not a build log (a NUL byte at offset {nul}); "
            "give the build's text log, plain or gzip"
        )
    bounded = BoundedLog(chunks, deadline=deadline)
    read, notes = _unpasted(first, bounded)
    diagnosis = engine.diagnose(rules, read, build, log_source=source.description, notes=notes, options=options)
    return _noting_cuts(diagnosis, bounded)


def baseline_chunks(source: LogSource) -> Iterator[bytes]:
    """A passing build's log given by the user (``--baseline-log``), read as :func:`diagnose_log`
    reads a failed one: UTF-16 decoded, lines cut at the bounded reader's size, a paste's prefix
    taken off, so its lines have the failed log's shapes."""
    first, chunks = _text_chunks(source)
    if first is None:
        return iter(())
    read, _ = _unpasted(first, BoundedLog(chunks))
    return iter(read)


def _text_chunks(source: LogSource) -> tuple[bytes | None, Iterator[bytes]]:
    """``source``'s first chunk and all its chunks, a UTF-16 log given again as UTF-8."""
    first, chunks = _peek(source.chunks())
    utf16 = _utf16(first) if first is not None else None
    if utf16:
        first, chunks = _peek(_as_utf8(chunks, utf16))
    return first, chunks


def _unpasted(first: bytes, bounded: Iterable[bytes]) -> tuple[Iterable[bytes], list[str]]:
    """The log's lines with a paste's prefix taken off (told from its ``first`` chunk), and the
    note that says so. Stripping runs on the bounded lines: a pasted line is cut like any other."""
    pasted = pasted_shape(first)
    if pasted is None:
        return bounded, []
    note = f"the log is {pasted.description}: the prefix was taken off each line; line numbers are the file's"
    return strip_pasted(bounded, pasted.prefix), [note]


def _utf16(head: bytes) -> str | None:
    """The codec of a UTF-16 log (Windows PowerShell 5.1's ``>`` and ``Out-File`` write it), else
    ``None``: a byte order mark, or ASCII text with a NUL after (or before) every character."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    probe = head[:64] if len(head) >= 64 else head[: len(head) - len(head) % 2]
    if len(probe) >= 8:
        if not probe[1::2].strip(b"\x00") and probe[0::2].isascii() and all(probe[0::2]):
            return "utf-16-le"
        if not probe[0::2].strip(b"\x00") and probe[1::2].isascii() and all(probe[1::2]):
            return "utf-16-be"
    return None


def _as_utf8(chunks: Iterator[bytes], codec: str) -> Iterator[bytes]:
    """``chunks`` of a UTF-16 text, decoded as they come and given again as UTF-8."""
    import codecs

    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    for chunk in chunks:
        text = decoder.decode(chunk)
        if text:
            yield text.encode("utf-8", "surrogatepass")
    rest = decoder.decode(b"", final=True)
    if rest:
        yield rest.encode("utf-8", "surrogatepass")


def _noting_cuts(diagnosis: Diagnosis, bounded: BoundedLog) -> Diagnosis:
    """``diagnosis`` with notes on the lines cut and the bytes not read (see :class:`BoundedLog`)."""
    notes = bounded.notes()
    if not notes:
        return diagnosis
    import dataclasses

    return dataclasses.replace(diagnosis, notes=(*diagnosis.notes, *notes))


def diagnose_record(rules: Sequence[Rule], build: Build, options: engine.EngineOptions | None = None) -> Diagnosis:
    """Diagnose a build from its record alone (no log: e.g. it failed in PROVISIONING, before any was written)."""
    return engine.diagnose(rules, None, build, notes=["no log given: diagnosed from the build record only"], options=options)


class BuildDiagnosis(NamedTuple):
    """What :func:`diagnose_build` found, and how its log went (as data, not only as notes)."""

    diagnosis: Diagnosis
    failure: SourceError | None = None
    """Why the log could not be read when it exists (access denied, throttling, a transport
    error): the diagnosis is then from the record alone and says so in its notes."""
    unread: tuple[str, ...] = ()
    """Why no log was read, one reason per place tried (or why there was none to try); empty
    when a log was read."""
    timed_out: bool = False
    """The time budget ran out while the log was read: the diagnosis is of its first part."""


def diagnose_build(
    rules: Sequence[Rule],
    build: Build,
    logs_client: Any,
    s3_client: Any = None,
    options: engine.EngineOptions | None = None,
    wrap_source: Callable[[LogSource], LogSource] | None = None,
    deadline: Deadline | None = None,
) -> BuildDiagnosis:
    """Diagnose a build from its record and its log (CloudWatch Logs, else S3).

    When the log could not be read for a reason other than its absence (access denied,
    throttling), the diagnosis is made from the record alone, says so in its notes, and
    that error is the result's ``failure``. A missing log (expired, disabled, never
    written) is a note, not an error. ``wrap_source`` wraps each log source (``scan``
    passes :class:`analyzer.cache.CachedSource`; the engine never knows). Once
    ``deadline`` passes, the log is read no further (``timed_out``) and no other place
    is tried.
    """
    from analyzer.sources.codebuild import log_sources_for

    sources, absent = log_sources_for(build, logs_client, s3_client)
    unread: list[str] = [absent] if absent else []
    notes = [f"{absent}; diagnosed from the build record"] if absent else []
    if build.status == "IN_PROGRESS":
        notes.insert(0, "the build is still in progress: its log and record may be incomplete")
    elif build.status == "SUCCEEDED":
        notes.insert(0, engine.SUCCEEDED_NOTE)
    if wrap_source is not None:
        sources = [wrap_source(source) for source in sources]
    failure: SourceError | None = None
    for source in sources:
        if deadline is not None and deadline.passed():
            note = f"log not read: {deadline.ran_out} before {source.description} was tried"
            unread.append(note)
            notes.append(note)
            return BuildDiagnosis(engine.diagnose(rules, None, build, notes=notes, options=options), failure, tuple(unread), True)
        try:
            chunks = _primed(source)
        except LogsNotFound as exc:
            unread.append(f"no log: {exc.message}; {exc.tip}" if exc.tip else f"no log: {exc.message}")
            notes.append(unread[-1])
            continue
        except SourceError as exc:
            failure = failure or exc
            unread.append(f"log not read: {exc.message}")
            notes.append(unread[-1])
            continue
        try:
            bounded = BoundedLog(chunks, deadline=deadline)
            diagnosis = engine.diagnose(rules, bounded, build, log_source=source.description, notes=notes, options=options)
            return BuildDiagnosis(_noting_cuts(diagnosis, bounded), None, (), bounded.timed_out)
        except SourceError as exc:
            # A later page failed (throttled, denied, expired mid-read): what was matched so far
            # is lost with the generator, so fall back like a failure on the first page.
            failure = failure or exc
            unread.append(f"log not read: {exc.message}")
            notes.append(unread[-1])
    if sources and failure is None:
        notes.append("diagnosed from the build record only")
    return BuildDiagnosis(engine.diagnose(rules, None, build, notes=notes, options=options), failure, tuple(unread))


def diagnose_build_id(
    rules: Sequence[Rule],
    build_id: str,
    codebuild_client: Any,
    logs_client: Any,
    s3_client: Any = None,
    options: engine.EngineOptions | None = None,
    wrap_source: Callable[[LogSource], LogSource] | None = None,
    deadline: Deadline | None = None,
    *,
    baseline: bool = False,
) -> BuildDiagnosis:
    """``diagnose --build-id``: fetch the record (``BatchGetBuilds``), then :func:`diagnose_build`.

    ``build_id`` is a build id or build ARN. Raises :class:`~analyzer.errors.BuildNotFound`
    and the other source errors of the record fetch; log errors are returned as in
    :func:`diagnose_build`. The organisation service's handler calls this too, so an event
    is diagnosed exactly as the command line diagnoses the same build. With ``baseline``
    (and no baseline in ``options`` already), the project's last successful build's log is
    the locator's baseline (:func:`fetch_baseline`), read only if the locator runs.
    """
    from analyzer.sources.codebuild import fetch_build

    build, _record = fetch_build(codebuild_client, build_id)
    if baseline and not (options and options.baseline):
        options = dataclasses.replace(
            options or engine.EngineOptions(),
            fetch_baseline=lambda: fetch_baseline(build, codebuild_client, logs_client, s3_client, deadline),
        )
    return diagnose_build(rules, build, logs_client, s3_client, options, wrap_source, deadline)


BASELINE_MAX_BYTES = 16 << 20
"""Bytes read of a baseline's log (16 MiB): it gives line shapes only, so its head is enough."""


class _Head(LogSource):
    """The first :data:`BASELINE_MAX_BYTES` of a log, as a log of its own: a cache that wraps it
    stores the head whole (a cut read of the whole log is never stored), under its own name."""

    def __init__(self, inner: LogSource) -> None:
        self.inner = inner
        self.description = f"{inner.description} (first {BASELINE_MAX_BYTES >> 20} MiB)"

    def chunks(self) -> Iterator[bytes]:
        yield from BoundedLog(self.inner.chunks(), max_bytes=BASELINE_MAX_BYTES)


def fetch_baseline(
    build: Build,
    codebuild_client: Any,
    logs_client: Any,
    s3_client: Any = None,
    deadline: Deadline | None = None,
    wrap_source: Callable[[Build, LogSource], LogSource] | None = None,
    find_succeeded: Callable[[], Build | None] | None = None,
) -> engine.Baseline:
    """The baseline of a failed ``build``: the log of its project's last build that ``SUCCEEDED``
    (:func:`analyzer.sources.codebuild.last_succeeded_build`), read up to :data:`BASELINE_MAX_BYTES`.

    Never raises for AWS's sake: a build that needs none (it succeeded or is running), a project
    with no successful build, a log that cannot be read or an API error is a :class:`Baseline`
    with no shapes and a note saying why; the diagnosis goes on without it. Past ``deadline`` (the
    build's time budget) none is fetched, and a read it stops is not used. ``wrap_source`` wraps
    each source of the succeeded build's log (``scan`` reads it through its cache);
    ``find_succeeded`` replaces the look-up (``scan`` knows it from its listing).
    """
    from analyzer.engine.locator import baseline_shapes
    from analyzer.sources.codebuild import last_succeeded_build, log_sources_for

    if build.status in ("SUCCEEDED", "IN_PROGRESS"):
        return engine.Baseline(frozenset(), note=f"no baseline: the build is {build.status}")
    if not build.project:
        return engine.Baseline(frozenset(), note="no baseline: the build record names no project")
    if deadline is not None and deadline.passed():
        return engine.Baseline(frozenset(), note=f"no baseline: {deadline.ran_out}", lasting=False)
    try:
        if find_succeeded is not None:
            found = find_succeeded()
        else:
            found = last_succeeded_build(codebuild_client, build.project, exclude=build.build_id)
        if found is None:
            return engine.Baseline(
                frozenset(), note=f"no baseline: none of the last builds of project {build.project} succeeded"
            )
        sources, _notes = log_sources_for(found, logs_client, s3_client)
        problem = "it has no log"
        for whole in sources:
            source: LogSource = _Head(whole)
            if wrap_source is not None:
                source = wrap_source(found, source)
            bounded = BoundedLog(source.chunks(), deadline=deadline)
            try:
                shapes = baseline_shapes(bounded)
            except LogsNotFound as exc:
                problem = f"its log is gone ({exc.message})"
                continue
            if deadline is not None and deadline.passed():
                return engine.Baseline(frozenset(), note=f"no baseline: {deadline.ran_out}", lasting=False)
            if not shapes:
                problem = "its log is empty"
                continue
            cut = f" (its first {BASELINE_MAX_BYTES >> 20} MiB)" if bounded.read >= BASELINE_MAX_BYTES else ""
            return engine.Baseline(
                shapes, f"build {found.build_id}",
                f"baseline: the log{cut} of build {found.build_id}, the project's last build that succeeded: "
                "lines it also printed are not taken for the error of a failure no rule names",
            )  # fmt: skip
        return engine.Baseline(frozenset(), note=f"no baseline: build {found.build_id} succeeded, but {problem}")
    except Exception as exc:  # a baseline is a help, never a reason for a diagnosis to fail
        # Throttling and network errors may pass: a scan tries again for the project's next build.
        lasting = isinstance(exc, SourceError) and not isinstance(exc, (Throttled, TransportError))
        return engine.Baseline(frozenset(), note=f"no baseline: {_describe(exc)}", lasting=lasting)


def _describe(exc: Exception) -> str:
    """One line for an error met while fetching a baseline."""
    from analyzer.errors import AccessDenied

    if isinstance(exc, AccessDenied) and exc.action:
        return f"access denied to {exc.action} (allow it, or pass --no-baseline)"
    if isinstance(exc, SourceError):
        return exc.message.splitlines()[0]
    from analyzer.aws import translate_boto_error

    translated = translate_boto_error(exc)
    return translated.message if translated is not None else f"{type(exc).__name__}: {exc}"


def load_build_record(path: Path, build_id: str | None = None) -> Build:
    """Read a build record saved as JSON: a ``BatchGetBuilds`` response or one ``builds[]`` element.

    A response with several builds needs ``build_id`` (an id or ARN) to pick one. Raises
    :class:`SourceError` naming the file (and the member) when it cannot be read, parsed,
    or has the wrong shape, and :class:`ConfigError` for several builds and no ``build_id``,
    or a ``build_id`` the file does not hold (the error lists the builds it holds).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError(f"build record not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"cannot read build record {path}: {exc}") from None
    if build_id is not None:
        from analyzer.sources.codebuild import normalise_build_id

        build_id = normalise_build_id(build_id)  # an ARN names the same build
    if isinstance(data, dict) and "builds" in data:
        builds = data["builds"]
        if not isinstance(builds, list):
            raise SourceError(f"build record {path}: builds: expected a list of builds")
        if not builds:
            raise SourceError(f"build record {path}: 'builds' is empty")
        ids = [b.get("id") if isinstance(b, dict) else None for b in builds]
        if build_id is not None:
            if build_id not in ids:
                raise ConfigError(f"build record {path}: no build {build_id} in it (it holds {_listed(ids)})")
            data = builds[ids.index(build_id)]
        elif len(builds) > 1:
            raise ConfigError(
                f"build record {path} holds {len(builds)} builds ({_listed(ids)}): "
                "pick one with --build-id"
            )
        else:
            data = builds[0]
    if not isinstance(data, dict) or not any(key in data for key in ("id", "projectName", "phases")):
        raise SourceError(
            f"build record {path}: expected a BatchGetBuilds response or one of its builds "
            "(an object with 'id', 'projectName' or 'phases')"
        )
    from analyzer.sources.codebuild import record_problem

    problem = record_problem(data, f"build record {path}")
    if problem:
        raise SourceError(problem)
    if build_id is not None and data.get("id") != build_id:
        raise ConfigError(f"build record {path} is of build {data.get('id') or '(no id)'}, not {build_id}")
    return Build.from_api(data)


def _listed(ids: list[Any]) -> str:
    shown = ", ".join(str(i) for i in ids[:5])
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
