"""The :class:`LogSource` interface and the translation of AWS errors into :mod:`analyzer.errors`."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import Any

from analyzer.errors import AccessDenied, SourceError, Throttled

CHUNK_SIZE = 1 << 20
"""Bytes read per chunk from files and S3 bodies (1 MiB)."""

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "SlowDown",
        "RequestThrottled",
    }
)
"""Error codes botocore's standard retry mode treats as throttling."""

ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"})


class LogSource(abc.ABC):
    """A build log, read as a stream of byte chunks (any split; lines are found later)."""

    description: str
    """Where the log comes from, for reports: a path, ``stdin``, ``cloudwatch:<group>/<stream>``..."""

    @abc.abstractmethod
    def chunks(self) -> Iterator[bytes]:
        """Yield the log's bytes in order. Raises :class:`~analyzer.errors.SourceError` subclasses."""


def translate_client_error(exc: Any, action: str, what: str) -> SourceError:
    """Turn a botocore ``ClientError`` from ``action`` (an IAM action name) into our error.

    ``what`` names the object, e.g. ``"log stream /aws/codebuild/app/1234"``.
    """
    error = getattr(exc, "response", {}).get("Error", {})
    code = error.get("Code", "")
    message = error.get("Message", "") or str(exc)
    status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in ACCESS_DENIED_CODES or status == 403 or "not authorized" in message:
        return AccessDenied(
            f"access denied reading {what}: {message}",
            action=action,
            tip=f"allow {action} for the identity you run codebuild-doctor as (see the README's IAM policy)",
        )
    if code in THROTTLING_CODES:
        return Throttled(
            f"AWS kept throttling {action} for {what} after retries: {message}",
            tip="try again later, or lower the request rate (AWS_MAX_ATTEMPTS raises the retries)",
        )
    return SourceError(f"{action} failed for {what}: {code or 'error'}: {message}")
