"""Line splitting, normalisation and phase tagging."""

from __future__ import annotations

import pytest

from analyzer.engine.lines import LineKind, iter_lines, normalise, split_lines
from tests.helpers import agent, log_bytes


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([b""], []),
        ([], []),
        ([b"a\nb\n"], [b"a", b"b"]),
        ([b"a\nb"], [b"a", b"b"]),  # a last line without \n is still a line
        ([b"a", b"b\nc", b"", b"d\n"], [b"ab", b"cd"]),  # lines across chunk boundaries
        ([b"\n\n"], [b"", b""]),
        ([b"a\r\nb\r\n"], [b"a\r", b"b\r"]),  # split by \n only; \r removed later
        ([b"progress 10%\rprogress 100%\n"], [b"progress 10%\rprogress 100%"]),  # a lone \r is no break
    ],
)
def test_split_lines_counts_by_newline_only(chunks: list[bytes], expected: list[bytes]) -> None:
    assert list(split_lines(chunks)) == expected


def test_split_lines_one_byte_chunks() -> None:
    data = b"first\nsecond line\n\nlast"
    assert list(split_lines([data[i : i + 1] for i in range(len(data))])) == [b"first", b"second line", b"", b"last"]


def test_normalise_strips_ansi_cr_and_replaces_invalid_utf8() -> None:
    assert normalise(b"\x1b[1;31mERROR\x1b[0m: boom\r") == "ERROR: boom"
    assert normalise(b"caf\xc3\xa9 \xff\xfe ok") == "café \ufffd\ufffd ok"
    assert normalise(b"\x1b]0;title\x07text") == "text"
    assert normalise(b"nul\x00byte") == "nulbyte"


def test_phases_follow_agent_lines_in_both_formats() -> None:
    data = log_bytes(
        agent("Running on CodeBuild On-demand"),
        agent("Phase is DOWNLOAD_SOURCE"),
        agent("Phase complete: DOWNLOAD_SOURCE State: SUCCEEDED"),
        "[Container] 2019/05/01 10:00:00 Entering phase INSTALL",  # older, second-resolution form
        "npm ci",
        "[Container] 2019/05/01 10:00:05 Phase complete: INSTALL Success: true",
        agent("Entering phase BUILD"),
        agent("Running command make test"),
        "make: *** [test] Error 2",
    )
    lines = list(iter_lines([data]))
    assert [(l.number, l.phase, l.kind) for l in lines] == [
        (1, None, LineKind.AGENT),
        (2, "DOWNLOAD_SOURCE", LineKind.AGENT),
        (3, "DOWNLOAD_SOURCE", LineKind.AGENT),
        (4, "INSTALL", LineKind.AGENT),
        (5, "INSTALL", LineKind.OUTPUT),
        (6, "INSTALL", LineKind.AGENT),
        (7, "BUILD", LineKind.AGENT),
        (8, "BUILD", LineKind.ECHO),
        (9, "BUILD", LineKind.OUTPUT),
    ]
    assert lines[1].text[lines[1].body_start :] == "Phase is DOWNLOAD_SOURCE"
    assert lines[3].text[lines[3].body_start :] == "Entering phase INSTALL"


def test_text_that_only_looks_like_an_agent_line_is_output() -> None:
    (line,) = iter_lines([b"[Container] not a timestamp Entering phase BUILD\n"])
    assert line.kind == LineKind.OUTPUT and line.phase is None and line.body_start == 0


def test_a_phase_without_an_entering_line_does_not_take_the_phase_before() -> None:
    """The lines after a phase's context line belong to the next phase, named or not: a phase
    with no ``Entering phase`` line (a copy that lost it) leaves its lines without a phase,
    instead of tagging them, its failure and its context with the phase that succeeded before."""
    data = log_bytes(
        agent("Entering phase INSTALL"),  # 1
        agent("Phase complete: INSTALL State: SUCCEEDED"),  # 2
        agent("Phase context status code:  Message: "),  # 3
        agent("Running command npm run build"),  # 4
        "src/app.ts(12,5): error TS2322",  # 5
        agent("Command did not exit successfully npm run build exit status 2"),  # 6
        agent("Phase complete: BUILD State: FAILED"),  # 7
        agent("Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command"),  # 8
        agent("Entering phase POST_BUILD"),  # 9
    )
    phases = [line.phase for line in iter_lines([data])]
    assert phases == ["INSTALL", "INSTALL", "INSTALL", None, None, None, "BUILD", "BUILD", "POST_BUILD"]
