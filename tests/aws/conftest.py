"""Fixtures for the end-to-end AWS tests: one moto server over real HTTP, reset before each test.

The server is :func:`analyzer.demo.moto_server` (a ``ThreadedMotoServer`` on 127.0.0.1 in
this process, with moto's mutating ``BatchGetBuilds`` patched) and builds are seeded with
:func:`analyzer.demo.seed_build`. The CLI under test builds its own boto3 clients from the
environment, so the environment is pointed at moto and every HTTP request botocore sends
is checked to go to 127.0.0.1: no test can reach a real AWS endpoint, even by mistake.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import botocore.httpsession
import pytest
import requests

from analyzer.demo import REGION, moto_server

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
"""The only hosts botocore may send to during these tests."""


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto server on 127.0.0.1, shared by the whole session."""
    with moto_server() as endpoint:
        yield endpoint


@dataclass
class HttpLog:
    """Every HTTP request botocore sent during a test: ``(method, url, operation)``."""

    requests: list[tuple[str, str, str]] = field(default_factory=list)

    def operations(self) -> list[str]:
        """The operation of each request (``X-Amz-Target`` suffix for JSON APIs, else the method)."""
        return [op for _, _, op in self.requests]

    def clear(self) -> None:
        """Forget the requests made so far (e.g. by seeding)."""
        self.requests.clear()


@pytest.fixture(autouse=True)
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[HttpLog]:
    """Fresh moto state, fake credentials, moto as every endpoint, and a guard on every request."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                 "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                 "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for name in ("CODEBUILD", "CLOUDWATCH_LOGS", "S3", "IAM", "STS"):
        monkeypatch.delenv(f"AWS_ENDPOINT_URL_{name}", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    log = HttpLog()
    real_send = botocore.httpsession.URLLib3Session.send

    def guarded_send(self: Any, request: Any) -> Any:
        host = urlparse(request.url).hostname
        if host not in LOCAL_HOSTS:  # pragma: no cover - only on a broken setup
            raise AssertionError(f"test tried to reach a non-local endpoint: {request.url}")
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        log.requests.append((request.method, request.url, target.rsplit(".", 1)[-1] or request.method))
        return real_send(self, request)

    monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", guarded_send)
    yield log
