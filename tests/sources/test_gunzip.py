"""One gzip reader for files, standard input and S3 (analyzer.sources.gunzip): told by its magic
bytes, in bounded pieces, and read to its verified end."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from analyzer.errors import SourceError, TransportError
from analyzer.sources.base import CHUNK_SIZE
from analyzer.sources.file import FileSource
from analyzer.sources.gunzip import decompressed_chunks

BODY = b"".join(b"line %d of the build log\n" % i for i in range(50_000))


def _chunks(data: bytes, size: int = 4096):  # type: ignore[no-untyped-def]
    stream = io.BytesIO(data)
    return lambda: stream.read(size)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (BODY, BODY),
        (gzip.compress(BODY), BODY),
        (gzip.compress(BODY[:1000]) + gzip.compress(BODY[1000:]), BODY),  # two members, as `cat a.gz b.gz`
        (gzip.compress(b"\0" * (5 * CHUNK_SIZE)), b"\0" * (5 * CHUNK_SIZE)),
        (b"", b""),
    ],
    ids=["plain", "gzip", "two-members", "expands-1000x", "empty"],
)
def test_read_whole_in_bounded_pieces(data: bytes, expected: bytes) -> None:
    pieces = list(decompressed_chunks(_chunks(data), "x"))
    assert b"".join(pieces) == expected
    assert all(0 < len(p) <= CHUNK_SIZE for p in pieces)


def test_a_cut_stream_is_an_error_of_the_callers_kind(tmp_path: Path) -> None:
    cut = gzip.compress(BODY)[:-100]
    with pytest.raises(TransportError, match=r"^s3://b/k: the gzip stream is cut short .* the object is truncated"):
        list(decompressed_chunks(_chunks(cut), "s3://b/k", TransportError, what="object"))
    path = tmp_path / "build.log.gz"
    path.write_bytes(cut)
    with pytest.raises(SourceError) as caught:
        list(FileSource(path).chunks())
    assert not isinstance(caught.value, TransportError)
    assert caught.value.message == (
        f"{path}: the gzip stream is cut short (it ends before its last block): the file is truncated, or the read was"
    )
    path.write_bytes(gzip.compress(b"ok\n") + b"\x1f\x8bnot gzip at all")
    with pytest.raises(SourceError, match=r"not a valid gzip file: Error -3"):
        list(FileSource(path).chunks())


def test_stdin_is_read_the_same_way() -> None:
    assert b"".join(FileSource("-", stdin=io.BytesIO(gzip.compress(BODY))).chunks()) == BODY
