"""Logs from a local file (plain or gzip) or from standard input."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from analyzer.errors import SourceError
from analyzer.sources.base import CHUNK_SIZE, LogSource
from analyzer.sources.gunzip import decompressed_chunks


class FileSource(LogSource):
    """A log file, or ``-`` for standard input; gzip is detected from its magic bytes, not its name."""

    def __init__(self, path: str | Path, stdin: BinaryIO | None = None) -> None:
        self.path = str(path)
        self._stdin = stdin
        self.description = "stdin" if self.path == "-" else self.path

    def chunks(self) -> Iterator[bytes]:
        """Yield the (decompressed) bytes in chunks of about 1 MiB."""
        if self.path == "-":
            stream = self._stdin if self._stdin is not None else sys.stdin.buffer
            yield from _read(stream, self.description)
            return
        if not self.path.strip():
            raise SourceError("log file name is empty: pass a path, or '-' for standard input")
        path = Path(self.path)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise SourceError(f"log file not found: {self.path}") from None
        except IsADirectoryError:
            raise SourceError(f"log file is a directory: {self.path}") from None
        except OSError as exc:
            raise SourceError(f"cannot read log file {self.path}: {exc.strerror}") from None
        with handle:
            yield from _read(handle, self.description)


def _read(stream: BinaryIO, name: str) -> Iterator[bytes]:
    try:
        yield from decompressed_chunks(lambda: stream.read(CHUNK_SIZE), name)
    except OSError as exc:
        raise SourceError(f"cannot read log file {name}: {exc.strerror or exc}") from None
