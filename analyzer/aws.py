"""Building boto3 clients the way the AWS CLI does: profile, Region, endpoint, standard chain.

Only the CLI calls this module; sources receive the clients it builds. boto3
is imported here lazily, so ``diagnose --log-file`` never pays for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from analyzer import __version__
from analyzer.errors import ConfigError, SourceError


@dataclass(frozen=True)
class AwsOptions:
    """The AWS CLI's connection options; ``None`` defers to the standard chain and ``AWS_*`` variables."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    max_attempts: int | None = None
    """Total attempts per call (retries included); ``None``: ``AWS_MAX_ATTEMPTS`` or 5."""


class AwsClients:
    """Lazily built boto3 clients sharing one session (clients are thread-safe, sessions are not)."""

    def __init__(self, options: AwsOptions) -> None:
        import boto3
        import botocore.exceptions

        self.options = options
        try:
            self.session = boto3.session.Session(profile_name=options.profile, region_name=options.region)
        except botocore.exceptions.ProfileNotFound:
            raise ConfigError(f"AWS profile not found: {options.profile!r} (see ~/.aws/config)") from None
        if not self.session.region_name:
            raise ConfigError(
                "no AWS Region: pass --region, set AWS_REGION, or set a region in your AWS profile"
            )
        self._clients: dict[str, Any] = {}

    @property
    def region(self) -> str:
        """The Region every client uses."""
        return str(self.session.region_name)

    def client(self, service: str) -> Any:
        """The client for ``service`` (``codebuild``, ``logs``, ``s3``), built once."""
        if service not in self._clients:
            from botocore.config import Config

            attempts = self.options.max_attempts or int(os.environ.get("AWS_MAX_ATTEMPTS", "5") or 5)
            config = Config(
                retries={"mode": "adaptive", "total_max_attempts": attempts},
                user_agent_extra=f"codebuild-doctor/{__version__}",
                connect_timeout=10,
                read_timeout=60,
            )
            self._clients[service] = self.session.client(
                service, endpoint_url=self.options.endpoint_url, config=config
            )
        return self._clients[service]


def translate_boto_error(exc: Exception) -> SourceError | None:
    """Map botocore's non-API errors (credentials, network) to a :class:`SourceError`, else ``None``."""
    import botocore.exceptions as bx

    if isinstance(exc, bx.NoCredentialsError):
        return SourceError(
            "no AWS credentials found",
            tip="configure credentials (aws configure, AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "SSO) or diagnose a saved log offline with --log-file",
        )
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError)):
        return SourceError(f"cannot reach AWS: {exc}", tip="check the network, --region and --endpoint-url")
    if isinstance(exc, bx.ReadTimeoutError):
        return SourceError(f"AWS did not answer in time: {exc}")
    if isinstance(exc, (bx.TokenRetrievalError, bx.SSOTokenLoadError)):
        return SourceError(f"AWS SSO credentials expired or missing: {exc}", tip="run: aws sso login")
    if isinstance(exc, bx.ClientError):
        from analyzer.sources.base import translate_client_error

        operation = getattr(exc, "operation_name", "call")
        return translate_client_error(exc, operation, "the request")
    if isinstance(exc, bx.BotoCoreError):
        return SourceError(f"AWS client error: {exc}")
    return None
