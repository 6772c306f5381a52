"""Build logs that CodeBuild writes to S3 (``<bucket>/<prefix>/<build-uuid>.gz``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from analyzer.errors import LogsNotFound, SourceError, TransportError
from analyzer.sources.base import CHUNK_SIZE, LogSource, translate_client_error
from analyzer.sources.gunzip import decompressed_chunks


def parse_s3_arn(arn: str) -> tuple[str, str]:
    """Split ``arn:aws:s3:::bucket/key`` (``BatchGetBuilds`` ``logs.s3LogsArn``) into bucket and key.

    Raises :class:`SourceError` when it is not an S3 object ARN.
    """
    prefix = arn.split(":::", 1)
    if len(prefix) != 2 or not prefix[0].startswith("arn:aws") or "/" not in prefix[1]:
        raise SourceError(f"not an S3 object ARN: {arn!r}")
    bucket, key = prefix[1].split("/", 1)
    return bucket, key


class S3Source(LogSource):
    """A gzip-compressed build log in S3, read with ``GetObject`` and decompressed as it streams."""

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key
        self.description = f"s3://{bucket}/{key}"

    def chunks(self) -> Iterator[bytes]:
        """Yield decompressed chunks; a plain (not gzip) object is passed through."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "NoSuchBucket", "404"):
                raise LogsNotFound(
                    f"S3 log {self.description} not found ({code})",
                    tip="the object may have been deleted by a lifecycle rule",
                ) from None
            raise translate_client_error(exc, "s3:GetObject", self.description) from None
        except BotoCoreError as exc:
            raise TransportError(f"s3:GetObject for {self.description} failed: {type(exc).__name__}: {exc}") from None
        body = response["Body"]
        expected = response.get("ContentLength")
        read = 0

        def more() -> bytes:
            nonlocal read
            try:
                data = body.read(CHUNK_SIZE)
            except (BotoCoreError, OSError, ValueError) as exc:
                # A reset or a read timeout in the middle of the body (botocore's
                # ResponseStreamingError, ReadTimeoutError, IncompleteReadError...).
                raise TransportError(
                    f"{self.description}: the object's body could not be read to its end "
                    f"({type(exc).__name__}: {exc})",
                    tip="a network problem: try again",
                ) from None
            read += len(data)
            if not data and isinstance(expected, int) and read < expected:
                raise TransportError(f"{self.description}: the body ended after {read} of {expected} bytes")
            return data

        yield from decompressed_chunks(more, self.description, TransportError, what="object")
