"""Building boto3 clients the way the AWS CLI does: profile, Region, endpoint, standard chain.

Only the CLI calls this module; sources receive the clients it builds. boto3
is imported here lazily, so ``diagnose --log-file`` never pays for it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from analyzer._version import __version__
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
        if options.endpoint_url is not None:
            _check_endpoint(options.endpoint_url)
        # The AWS CLI reads AWS_REGION before AWS_DEFAULT_REGION; some botocore releases read
        # only the latter, so it is passed on explicitly.
        region = options.region or os.environ.get("AWS_REGION") or None
        try:
            self.session = boto3.session.Session(profile_name=options.profile, region_name=region)
        except botocore.exceptions.ProfileNotFound:
            raise ConfigError(f"AWS profile not found: {options.profile!r} (see ~/.aws/config)") from None
        if not self.session.region_name:
            raise ConfigError(
                "no AWS Region: pass --region, set AWS_REGION, or set a region in your AWS profile"
            )
        if not REGION.match(self.session.region_name):
            raise ConfigError(f"invalid AWS Region {self.session.region_name!r}: expected a name such as eu-west-1")
        self.max_attempts = options.max_attempts or _max_attempts()
        self._clients: dict[str, Any] = {}

    def assume(self, role_arn: str, external_id: str | None = None) -> AwsClients:
        """Clients acting as ``role_arn`` (``sts:AssumeRole`` with this session's credentials), same Region.

        Raises :class:`ConfigError` for a value that is not a role ARN; AWS errors as they come.
        """
        import boto3

        if not ROLE_ARN.match(role_arn):
            raise ConfigError(f"invalid role ARN {role_arn!r}: expected arn:aws:iam::<account>:role/<name>")
        params = {"RoleArn": role_arn, "RoleSessionName": "codebuild-doctor"}
        if external_id:
            params["ExternalId"] = external_id
        credentials = self.client("sts").assume_role(**params)["Credentials"]
        clone = object.__new__(AwsClients)
        clone.options = self.options
        clone.session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self.region,
        )
        clone.max_attempts = self.max_attempts
        clone._clients = {}
        return clone

    @property
    def region(self) -> str:
        """The Region every client uses."""
        return str(self.session.region_name)

    def client(self, service: str) -> Any:
        """The client for ``service`` (``codebuild``, ``logs``, ``s3``), built once."""
        if service not in self._clients:
            from botocore.config import Config

            config = Config(
                retries={"mode": "adaptive", "total_max_attempts": self.max_attempts},
                user_agent_extra=f"codebuild-doctor/{__version__}",
                connect_timeout=10,
                read_timeout=60,
            )
            self._clients[service] = self.session.client(
                service, endpoint_url=self.options.endpoint_url, config=config
            )
        return self._clients[service]


ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
"""An IAM role ARN: ``arn:aws:iam::123456789012:role/codebuild-doctor-read-only``."""
REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
"""An AWS Region name: ``us-east-1``, ``eu-central-2``, ``us-gov-west-1``."""


def _check_endpoint(url: str) -> None:
    """Raise :class:`ConfigError` unless ``url`` is an http(s) URL with a host."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"invalid --endpoint-url {url!r}: expected http(s)://host[:port]")


def _max_attempts() -> int:
    """``AWS_MAX_ATTEMPTS`` (total attempts per call, as in the AWS CLI), default 5."""
    text = os.environ.get("AWS_MAX_ATTEMPTS", "").strip()
    if not text:
        return 5
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"invalid AWS_MAX_ATTEMPTS {text!r}: expected a whole number of 1 or more")
    return int(text)


def region_of_arn(arn: str) -> str | None:
    """The Region of an ARN (``arn:aws:codebuild:eu-west-1:...``), or ``None``."""
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 5 and parts[3] else None


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
