"""The :class:`LogSource` interface and the translation of AWS errors into :mod:`analyzer.errors`."""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

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


DEFAULT_BUDGET = 600.0
"""Seconds one build may take to diagnose (``--time-budget``): past it, its log is read no further."""


class Deadline:
    """When one build's time budget runs out, on an injectable clock (tests pass a fake one, never sleep)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.at = clock() + seconds

    def passed(self) -> bool:
        """Whether the budget has run out."""
        return self.clock() >= self.at

    @property
    def ran_out(self) -> str:
        """That the budget ran out, as a report says it."""
        return f"the time budget of {self.seconds:g} s per build ran out"

    def note(self, read: int) -> str:
        """What a report says when the budget ran out after ``read`` bytes of the log."""
        return f"{self.ran_out}: only the first {_size(read)} of the log were read (--time-budget sets it)"


MAX_LINE_BYTES = CHUNK_SIZE
"""Bytes kept of one log line (1 MiB); the rest of a longer line is skipped, and the report says so."""
MAX_LOG_BYTES = 2 << 30
"""Bytes read of one log (2 GiB, after gzip is undone); the rest is not read, and the report says so."""


class BoundedLog:
    """A log's chunks with every line cut at ``max_line`` bytes and the whole at ``max_bytes``.

    Memory stays bounded whatever the log: a 23 MB gzip that expands to 5 GB with no newline
    is one 1 MiB line. Chunks with no over-long line pass through unchanged (two ``find``
    calls per chunk), so the engine's speed is kept. :meth:`notes` says what was cut.
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        max_line: int = MAX_LINE_BYTES,
        max_bytes: int = MAX_LOG_BYTES,
        deadline: Deadline | None = None,
    ) -> None:
        self._chunks = chunks
        self.max_line = max_line
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.cut_lines = 0
        """Lines longer than ``max_line`` (each kept in part)."""
        self.stopped = False
        """Whether reading stopped at ``max_bytes``."""
        self.timed_out = False
        """Whether reading stopped because ``deadline`` passed (checked as each chunk arrives)."""
        self.read = 0

    def __iter__(self) -> Iterator[bytes]:
        run = 0  # bytes of the current (unfinished) line passed on so far
        skipping = False  # past max_line in the current line
        limit = self.max_line
        for chunk in self._chunks:
            # Checked once a chunk has arrived: the wait for it and the matching of the one
            # before both count, and the rest of the log is then never fetched.
            if self.deadline is not None and self.deadline.passed():
                self.timed_out = True
                self._close()
                return
            if self.read + len(chunk) > self.max_bytes:
                chunk = chunk[: self.max_bytes - self.read]
                self.stopped = True
            self.read += len(chunk)
            for start in range(0, len(chunk), limit):
                piece = chunk[start : start + limit] if len(chunk) > limit else chunk
                first = piece.find(b"\n")
                if first < 0:
                    if skipping:
                        continue
                    if run + len(piece) <= limit:
                        run += len(piece)
                        yield piece
                    else:
                        yield piece[: limit - run]
                        run, skipping = limit, True
                        self.cut_lines += 1
                    continue
                last = piece.rfind(b"\n")
                if not skipping and run + first <= limit:
                    yield piece  # the common case: every line here is short enough
                else:
                    head = b"" if skipping else piece[: limit - run]
                    if not skipping:
                        self.cut_lines += 1
                    yield head + piece[first:]
                # Lines between the first and last newline are shorter than the piece (<= limit).
                run, skipping = len(piece) - last - 1, False
            if self.stopped:
                self._close()
                return

    def _close(self) -> None:
        """Stop the source (a generator's ``finally`` runs now: a cache stores nothing of a log read in part)."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()

    def notes(self) -> list[str]:
        """What a report should say about the cuts (nothing when there were none)."""
        notes = []
        if self.cut_lines:
            notes.append(
                f"{self.cut_lines} line{'s' if self.cut_lines != 1 else ''} longer than "
                f"{self.max_line // 1024} KiB: only the first {self.max_line // 1024} KiB of each was read"
            )
        if self.stopped:
            notes.append(f"the log is longer than {_size(self.max_bytes)}: only its first {_size(self.max_bytes)} were read")
        if self.timed_out and self.deadline is not None:
            notes.append(self.deadline.note(self.read))
        return notes


def _size(count: int) -> str:
    return f"{count >> 30} GiB" if count >= 1 << 30 else f"{count >> 20} MiB" if count >= 1 << 20 else f"{count} bytes"
