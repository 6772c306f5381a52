"""The Lambda function: an SQS batch of CodeBuild state-change events in, diagnoses stored.

Entry point ``analyzer.service.handler.lambda_handler`` (the event source mapping has
``ReportBatchItemFailures``). Per message, independently of the others:

1. parse the event (:mod:`analyzer.service.events`); a malformed one fails alone and, after
   three receives, reaches the dead-letter queue;
2. skip statuses not configured (``STOPPED`` is opt-in): acknowledged, nothing written;
3. claim the build ARN in DynamoDB (:meth:`Store.claim`); a duplicate is a no-op;
4. assume the read-only role of the build's account (cached) and diagnose with
   :func:`analyzer.pipeline.diagnose_build_id`, the path of ``diagnose --build-id``: the
   same record fetch, log choice (CloudWatch Logs, else S3), fallback to the record when
   the log is denied, and engine; then redact, as the command line does by default;
5. throttled (the record or the log): try again with backoff while the invocation has more
   than ``reserve_seconds`` left, else release the claim and return the message;
6. write the diagnosis JSON and the gzipped log to S3, publish the notification, and
   replace the claim with the summary row.

Any other failure releases the claim and returns the message (``batchItemFailures``), so
SQS retries only it. Nothing is lost: a message leaves the queue only once its build is
stored, was already stored, or is not to be diagnosed.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzer.errors import SourceError, Throttled
from analyzer.service.config import ServiceConfig
from analyzer.service.events import BuildEvent, MalformedMessage, parse_event
from analyzer.sources.base import LogSource

LOG = logging.getLogger("codebuild_doctor.service")

DEFAULT_TIMEOUT = 300.0
"""Seconds assumed left when the invocation has no context (tests, local runs)."""


class RetryLater(Exception):
    """The message should go back to the queue (the reason is the message)."""


class _GzipTee(LogSource):
    """Passes a log source's chunks through and keeps them gzipped (the raw log for S3)."""

    def __init__(self, inner: LogSource) -> None:
        self.inner = inner
        self.description = inner.description
        self.data: bytes | None = None
        """The gzipped log, once the whole of it was read."""

    def chunks(self) -> Iterator[bytes]:
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip member
        parts = []
        for chunk in self.inner.chunks():
            parts.append(compressor.compress(chunk))
            yield chunk
        parts.append(compressor.flush())
        self.data = b"".join(parts)


@dataclass
class Outcome:
    """What happened to one message (logged, and counted in :attr:`Service.outcomes`)."""

    message_id: str
    result: str
    """``stored``, ``duplicate``, ``ignored``, ``malformed`` or ``retry``."""
    detail: str = ""
    build_arn: str | None = None


@dataclass
class Service:
    """The handler's state, built once per cold start: rules, clients, caches."""

    config: ServiceConfig
    rules: Sequence[Any]
    options: Any
    """:class:`analyzer.engine.EngineOptions` with the prefilter loaded."""
    store: Any
    accounts: Any
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    outcomes: list[Outcome] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        config: ServiceConfig | None = None,
        *,
        session: Any = None,
        rules: Sequence[Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> Service:
        """Load the rule pack and its prefilter, build the central clients (``session``: boto3's default)."""
        import boto3

        from analyzer.engine import EngineOptions
        from analyzer.rules import load_rules
        from analyzer.rules.compiled import load_prefilter
        from analyzer.service.accounts import Accounts
        from analyzer.service.store import Store

        config = config or ServiceConfig.from_env()
        session = session or boto3.session.Session()
        rules = tuple(rules) if rules is not None else load_rules().rules
        options = EngineOptions(prefilter=load_prefilter(rules))
        store = Store(
            session.client("s3"), session.client("dynamodb"), session.client("sns"),
            config.bucket, config.table, config.topic_arn,
        )  # fmt: skip
        accounts = Accounts(config, session, clock=clock, sleep=sleep)
        service = cls(config, rules, options, store, accounts)
        if sleep is not None:
            service.sleep = sleep
        return service

    # -- the batch ---------------------------------------------------------------------------

    def handle(self, event: Mapping[str, Any], context: Any = None) -> dict[str, list[dict[str, str]]]:
        """Process an SQS batch; returns the ``batchItemFailures`` of the messages to retry."""
        remaining = context.get_remaining_time_in_millis() / 1000.0 if context is not None else DEFAULT_TIMEOUT
        deadline = self.monotonic() + remaining - self.config.reserve_seconds
        lease = remaining + 60.0  # a claim outlives the invocation that made it, never much longer
        failures = []
        for record in event.get("Records") or ():
            outcome = self.process(record, deadline, lease)
            self.outcomes.append(outcome)
            LOG.info(json.dumps({"message_id": outcome.message_id, "result": outcome.result,
                                 "build_arn": outcome.build_arn, "detail": outcome.detail}))  # fmt: skip
            if outcome.result in ("retry", "malformed"):
                failures.append({"itemIdentifier": outcome.message_id})
        return {"batchItemFailures": failures}

    def process(self, record: Mapping[str, Any], deadline: float, lease: float) -> Outcome:
        """One message; never raises."""
        message_id = str(record.get("messageId", ""))
        try:
            event = parse_event(record.get("body", ""))
        except MalformedMessage as exc:
            return Outcome(message_id, "malformed", str(exc))
        if event.status not in self.config.statuses:
            return Outcome(message_id, "ignored", f"status {event.status} is not diagnosed", event.build_arn)
        token = uuid.uuid4().hex
        try:
            if not self.store.claim(event.build_arn, token, self.now(), lease):
                return Outcome(message_id, "duplicate", "already diagnosed or being diagnosed", event.build_arn)
        except Exception as exc:  # noqa: BLE001 - DynamoDB unreachable: retry the message
            return Outcome(message_id, "retry", f"claim failed: {_describe(exc)}", event.build_arn)
        try:
            key = self._diagnose_and_store(event, token, deadline)
        except Exception as exc:  # noqa: BLE001 - anything: give the claim back, retry the message
            try:
                self.store.release(event.build_arn, token)
            except Exception as release_error:  # noqa: BLE001 - the lease expires on its own
                LOG.warning("claim of %s not released: %s", event.build_arn, _describe(release_error))
            return Outcome(message_id, "retry", _describe(exc), event.build_arn)
        return Outcome(message_id, "stored", key, event.build_arn)

    # -- one build ---------------------------------------------------------------------------

    def _diagnose_and_store(self, event: BuildEvent, token: str, deadline: float) -> str:
        from datetime import datetime, timezone

        from analyzer.redact import redact_diagnosis
        from analyzer.report import Format, render_diagnosis
        from analyzer.report import notification
        from analyzer.service.store import Summary, object_key, s3_console_url

        diagnosis, tee = self._diagnose(event, deadline)
        diagnosis = redact_diagnosis(diagnosis)
        build = diagnosis.build
        started = (build.start_time if build is not None else None) or datetime.fromtimestamp(self.now(), timezone.utc)
        json_key = object_key(event.account, event.region, started, event.build_id)
        log_key = None
        if tee is not None and tee.data is not None:
            log_key = object_key(event.account, event.region, started, event.build_id, ".log.gz")
        self.store.put(json_key, render_diagnosis(diagnosis, Format.JSON).encode("utf-8"), "application/json")
        if log_key is not None and tee is not None and tee.data is not None:
            self.store.put(log_key, tee.data, "text/plain; charset=utf-8", "gzip")
        project = (build.project if build is not None else None) or event.project
        url = s3_console_url(self.config.bucket, json_key, event.region)
        text = notification.body(diagnosis, account=event.account, region=event.region, diagnosis_url=url)
        title = notification.subject(project, diagnosis)
        self.store.notify(title, notification.messages(title, text))
        summary = Summary.of(diagnosis, build_arn=event.build_arn, account=event.account, region=event.region,
                             project=project, diagnosis_key=json_key, log_key=log_key)  # fmt: skip
        self.store.complete(summary, token, self.now(), self.config.ttl_days)
        return json_key

    def _diagnose(self, event: BuildEvent, deadline: float) -> tuple[Any, _GzipTee | None]:
        """Diagnose as ``diagnose --build-id`` does; throttling is retried until ``deadline``."""
        from analyzer import pipeline

        clients = self.accounts.clients(event.partition, event.account, event.region)
        delay = 1.0
        while True:
            tees: list[_GzipTee] = []

            def tee(source: LogSource) -> LogSource:
                wrapped = _GzipTee(source)
                tees.append(wrapped)  # noqa: B023 - called within this iteration only
                return wrapped

            failure: SourceError | None
            try:
                diagnosis, failure = pipeline.diagnose_build_id(
                    self.rules, event.build_id, clients.codebuild, clients.logs, clients.s3, self.options,
                    wrap_source=tee, baseline=self.config.baseline,
                )[:2]  # fmt: skip
            except Throttled as exc:  # the record itself (BatchGetBuilds) was throttled
                diagnosis, failure = None, exc
            if not isinstance(failure, Throttled):
                # Denied or unreadable log: the record's diagnosis, with the reason in its notes (as the CLI).
                read = diagnosis.log.source if diagnosis is not None and diagnosis.log else None
                return diagnosis, next((t for t in tees if t.description == read and t.data is not None), None)
            if self.monotonic() + delay >= deadline:
                raise RetryLater(f"still throttled, no time left in this invocation: {failure.message}")
            self.sleep(delay)
            delay = min(delay * 2, 30.0)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RetryLater):
        return str(exc)
    if isinstance(exc, SourceError):
        return exc.message
    from analyzer.aws import translate_boto_error

    translated = translate_boto_error(exc) if isinstance(exc, Exception) else None
    if translated is not None:
        return translated.message
    return f"{type(exc).__name__}: {exc}"


_SERVICE: Service | None = None


def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """The Lambda entry point; the rule pack and clients are built on the first call (cold start)."""
    global _SERVICE
    if _SERVICE is None:
        logging.getLogger().setLevel(logging.INFO)
        _SERVICE = Service.create()
    return _SERVICE.handle(event, context)
