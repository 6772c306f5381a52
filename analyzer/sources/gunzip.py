"""One reader for every log that may be gzip: files, standard input and S3 objects.

Gzip is told by its magic bytes, not by a name; the stream is decompressed in bounded
pieces (a gzip of zeros expands 1000 times) and must reach its end, so a file or an object
cut short is an error, never a shorter log.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

from analyzer.errors import SourceError
from analyzer.sources.base import CHUNK_SIZE

GZIP_MAGIC = b"\x1f\x8b"


def decompressed_chunks(
    more: Callable[[], bytes], name: str, error: type[SourceError] = SourceError, what: str = "file"
) -> Iterator[bytes]:
    """The log's bytes from ``more()`` (raw chunks; ``b""`` at the end), gzip undone if it is gzip.

    A gzip stream that is cut short or damaged raises ``error`` naming ``name`` (a
    :class:`~analyzer.errors.TransportError` for a download, which may be tried again).
    """
    first = more()
    if not first.startswith(GZIP_MAGIC):
        if first:
            yield first
            while chunk := more():
                yield chunk
        return
    decompressor = zlib.decompressobj(wbits=31)
    data = first
    try:
        while data:
            while data:
                piece = decompressor.decompress(data, CHUNK_SIZE)
                if piece:
                    yield piece
                if decompressor.eof:
                    # Another gzip member may follow.
                    data = decompressor.unused_data
                    decompressor = zlib.decompressobj(wbits=31) if data else decompressor
                    continue
                data = decompressor.unconsumed_tail
            data = more()
        if not decompressor.eof:
            raise error(
                f"{name}: the gzip stream is cut short (it ends before its last block): "
                f"the {what} is truncated, or the read was",
                tip="download it again; a partial log would give a wrong diagnosis",
            )
    except zlib.error as exc:
        raise error(f"{name}: not a valid gzip {what}: {exc}") from None
