"""Read-only clients in each build's account: the assumed role, cached, and a rate limit per account.

For a build in account A, Region R the handler assumes ``arn:<partition>:iam::A:role/<role
name>`` (with the external id the member roles' trust policy requires, next to its
``aws:PrincipalOrgID`` condition) and reads through ``codebuild``, ``logs`` and ``s3``
clients built from those credentials. Credentials are cached per account until five
minutes before they expire; clients per account and Region.

CloudWatch Logs allows ``GetLogEvents`` about 10 times a second per account and Region,
and the requests are spent in the member account. Each (account, Region) gets a token
bucket (:class:`analyzer.scan.RateLimiter`, burst 1) hooked on the logs client's
``before-send``, so every attempt, retries included, waits for a token. The fleet's limit
is split between the function's concurrent instances (``MaximumConcurrency``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from analyzer._version import __version__
from analyzer.scan import RateLimiter
from analyzer.service.config import ServiceConfig

REFRESH_MARGIN = 300.0
"""Seconds before expiry at which cached role credentials are renewed."""
SESSION_SECONDS = 3600
_RATE_EVENT = "before-send.cloudwatch-logs.GetLogEvents"


@dataclass
class AccountClients:
    """The three read-only clients of one account and Region."""

    codebuild: Any
    logs: Any
    s3: Any
    limiter: RateLimiter
    expires: float
    """``time.time()`` after which the credentials behind these clients are renewed."""


class Accounts:
    """Builds and caches :class:`AccountClients`; thread-safe.

    ``session`` is the function's boto3 session (its own credentials, used for STS).
    ``clock``/``sleep`` drive the rate limiters (a test passes a fake clock).
    """

    def __init__(
        self,
        config: ServiceConfig,
        session: Any,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.config = config
        self.session = session
        self.clock = clock
        self.sleep = sleep
        self._clients: dict[tuple[str, str], AccountClients] = {}
        self._limiters: dict[tuple[str, str], RateLimiter] = {}
        self._sessions: dict[str, tuple[dict[str, str], float]] = {}
        self._lock = threading.Lock()
        self.assumed: list[str] = []
        """Role ARNs assumed so far, in order (one per account while credentials last)."""

    def role_arn(self, partition: str, account: str) -> str | None:
        """The read-only role of ``account``, or ``None`` when the function's own credentials are used."""
        if self.config.role_name is None:
            return None
        return f"arn:{partition}:iam::{account}:role/{self.config.role_name.strip('/')}"

    def clients(self, partition: str, account: str, region: str) -> AccountClients:
        """The clients for ``account`` in ``region``, assuming its role if need be.

        Raises botocore's ``ClientError`` when the role cannot be assumed (the caller
        returns the message to the queue).
        """
        key = (account, region)
        with self._lock:
            cached = self._clients.get(key)
            if cached is not None and time.time() < cached.expires:
                return cached
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = RateLimiter(self.config.instance_logs_rps, burst=1.0, clock=self.clock, sleep=self.sleep)
                self._limiters[key] = limiter
            credentials, expires = self._session(partition, account, region)
            built = AccountClients(
                codebuild=self._client(credentials, "codebuild", region),
                logs=self._client(credentials, "logs", region),
                s3=self._client(credentials, "s3", region),
                limiter=limiter,
                expires=expires,
            )
            built.logs.meta.events.register(_RATE_EVENT, limiter.before_send, unique_id="codebuild-doctor-rate")
            self._clients[key] = built
            return built

    def _session(self, partition: str, account: str, region: str) -> tuple[dict[str, str], float]:
        """Credentials for ``account`` (``{}``: the function's own) and when to renew them."""
        role = self.role_arn(partition, account)
        if role is None:
            return {}, float("inf")
        cached = self._sessions.get(account)  # every Region of an account shares the credentials
        if cached is not None and time.time() < cached[1]:
            return cached
        params: dict[str, Any] = {
            "RoleArn": role,
            "RoleSessionName": "codebuild-doctor",
            "DurationSeconds": SESSION_SECONDS,
        }
        if self.config.external_id:
            params["ExternalId"] = self.config.external_id
        sts = self._client({}, "sts", region)
        credentials = sts.assume_role(**params)["Credentials"]
        self.assumed.append(role)
        expiration = credentials["Expiration"]
        if isinstance(expiration, datetime):
            expires = expiration.astimezone(timezone.utc).timestamp() - REFRESH_MARGIN
        else:  # pragma: no cover - botocore always parses it
            expires = time.time() + SESSION_SECONDS - REFRESH_MARGIN
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
        self._sessions[account] = (keys, expires)
        return keys, expires

    def _client(self, credentials: dict[str, str], service: str, region: str) -> Any:
        """A client of the function's session (its loaded service models are shared) with ``credentials``."""
        from botocore.config import Config

        config = Config(
            retries={"mode": "standard", "total_max_attempts": self.config.max_attempts},
            user_agent_extra=f"codebuild-doctor-service/{__version__}",
            connect_timeout=5,
            read_timeout=30,
        )
        return self.session.client(service, region_name=region, config=config, **credentials)
