"""Scan recent builds: list them, fetch records and logs within AWS quotas, diagnose each, collect a report.

``scan()`` is the core of ``codebuild-doctor scan`` and knows nothing of the
command line or the terminal: it takes boto3 clients (built once, in the main
thread, by the caller), :class:`ScanOptions`, an optional
:class:`~analyzer.cache.BuildCache` and a :class:`ScanObserver` (progress), and
returns a :class:`~analyzer.models.ScanReport`. Every selected build goes
through :func:`analyzer.pipeline.diagnose_build`, the path ``diagnose`` uses.

Listing. Projects come from ``--project`` or ``ListProjects`` (paged). For each
project ``ListBuildsForProject`` is paged (``nextToken``; AWS lists newest
first), each page's records are read with ``BatchGetBuilds`` in chunks of 100
(or from the cache), and *every* record of the page is checked: its
``startTime`` against the window and its ``buildStatus`` against the statuses.
Paging stops after the first page whose last build started before the window
(so AWS's order is used to stop, never to select, and one build out of order
does not stop it: moto, for one, lists oldest first and never pages), or once
``limit`` builds of the project were selected. ``--limit`` then keeps the newest ``limit`` over all projects.

Quotas. Logs are fetched by a pool of ``max_concurrency`` threads. CloudWatch
Logs allows ``GetLogEvents`` about 10 times a second per account and Region
(not adjustable), so a token bucket shared by the workers holds every attempt
(retries included: it is hooked on botocore's ``before-send``) to ``logs_rps``;
boto3's adaptive retry mode backs off on throttling, and a build still
throttled after that is tried again ``throttle_retries`` times, then skipped
with the reason. Throttling never fails a scan.

Nothing lost. A build whose log cannot be had is diagnosed from its record
when the record alone explains it (the diagnosis says so in its notes), else it
is reported as skipped with the reason; a record that cannot be fetched, or a
project whose builds cannot be listed, is skipped too, and the scan goes on. So
is a build that takes longer than ``time_budget`` (its log is read no further,
nothing of it is cached, and the part read is not diagnosed: it may not hold the
cause).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from analyzer.errors import ConfigError, SourceError, Throttled, TransportError
from analyzer.models import Build, BuildId, Diagnosis, FingerprintHistory, Rule, ScanReport, SkippedBuild, _parse_time
from analyzer.sources.base import DEFAULT_BUDGET, Deadline, LogSource

DEFAULT_STATUSES: tuple[str, ...] = ("FAILED", "FAULT", "TIMED_OUT")
"""Build statuses scanned by default: the builds that failed (``STOPPED`` was stopped by someone)."""
KNOWN_STATUSES = frozenset({"SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED", "IN_PROGRESS"})
DEFAULT_SINCE = "7d"
DEFAULT_CONCURRENCY = 4
DEFAULT_LOGS_RPS = 8.0
"""Below CloudWatch Logs' ``GetLogEvents`` quota of 10 requests/s per account and Region."""
BATCH_SIZE = 100
"""``BatchGetBuilds`` takes at most 100 ids."""

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")


def parse_since(text: str, now: datetime) -> datetime:
    """``--since``: a duration back from ``now`` (``90m``, ``24h``, ``7d``, ``2w``) or an ISO date/time (UTC if no zone).

    Raises :class:`ConfigError` naming the value.
    """
    value = text.strip().lower()
    match = _DURATION.match(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        try:
            delta = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount),
                     "w": timedelta(weeks=amount)}[unit]  # fmt: skip
            return now - delta
        except OverflowError:
            raise ConfigError(f"invalid --since {text!r}: that is before the year 1") from None
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"invalid --since {text!r}: expected a duration (90m, 24h, 7d, 2w) or a date (2026-11-01, "
            "2026-11-01T08:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_statuses(text: str) -> tuple[str, ...]:
    """``--status FAILED,FAULT``: upper-cased, in the order given; raises :class:`ConfigError` on an unknown one."""
    statuses = tuple(dict.fromkeys(s.strip().upper() for s in text.split(",") if s.strip()))
    unknown = [s for s in statuses if s not in KNOWN_STATUSES]
    if unknown or not statuses:
        raise ConfigError(
            f"invalid --status {text!r}: expected a comma-separated list of "
            + ", ".join(sorted(KNOWN_STATUSES))
        )
    return statuses


@dataclass(frozen=True)
class ScanOptions:
    """What to scan and how hard to push AWS."""

    since: datetime
    """Builds that started at or after this time (``startTime`` from ``BatchGetBuilds``)."""
    until: datetime | None = None
    """End of the window, ``None``: now. Builds that started later are left out."""
    projects: tuple[str, ...] = ()
    """Projects to scan; empty: every project of the Region (``ListProjects``)."""
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    limit: int | None = None
    """Keep only the newest ``limit`` selected builds over all projects."""
    max_concurrency: int = DEFAULT_CONCURRENCY
    """Worker threads fetching logs and diagnosing (and listing projects)."""
    logs_rps: float = DEFAULT_LOGS_RPS
    """``GetLogEvents`` attempts per second, shared by all workers; 0 or less: unlimited."""
    throttle_retries: int = 2
    """Extra tries of a build still throttled after boto3's retries, before it is skipped."""
    throttle_backoff: float = 1.0
    """Seconds before the first such try; doubled each time."""
    engine: Any = None
    """:class:`analyzer.engine.EngineOptions`, or ``None`` for the defaults."""
    time_budget: float | None = DEFAULT_BUDGET
    """Seconds one build may take (its log read and matched, retries included); ``None``: no limit.
    A build past it is skipped with that reason, and the scan goes on."""
    clock: Callable[[], float] = time.monotonic
    """The clock the time budget is measured on (tests pass a fake one)."""
    baseline: bool = True
    """Read each project's last build that succeeded (its log's first 16 MiB, through the cache)
    as the failure locator's baseline, once per project and only when the locator runs, as
    ``diagnose --build-id`` does (:func:`analyzer.pipeline.fetch_baseline`)."""


class ScanObserver:
    """Progress of a scan; every method is called from the thread that called :func:`scan`. No-ops here."""

    def listed(self, projects: int) -> None:
        """The projects to scan are known."""

    def selected(self, total: int) -> None:
        """Listing is done: ``total`` builds will be diagnosed."""

    def build_done(self, build_id: str, *, skipped: bool, fetched_bytes: int, cached: bool) -> None:
        """One build was diagnosed or skipped; ``fetched_bytes`` of log came from AWS, ``cached``: from the cache."""

    def warning(self, message: str) -> None:
        """Something the user should know that does not stop the scan."""


class ScanCancelled(Exception):
    """Raised in a worker whose scan was stopped (Ctrl-C) while it waited for the rate limit."""


class RateLimiter:
    """Shared by threads: ``acquire()`` blocks until a request may go, ``rate`` per second.

    A sliding window, not a refilling bucket: at most ``burst`` requests (default: one
    second's worth, at least 1) in any window of ``burst / rate`` seconds, so ``--logs-rps 8``
    never lets more than 8 calls through in any one second. (A bucket that starts full and
    refills lets 16 through in the first second.) Each grant's time is booked under the lock,
    so waiting callers queue in order.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        import collections
        import math

        self.rate = rate
        self.capacity = max(1, math.floor(burst if burst is not None else rate))
        # A window of one second at least: 2.5 per second is 2 in any second (a count is whole).
        self.window = max(self.capacity / rate, 1.0 if burst is None else 0.0) if rate > 0 else 0.0
        self._granted: collections.deque[float] = collections.deque(maxlen=self.capacity)
        self._clock = clock
        self._cancelled = threading.Event()
        # Waiting on the event, not time.sleep: cancel() wakes every waiting worker at once.
        self._sleep = sleep or self._wait
        self._lock = threading.Lock()
        self.waited = 0.0
        """Total seconds callers spent waiting."""
        self.acquired = 0

    def cancel(self) -> None:
        """Stop: waiting and later callers raise :class:`ScanCancelled` (Ctrl-C ends a scan at once)."""
        self._cancelled.set()

    def _wait(self, seconds: float) -> None:
        if self._cancelled.wait(seconds):
            raise ScanCancelled("the scan was stopped")

    def acquire(self) -> float:
        """Take a token, waiting for one if need be; returns the seconds waited.

        Raises :class:`ScanCancelled` once :meth:`cancel` was called.
        """
        if self._cancelled.is_set():
            raise ScanCancelled("the scan was stopped")
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            at = now
            if len(self._granted) == self.capacity:
                at = max(at, self._granted[0] + self.window)
            if self._granted:
                at = max(at, self._granted[-1])
            self._granted.append(at)
            self.acquired += 1
            wait = at - now
            self.waited += wait
        # Waiting outside the lock: the debt is already booked, so later callers queue behind.
        if wait > 0:
            self._sleep(wait)
        return wait

    def before_send(self, **_kwargs: Any) -> None:
        """A botocore ``before-send`` handler (returns ``None``: the request goes on)."""
        self.acquire()


_RATE_EVENT = "before-send.cloudwatch-logs.GetLogEvents"


def scan(
    rules: Sequence[Rule],
    codebuild: Any,
    logs: Any,
    s3: Any,
    options: ScanOptions,
    *,
    cache: Any = None,
    observer: ScanObserver | None = None,
) -> ScanReport:
    """Scan the builds ``options`` select and diagnose each (see the module docstring).

    ``codebuild``, ``logs``, ``s3`` are boto3 clients (thread-safe; built once by the
    caller); ``cache`` a :class:`~analyzer.cache.BuildCache` or ``None``. Raises
    :class:`~analyzer.errors.SourceError` only when the projects cannot be listed.
    """
    observer = observer or ScanObserver()
    until = options.until or datetime.now(timezone.utc)
    limiter = RateLimiter(options.logs_rps)
    events = logs.meta.events
    events.register(_RATE_EVENT, limiter.before_send, unique_id="codebuild-doctor-rate-limit")
    try:
        successes: dict[str, Build | None] = {}
        builds, skipped, projects = select_builds(
            codebuild, options, until, cache=cache, observer=observer, successes=successes
        )
        diagnoses: list[Diagnosis] = []
        worker = _Worker(rules, logs, s3, cache, options, codebuild, successes)
        pool = ThreadPoolExecutor(max_workers=max(1, options.max_concurrency))
        try:
            futures = [pool.submit(worker.run, build) for build in builds]
            for future in as_completed(futures):
                outcome, fetched, cached = future.result()
                is_skip = isinstance(outcome, SkippedBuild)
                (skipped if is_skip else diagnoses).append(outcome)  # type: ignore[arg-type]
                build_id = outcome.build_id if is_skip else outcome.build.build_id  # type: ignore[union-attr]
                observer.build_done(build_id, skipped=is_skip, fetched_bytes=fetched, cached=cached)
        except BaseException:
            # Interrupted (Ctrl-C): wake the workers waiting for the rate limit so they stop now,
            # and drop the builds not started; one in an HTTP call finishes it (and its transaction).
            limiter.cancel()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        events.unregister(_RATE_EVENT, unique_id="codebuild-doctor-rate-limit")
    diagnoses.sort(key=lambda d: _newest_first(d.build))  # type: ignore[arg-type]
    skipped.sort(key=lambda s: s.build_id)
    account = next((b.account for b in builds if b.account), None)
    history = _fingerprint_history(cache, diagnoses)
    return ScanReport(
        diagnoses=tuple(diagnoses),
        skipped=tuple(skipped),
        region=getattr(codebuild.meta, "region_name", None),
        account=account,
        since=options.since,
        until=until,
        projects=tuple(projects),
        statuses=tuple(options.statuses),
        history=history,
    )


def _fingerprint_history(cache: Any, diagnoses: Sequence[Diagnosis]) -> tuple[FingerprintHistory, ...]:
    """Keep each diagnosed build's fingerprint in the cache, then read the cache's whole history.

    An unexplained failed build's fingerprint is kept (see :mod:`analyzer.clusters`); a build
    explained now drops one kept by an earlier scan. Without a cache: no history.
    """
    if cache is None or not getattr(cache, "enabled", False):
        return ()
    from analyzer.clusters import error_block, fingerprint, unexplained

    open_ = {id(d) for d in unexplained(ScanReport(tuple(diagnoses)))}
    rows = [
        (
            d.build.build_id,
            fingerprint(error_block(d).line.text) if id(d) in open_ else None,
            d.build.start_time.timestamp() if d.build.start_time else None,
        )
        for d in diagnoses
        if d.build is not None and d.build.build_id
    ]
    cache.put_fingerprints(rows)
    return tuple(
        FingerprintHistory(text, builds, _parse_time(first), _parse_time(last))
        for text, builds, first, last in cache.fingerprint_history()
    )


def merge_reports(reports: Sequence[ScanReport]) -> ScanReport:
    """One report over several accounts' scans (``scan --role-arn A --role-arn B``), newest first."""
    diagnoses = sorted((d for r in reports for d in r.diagnoses), key=lambda d: _newest_first(d.build))  # type: ignore[arg-type]
    regions = {r.region for r in reports}
    accounts = {r.account for r in reports if r.account}
    return ScanReport(
        diagnoses=tuple(diagnoses),
        skipped=tuple(sorted((s for r in reports for s in r.skipped), key=lambda s: s.build_id)),
        region=regions.pop() if len(regions) == 1 else None,
        account=accounts.pop() if len(accounts) == 1 else None,
        since=reports[0].since,
        until=reports[0].until,
        projects=tuple(dict.fromkeys(p for r in reports for p in r.projects)),
        statuses=reports[0].statuses,
        history=reports[-1].history,  # one cache for every account: the last scan's read holds them all
    )


def select_builds(
    codebuild: Any,
    options: ScanOptions,
    until: datetime,
    *,
    cache: Any = None,
    observer: ScanObserver | None = None,
    successes: dict[str, Build | None] | None = None,
) -> tuple[list[Build], list[SkippedBuild], tuple[str, ...]]:
    """The builds ``options`` select, newest first, and the skipped ones and projects listed.

    Lists as the module docstring says; ``scan`` diagnoses what this selects, and
    ``scan --enqueue`` queues it for the organisation service instead. ``successes``, when
    given, is filled with each project's newest ``SUCCEEDED`` build among those listed (the
    baseline), or ``None`` when the listing saw all its builds and none succeeded; a project
    whose listing stopped early with none seen is left out (an older one may have succeeded).
    """
    observer = observer or ScanObserver()
    projects = tuple(options.projects) or _list_projects(codebuild)
    observer.listed(len(projects))
    lister = _Lister(codebuild, cache, options, until, successes)
    records: list[dict[str, Any]] = []
    skipped: list[SkippedBuild] = []
    with ThreadPoolExecutor(max_workers=max(1, options.max_concurrency)) as pool:
        for found, missed in pool.map(lister.project, projects):
            records.extend(found)
            skipped.extend(missed)
    builds = sorted((Build.from_api(r) for r in records), key=_newest_first)
    if options.limit is not None:
        builds = builds[: options.limit]
    observer.selected(len(builds))
    return builds, skipped, projects


def _newest_first(build: Build) -> tuple[float, str]:
    started = build.start_time.timestamp() if build.start_time else 0.0
    return (-started, build.build_id)


def _list_projects(codebuild: Any) -> tuple[str, ...]:
    """Every project of the Region, ``ListProjects`` paged by ``nextToken``."""
    from botocore.exceptions import ClientError

    from analyzer.sources.base import PageGuard, translate_client_error, verified_call

    names: list[str] = []
    token: str | None = None
    what = "the projects of the Region"
    guard = PageGuard("codebuild:ListProjects", what)
    while True:
        try:
            page = verified_call(
                lambda token=token: codebuild.list_projects(**({"nextToken": token} if token else {})),
                action="codebuild:ListProjects",
                what=what,
                required={"projects": list},
            )
        except ClientError as exc:
            raise translate_client_error(exc, "codebuild:ListProjects", what) from None
        names.extend(n for n in page["projects"] if isinstance(n, str))
        token = guard.next(page.get("nextToken") or None, page["projects"])
        if not token:
            return tuple(dict.fromkeys(names))


class _Lister:
    """Lists one project's builds in the window (runs in a worker thread)."""

    def __init__(
        self, codebuild: Any, cache: Any, options: ScanOptions, until: datetime, successes: dict[str, Build | None] | None = None
    ) -> None:
        self.codebuild = codebuild
        self.cache = cache
        self.options = options
        self.until = until
        self.successes = successes

    def _succeeded(self, project: str, records: list[dict[str, Any]], complete: bool) -> None:
        """Note the newest ``SUCCEEDED`` build of ``records`` (pages come newest first, one at a time)."""
        if self.successes is None or self.successes.get(project) is not None:
            return
        done = [r for r in records if r.get("buildStatus") == "SUCCEEDED" and _parse_time(r.get("startTime"))]
        if done:
            self.successes[project] = Build.from_api(max(done, key=lambda r: _parse_time(r.get("startTime"))))
        elif complete:
            self.successes[project] = None

    def project(self, project: str) -> tuple[list[dict[str, Any]], list[SkippedBuild]]:
        """``(selected records, skipped)`` of ``project``; a listing error skips the project, with the reason."""
        from botocore.exceptions import ClientError

        from analyzer.sources.base import PageGuard, translate_client_error, verified_call

        selected: list[dict[str, Any]] = []
        skipped: list[SkippedBuild] = []
        token: str | None = None
        guard = PageGuard("codebuild:ListBuildsForProject", f"project {project}")
        unread = False  # a record of the project not fetched: it may be the one that succeeded
        while True:
            try:
                page = verified_call(
                    lambda token=token: self.codebuild.list_builds_for_project(
                        projectName=project, **({"nextToken": token} if token else {})
                    ),
                    action="codebuild:ListBuildsForProject",
                    what=f"project {project}",
                    required={"ids": list},
                )
            except ClientError as exc:
                error = translate_client_error(exc, "codebuild:ListBuildsForProject", f"project {project}")
                skipped.append(SkippedBuild(BuildId(f"{project}:*"), f"builds not listed: {error.message}"))
                return selected, skipped
            except Exception as exc:  # network and credential errors: the project is skipped, not the scan
                skipped.append(SkippedBuild(BuildId(f"{project}:*"), f"builds not listed: {_describe(exc)}"))
                return selected, skipped
            ids = list(dict.fromkeys(i for i in page["ids"] if isinstance(i, str)))
            records, missed = self._records(ids)
            skipped.extend(missed)
            unread = unread or bool(missed)
            for record in records:
                started = _parse_time(record.get("startTime"))
                if started is None or started < self.options.since:
                    continue
                if started > self.until or record.get("buildStatus") not in self.options.statuses:
                    continue
                selected.append(record)
            self._succeeded(project, records, complete=not page.get("nextToken") and not unread)
            # Newest first: once the page's last build started before the window, the next
            # pages are older still. Only the last one decides, so one build out of order does not.
            last = _parse_time(records[-1].get("startTime")) if records else None
            past = last is not None and last < self.options.since
            if not page.get("nextToken") or past or (self.options.limit is not None and len(selected) >= self.options.limit):
                return selected, skipped
            try:
                token = guard.next(page["nextToken"], ids)
            except SourceError as exc:
                skipped.append(SkippedBuild(BuildId(f"{project}:*"), f"builds not all listed: {exc.message}"))
                return selected, skipped

    def _records(self, ids: list[str]) -> tuple[list[dict[str, Any]], list[SkippedBuild]]:
        """Records of ``ids`` from the cache, else ``BatchGetBuilds`` (chunks of 100; one by one after an error)."""
        from analyzer.cache import _jsonable

        cached = self.cache.get_records(ids) if self.cache is not None else {}
        wanted = [i for i in ids if i not in cached]
        fetched: dict[str, dict[str, Any]] = {}
        skipped: list[SkippedBuild] = []
        for start in range(0, len(wanted), BATCH_SIZE):
            chunk = wanted[start : start + BATCH_SIZE]
            try:
                got, missing = self._fetch(chunk)
            except Exception:
                got, missing = {}, []
                for build_id in chunk:  # one bad build must not hide its 99 neighbours
                    try:
                        one, gone = self._fetch([build_id])
                    except Exception as exc:
                        skipped.append(SkippedBuild(BuildId(build_id), f"record not fetched: {_describe(exc)}"))
                        continue
                    got.update(one)
                    missing.extend(gone)
            fetched.update(got)
            skipped.extend(
                SkippedBuild(BuildId(i), "record not fetched: BatchGetBuilds did not find the build")
                for i in missing
            )
        if self.cache is not None and fetched:
            self.cache.put_records(list(fetched.values()))
        records = {**cached, **{k: _jsonable(v) for k, v in fetched.items()}}
        return [records[i] for i in ids if i in records], skipped

    def _fetch(self, ids: list[str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
        from analyzer.sources.codebuild import fetch_build_records

        records, missing = fetch_build_records(self.codebuild, ids)
        return {r["id"]: r for r in records}, missing


class _Worker:
    """Diagnoses one build (runs in a worker thread); never raises."""

    def __init__(
        self,
        rules: Sequence[Rule],
        logs: Any,
        s3: Any,
        cache: Any,
        options: ScanOptions,
        codebuild: Any = None,
        successes: dict[str, Build | None] | None = None,
    ) -> None:
        self.rules = rules
        self.logs = logs
        self.s3 = s3
        self.cache = cache
        self.options = options
        self.codebuild = codebuild
        self.successes = successes or {}
        """Each project's newest successful build the listing saw (:func:`select_builds`)."""
        self._baselines: dict[str, Any] = {}
        self._baseline_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def _cached(self, build: Build, source: LogSource) -> LogSource:
        """``source``, read through the scan cache under ``build``'s key (as is without a cache)."""
        from analyzer.cache import CachedSource, log_key

        if self.cache is None:
            return source
        return CachedSource(source, self.cache, log_key(build.arn or build.build_id, source))

    def baseline(self, build: Build, deadline: Deadline | None) -> Any:
        """The :class:`~analyzer.engine.Baseline` of ``build``'s project: fetched by the first build
        of the project whose locator asks (the others wait for it), then shared. One that may not
        last (throttled, a network error, out of the asking build's time) is not kept: the project's
        next build tries again."""
        from analyzer import pipeline

        project = build.project or ""
        with self._lock:
            lock = self._baseline_locks.setdefault(project, threading.Lock())
        with lock:
            if project in self._baselines:
                return self._baselines[project]

            find: Callable[[], Build | None] | None = None  # None: looked up (ListBuildsForProject)
            if project in self.successes:
                known = self.successes[project]
                find = lambda: known  # noqa: E731 - the listing saw it
            found = pipeline.fetch_baseline(
                build, self.codebuild, self.logs, self.s3, deadline, wrap_source=self._cached, find_succeeded=find
            )
            if found.lasting:
                self._baselines[project] = found
            return found

    def run(self, build: Build) -> tuple[Diagnosis | SkippedBuild, int, bool]:
        """``(diagnosis or skipped build, log bytes fetched from AWS, served from the cache)``."""
        try:
            return self._run(build)
        except Exception as exc:  # nothing lost: an unexpected error skips this build only
            return SkippedBuild(build.build_id, f"not diagnosed: {_describe(exc)}", build), 0, False

    def _run(self, build: Build) -> tuple[Diagnosis | SkippedBuild, int, bool]:
        from analyzer import pipeline

        wrapped: list[Any] = []

        def wrap(source: LogSource) -> LogSource:
            cached = self._cached(build, source)
            if cached is not source:
                wrapped.append(cached)
            return cached

        deadline = Deadline(self.options.time_budget, self.options.clock) if self.options.time_budget else None
        engine_options = self.options.engine
        if self.options.baseline and self.codebuild is not None and not (engine_options and engine_options.baseline):
            from analyzer.engine import EngineOptions

            engine_options = dataclasses.replace(
                engine_options or EngineOptions(), fetch_baseline=lambda: self.baseline(build, deadline)
            )
        delay = self.options.throttle_backoff
        out_of_time = ""
        for attempt in range(self.options.throttle_retries + 1):
            wrapped.clear()
            result = pipeline.diagnose_build(
                self.rules, build, self.logs, self.s3, engine_options, wrap_source=wrap, deadline=deadline
            )
            if isinstance(result.failure, (Throttled, TransportError)) and attempt < self.options.throttle_retries:
                if deadline is not None and deadline.clock() + delay >= deadline.at:
                    out_of_time = f"; not tried again: {deadline.ran_out}"
                    break
                time.sleep(delay)
                delay *= 2
                continue
            break
        diagnosis, failure = result.diagnosis, result.failure
        fetched = sum(w.fetched_bytes for w in wrapped) if wrapped else (diagnosis.log.bytes if diagnosis.log else 0)
        from_cache = any(w.from_cache for w in wrapped)
        if result.timed_out and deadline is not None:
            # What was read of the log may not hold the cause (it is often at the end): a
            # diagnosis of it would be counted in the report as if it were the build's.
            read = diagnosis.log.bytes if diagnosis.log else 0
            reason = f"{deadline.note(read)}; not diagnosed, as the part read may not hold the cause"
            return SkippedBuild(build.build_id, reason, build), fetched, from_cache
        # Still throttled, or still unreadable, after the retries: skipped with the reason, as
        # the README says, even when the record alone gives findings (the log might have said
        # otherwise). Access denied or a missing log fall back to the record (a lasting fact).
        if isinstance(failure, (Throttled, TransportError)) or (failure is not None and not diagnosis.findings):
            return SkippedBuild(build.build_id, f"log not read: {_reason(failure)}{out_of_time}", build), fetched, from_cache
        if diagnosis.log is None and not diagnosis.findings:
            reason = "; ".join(result.unread) or "no log and nothing in the build record"
            return SkippedBuild(build.build_id, f"{reason}; the build record alone explains nothing", build), fetched, from_cache
        return diagnosis, fetched, from_cache


def _reason(error: SourceError) -> str:
    return f"{error.message} (tip: {error.tip})" if error.tip else error.message


def _describe(exc: Exception) -> str:
    """A one-line reason for an exception: our errors as they are, boto's translated."""
    if isinstance(exc, SourceError):
        return _reason(exc)
    from analyzer.aws import translate_boto_error

    translated = translate_boto_error(exc)
    if translated is not None:
        return _reason(translated)
    return f"{type(exc).__name__}: {exc}"
