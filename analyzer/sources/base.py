"""The :class:`LogSource` interface and the translation of AWS errors into :mod:`analyzer.errors`."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import Any

import time
from collections.abc import Callable, Mapping

from analyzer.errors import AccessDenied, SourceError, Throttled, TransportError

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
    if code in SERVER_ERROR_CODES or (isinstance(status, int) and status >= 500):
        return TransportError(
            f"{action} failed for {what} on AWS's side after retries: {code or status}: {message}",
            tip="a passing AWS fault: try again",
        )
    return SourceError(f"{action} failed for {what}: {code or 'error'}: {message}")


SERVER_ERROR_CODES = frozenset(
    {"ServiceUnavailable", "ServiceUnavailableException", "InternalFailure", "InternalError",
     "InternalServerError", "InternalServerException", "ServiceException", "RequestTimeout"}  # fmt: skip
)
"""Error codes of a passing fault on AWS's side: retried like a garbled response, never taken as an answer."""


VERIFY_ATTEMPTS = 3
"""Calls made when a response cannot be trusted (botocore's own retries happen inside each)."""
MAX_PAGES = 10_000
"""Pages any one paginated call may take (100 per page: a million projects or builds)."""


def verified_call(
    call: Callable[[], Mapping[str, Any]],
    *,
    action: str,
    what: str,
    required: Mapping[str, type | tuple[type, ...]],
    attempts: int = VERIFY_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> Mapping[str, Any]:
    """``call()``'s response, checked to hold every ``required`` member with its type.

    botocore reads a JSON body that does not parse as ``{"message": <body>}`` and a
    connection reset, a read timeout or a body shorter than its ``Content-Length`` raise
    its own errors; each is retried (``attempts`` calls in all), then raised as a
    :class:`TransportError` naming the call and what was wrong. API errors (``ClientError``)
    are the caller's to translate and pass straight through.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    problem = ""
    for attempt in range(attempts):
        if attempt:
            sleep(min(0.2 * 2**attempt, 2.0))
        try:
            response = call()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if attempt + 1 < attempts and (
                error.get("Code") in SERVER_ERROR_CODES or (isinstance(status, int) and status >= 500)
            ):
                continue  # a passing fault on AWS's side (503 every other call): once more
            raise
        except (BotoCoreError, OSError, ValueError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            continue
        missing = [
            f"{name!r} ({'absent' if name not in response else type(response[name]).__name__})"
            for name, kind in required.items()
            if not isinstance(response.get(name), kind)
        ]
        if not missing:
            return response
        problem = "the response lacks " + ", ".join(missing) + " (a cut or garbled body)"
    raise TransportError(
        f"{action} for {what}: no trustworthy response after {attempts} attempts: {problem}",
        tip="a network or proxy problem: try again; --log-file diagnoses a saved log offline",
    )


class PageGuard:
    """Ends paging that would not end: a token seen before, or more than ``max_pages`` pages."""

    def __init__(self, action: str, what: str, max_pages: int = MAX_PAGES) -> None:
        self.action = action
        self.what = what
        self.max_pages = max_pages
        self.pages = 0
        self.max_empty = 20
        self._seen: set[str] = set()
        self._items: set[Any] = set()
        self._empty = 0

    def next(self, token: str | None, items: list[Any] | None = None) -> str | None:
        """Record one page (its ``items``) and its next ``token``; raises :class:`TransportError`
        on a loop (a token seen before, a page of items all listed already, empty pages with new
        tokens again and again) or past the cap."""
        self.pages += 1
        if items is not None and token:
            fresh = [i for i in items if i not in self._items]
            if items and not fresh:
                raise TransportError(
                    f"{self.action} for {self.what}: page {self.pages} lists only what earlier pages "
                    "did: stopped, as paging would never end"
                )
            self._items.update(fresh)
            self._empty = 0 if items else self._empty + 1
            if self._empty >= self.max_empty:
                raise TransportError(
                    f"{self.action} for {self.what}: {self._empty} empty pages in a row, each with a "
                    "new token: stopped, as paging would never end"
                )
        if token is not None and token in self._seen:
            raise TransportError(
                f"{self.action} for {self.what}: paging returned a token it had already given "
                f"(page {self.pages}): stopped, as it would never end"
            )
        if self.pages >= self.max_pages and token:
            raise TransportError(
                f"{self.action} for {self.what}: more than {self.max_pages} pages: stopped "
                "(the API kept returning a next token)"
            )
        if token is not None:
            self._seen.add(token)
        return token
