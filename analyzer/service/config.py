"""The organisation service's settings, read once per cold start from the function's environment.

Every setting is an environment variable of the Lambda function (``deploy/central.yaml``
sets them); a bad value raises :class:`~analyzer.errors.ConfigError` naming the variable,
so a misconfigured function fails on its first invocation with a clear log line.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from analyzer.errors import ConfigError
from analyzer.service.events import DEFAULT_STATUSES, OPTIONAL_STATUSES

PREFIX = "CODEBUILD_DOCTOR_"
ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,512}$")


@dataclass(frozen=True)
class ServiceConfig:
    """What the handler writes where, whom it assumes, and how hard it may read each account."""

    bucket: str
    """S3 bucket for the diagnoses and raw logs (``CODEBUILD_DOCTOR_BUCKET``)."""
    table: str
    """DynamoDB table, partition key ``build_arn`` (S), TTL attribute ``expires_at`` (``CODEBUILD_DOCTOR_TABLE``)."""
    topic_arn: str | None = None
    """SNS topic for notifications; ``None``: none sent (``CODEBUILD_DOCTOR_TOPIC_ARN``)."""
    role_name: str | None = None
    """The read-only role assumed in each build's account (path allowed); ``None``: the
    function's own credentials, for builds of the central account (``CODEBUILD_DOCTOR_ROLE_NAME``)."""
    external_id: str | None = None
    """``sts:ExternalId`` the member roles require (``CODEBUILD_DOCTOR_EXTERNAL_ID``)."""
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    """Build statuses diagnosed; others are acknowledged and dropped (``CODEBUILD_DOCTOR_STATUSES``)."""
    logs_rps: float = 8.0
    """``GetLogEvents`` per second per account and Region for the whole fleet
    (``CODEBUILD_DOCTOR_LOGS_RPS``; CloudWatch Logs allows 10)."""
    max_concurrency: int = 2
    """The event source's ``ScalingConfig.MaximumConcurrency``: each concurrent instance
    gets ``logs_rps / max_concurrency`` (``CODEBUILD_DOCTOR_MAX_CONCURRENCY``)."""
    ttl_days: int = 90
    """Days a summary row lives in DynamoDB (``CODEBUILD_DOCTOR_TTL_DAYS``)."""
    max_attempts: int = 3
    """Attempts per AWS call (botocore's adaptive retries; ``CODEBUILD_DOCTOR_MAX_ATTEMPTS``)."""
    reserve_seconds: float = 15.0
    """Time kept back from the invocation's budget for the writes; a throttled read is retried
    only while more remains, else the message goes back to the queue (``CODEBUILD_DOCTOR_RESERVE_SECONDS``)."""
    baseline: bool = True
    """Whether a failure no rule names is read against its project's last successful build, as
    ``diagnose --build-id`` does (``ListBuildsForProject``, ``BatchGetBuilds`` and the head of
    that build's log, only when the failure locator runs; ``CODEBUILD_DOCTOR_BASELINE``:
    ``true`` or ``false``)."""

    @property
    def instance_logs_rps(self) -> float:
        """The ``GetLogEvents`` rate per account one function instance may use."""
        return self.logs_rps / self.max_concurrency

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceConfig:
        """Read the settings from ``env`` (default: ``os.environ``)."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(PREFIX + name, "").strip()
            return value or None

        def required(name: str) -> str:
            value = get(name)
            if value is None:
                raise ConfigError(f"{PREFIX}{name} is not set: the function's template sets it")
            return value

        def number(name: str, default: float, *, whole: bool = False) -> float:
            text = get(name)
            if text is None:
                return default
            try:
                value = int(text) if whole else float(text)
            except ValueError:
                kind = "a whole number" if whole else "a number"
                raise ConfigError(f"invalid {PREFIX}{name} {text!r}: expected {kind}") from None
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(f"invalid {PREFIX}{name} {text!r}: expected more than 0")
            return value

        statuses = DEFAULT_STATUSES
        if get("STATUSES"):
            statuses = tuple(dict.fromkeys(s.strip().upper() for s in required("STATUSES").split(",") if s.strip()))
            allowed = set(DEFAULT_STATUSES) | OPTIONAL_STATUSES
            unknown = [s for s in statuses if s not in allowed]
            if unknown or not statuses:
                raise ConfigError(
                    f"invalid {PREFIX}STATUSES {get('STATUSES')!r}: expected a comma-separated list of "
                    + ", ".join(sorted(allowed))
                )
        baseline = (get("BASELINE") or "true").lower()
        if baseline not in ("true", "false"):
            raise ConfigError(f"invalid {PREFIX}BASELINE {get('BASELINE')!r}: expected true or false")
        role_name = get("ROLE_NAME")
        if role_name is not None and not ROLE_NAME.match(role_name):
            raise ConfigError(f"invalid {PREFIX}ROLE_NAME {role_name!r}: not an IAM role name")
        topic = get("TOPIC_ARN")
        if topic is not None and not topic.startswith("arn:"):
            raise ConfigError(f"invalid {PREFIX}TOPIC_ARN {topic!r}: expected an SNS topic ARN")
        return cls(
            bucket=required("BUCKET"),
            table=required("TABLE"),
            topic_arn=topic,
            role_name=role_name,
            external_id=get("EXTERNAL_ID"),
            statuses=statuses,
            logs_rps=number("LOGS_RPS", cls.logs_rps),
            max_concurrency=int(number("MAX_CONCURRENCY", cls.max_concurrency, whole=True)),
            ttl_days=int(number("TTL_DAYS", cls.ttl_days, whole=True)),
            max_attempts=int(number("MAX_ATTEMPTS", cls.max_attempts, whole=True)),
            reserve_seconds=number("RESERVE_SECONDS", cls.reserve_seconds),
            baseline=baseline == "true",
        )
