"""Line-length and log-size caps (issue 13: a 23 MB gzip expanding to 5 GB with no newline
peaked at 10.5 GB RSS). Cut lines and a stopped read are said in the report's notes."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.sources.base import BoundedLog


def _through(chunks: list[bytes], max_line: int = 8, max_bytes: int = 1 << 30) -> tuple[bytes, BoundedLog]:
    bounded = BoundedLog(iter(chunks), max_line=max_line, max_bytes=max_bytes)
    return b"".join(bounded), bounded


@pytest.mark.parametrize(
    ("chunks", "expected", "cut"),
    [
        ([b"short\nlines\n"], b"short\nlines\n", 0),
        ([b"0123456789abc\nok\n"], b"01234567\nok\n", 1),
        ([b"0123", b"4567", b"89ab\nok\n"], b"01234567\nok\n", 1),
        ([b"x" * 30 + b"\n" + b"y" * 30], b"x" * 8 + b"\n" + b"y" * 8, 2),
        ([b"ab\n", b"x" * 100, b"x" * 100, b"\nend\n"], b"ab\n" + b"x" * 8 + b"\nend\n", 1),
        ([b"12345678\n"], b"12345678\n", 0),
        ([b"1234", b"5678", b"\n"], b"12345678\n", 0),
    ],
)
def test_lines_are_cut_at_the_cap(chunks: list[bytes], expected: bytes, cut: int) -> None:
    out, bounded = _through(chunks)
    assert out == expected
    assert bounded.cut_lines == cut


def test_reading_stops_at_the_size_cap() -> None:
    out, bounded = _through([b"a\n" * 10, b"b\n" * 10], max_line=100, max_bytes=25)
    assert out == b"a\n" * 10 + b"b\n" * 2 + b"b"
    assert bounded.stopped
    assert bounded.notes() == ["the log is longer than 25 bytes: only its first 25 bytes were read"]


def test_a_huge_line_in_a_gzip_log_is_cut_and_the_report_says_so(tmp_path: Path) -> None:
    log = tmp_path / "build.log.gz"
    body = b"x" * (3 << 20) + b"\ntoomanyrequests: You have reached your unauthenticated pull rate limit\n"
    log.write_bytes(gzip.compress(body))
    out, err = io.StringIO(), io.StringIO()
    assert main(["diagnose", "--log-file", str(log), "--format", "json"], stdout=out, stderr=err) == 1
    import json

    report = json.loads(out.getvalue())
    assert report["root_cause"] == "docker-hub-rate-limit"
    assert "1 line longer than 1024 KiB: only the first 1024 KiB of each was read" in report["notes"]
