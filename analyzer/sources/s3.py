"""Build logs that CodeBuild writes to S3 (``<bucket>/<prefix>/<build-uuid>.gz``)."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from typing import Any

from analyzer.errors import LogsNotFound, SourceError
from analyzer.sources.base import CHUNK_SIZE, LogSource, translate_client_error


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
        from botocore.exceptions import ClientError

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
        body = response["Body"]
        first = body.read(CHUNK_SIZE)
        if not first.startswith(b"\x1f\x8b"):
            yield first
            while chunk := body.read(CHUNK_SIZE):
                yield chunk
            return
        decompressor = zlib.decompressobj(wbits=31)
        data = first
        try:
            while data:
                yield decompressor.decompress(data)
                while decompressor.eof and decompressor.unused_data:
                    rest = decompressor.unused_data  # another gzip member follows
                    decompressor = zlib.decompressobj(wbits=31)
                    yield decompressor.decompress(rest)
                data = body.read(CHUNK_SIZE)
            yield decompressor.flush()
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise SourceError(f"{self.description}: not a valid gzip object: {exc}") from None
