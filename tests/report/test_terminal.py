"""The text report at a terminal's width: wrapping, rendered Markdown, evidence cuts, colour."""

from __future__ import annotations

import io
import re

import pytest
from markdown_it import MarkdownIt

from analyzer.cli import main
from analyzer.report import Format, RenderOptions, render_diagnosis, render_scan
from analyzer.report.present import terminal_options
from analyzer.report.terminal import ELLIPSIS, cut, markdown, wrap
from tests.helpers import REPO
from tests.report.conftest import make_scan
from tests.report.test_snapshots import SAMPLES, UNKNOWN, _sample

DOCKER_LOG = REPO / "fixtures" / "builds" / "01-docker-hub-rate-limit" / "log.txt"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _code_lines(diagnosis) -> set[str]:  # type: ignore[no-untyped-def]
    """The lines of the code blocks in the findings' Markdown: kept whole, never wrapped."""
    parser = MarkdownIt("commonmark")
    lines = set()
    for finding in diagnosis.findings:
        for source in (finding.summary, finding.remediation):
            for token in parser.parse(source):
                if token.type in ("fence", "code_block"):
                    lines |= {line.strip() for line in token.content.splitlines() if line.strip()}
    return lines


def _overlong(text: str, width: int, code: set[str]) -> list[str]:
    """Lines wider than ``width`` that are neither one unbreakable token (after indent) nor a code line."""
    bad = []
    for line in text.splitlines():
        if len(line) <= width or line.strip() in code:
            continue
        tokens = line.split()
        if len(tokens) == 1:
            continue
        bad.append(line)
    return bad


@pytest.mark.parametrize("width", [60, 80, 160])
@pytest.mark.parametrize("name", [*SAMPLES, UNKNOWN])
def test_no_line_exceeds_the_width_but_an_unbreakable_token(name: str, width: int, pack_rules) -> None:  # type: ignore[no-untyped-def]
    diagnosis = _sample(name, pack_rules)
    text = render_diagnosis(diagnosis, Format.TEXT, RenderOptions(width=width))
    assert _overlong(text, width, _code_lines(diagnosis)) == []
    assert "```" not in text  # the fix's Markdown is rendered, not shown raw
    for finding in diagnosis.findings[:1]:
        for bold in re.findall(r"\*\*([^*]+)\*\*", finding.remediation):
            assert f"**{bold}" not in text and bold.split()[0] in text
    scan = render_scan(make_scan(pack_rules), Format.TEXT, RenderOptions(width=width))
    assert _overlong(scan, width, set()) == []


def test_a_long_url_gets_a_line_of_its_own_and_is_never_cut() -> None:
    url = "https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env.parameter-store"
    lines = [line.plain for line in wrap(f"CodeBuild buildspec reference: {url}", 40, "    - ", "      ")]
    assert lines == ["    - CodeBuild buildspec reference:", f"      {url}"]


def test_wrapping_keeps_every_word_whole_and_in_order() -> None:
    text = "an arn:aws:iam::123456789012:role/service-role/codebuild-x and /usr/local/bin/tool words " * 5
    for width in (20, 33, 60):
        lines = [line.plain for line in wrap(text, width, "  ", "    ")]
        assert " ".join(" ".join(lines).split()) == " ".join(text.split())
        assert all(len(line) <= width or len(line.split()) == 1 for line in lines)


def test_a_code_span_that_fits_is_not_broken() -> None:
    lines = [line.plain for line in markdown("Run `aws ecr get-login-password` then retry the build now", 36)]
    assert "`aws ecr get-login-password`" in "\n".join(lines)


def test_markdown_renders_lists_bold_code_blocks_and_links() -> None:
    source = (
        "# Fix it\n\nDo **this** first:\n\n1. one\n2. two with [the guide](https://example.com/guide)\n\n"
        "```yaml\nphases:\n  build:\n    commands: [make]\n```\n"
    )
    lines = [line.plain for line in markdown(source, 80, "  ")]
    assert lines == [
        "  Fix it",
        "",
        "  Do this first:",
        "",
        "  1. one",
        "  2. two with the guide (https://example.com/guide)",
        "",
        "  phases:",
        "    build:",
        "      commands: [make]",
    ]


def test_a_long_evidence_line_is_cut_with_the_match_in_view() -> None:
    before, match, after = "x" * 150 + " error: ", "toomanyrequests", " and more text" * 10
    shown = cut(before, match, after, 60)
    assert shown[1] == match
    assert shown[0].startswith(ELLIPSIS) and shown[2].endswith(ELLIPSIS)
    assert len("".join(shown)) <= 60
    assert cut("short", "line", "", 60) == ("short", "line", "")
    head = cut("a context line " * 10, "", "", 30)
    assert head[0] == ("a context line " * 10)[:29] + ELLIPSIS


def test_a_long_match_at_the_start_of_its_line_gets_no_leading_ellipsis() -> None:
    match = "[ERROR] /src/main/java/com/acme/InvoiceService.java:[57,38] incompatible types"
    assert cut("", match, "", 40) == ("", match[:39] + ELLIPSIS, "")
    assert cut("> ", match, "", 40) == (ELLIPSIS, match[:38] + ELLIPSIS, "")


def _run(argv: list[str], stdout: io.StringIO | None = None) -> str:
    out = stdout or io.StringIO()
    main(argv, stdout=out, stderr=io.StringIO())
    return out.getvalue()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_follows_no_color_force_color_and_the_flag(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    argv = ["diagnose", "--log-file", str(DOCKER_LOG)]
    assert not ANSI.search(_run(argv))  # a pipe: plain
    assert ANSI.search(_run(argv, _Tty()))  # a terminal: colour
    assert not ANSI.search(_run([*argv, "--no-color"], _Tty()))
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = _run(argv)
    assert ANSI.search(coloured)
    assert "\x1b[1;31mERROR" in coloured  # the severity's colour
    assert ANSI.sub("", coloured).splitlines()[2].startswith("ROOT CAUSE: Docker Hub pull rate limit reached")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI.search(_run(argv))  # NO_COLOR wins


def test_terminal_options_width() -> None:
    assert terminal_options(io.StringIO(), environ={}).width == 100  # a pipe: stable
    assert terminal_options(io.StringIO(), environ={"COLUMNS": "72"}).width == 72
    assert terminal_options(_Tty(), "report.txt", environ={"FORCE_COLOR": "1"}).color is False  # a file: never
    assert terminal_options(_Tty(), environ={}, wide=True).wide is True


def test_a_build_that_succeeded_has_no_root_cause_in_any_human_format(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A finding in a build that succeeded did not fail it: it is 'found', never the 'root cause'."""
    log = tmp_path / "passed.log"
    log.write_text("\n".join([
        "[Container] 2024/01/01 10:00:00.123456 Entering phase BUILD",
        "[Container] 2024/01/01 10:00:00.123456 Running command git clone https://github.com/foo/bar.git deps",
        "error: unable to create file docs/aaaa/bbbb.md: Filename too long",
        "[Container] 2024/01/01 10:00:01.123456 Running command dotnet build",
        "Build succeeded.",
        "[Container] 2024/01/01 10:00:02.123456 Phase complete: BUILD State: SUCCEEDED",
        "[Container] 2024/01/01 10:00:02.123456 Phase context status code:  Message: ",
    ]) + "\n", encoding="utf-8")  # fmt: skip
    text = _run(["diagnose", "--log-file", str(log), "--format", "text"])
    assert "ROOT CAUSE" not in text
    assert "FOUND #1: A path is longer than Windows allows" in text
    md = _run(["diagnose", "--log-file", str(log), "--format", "markdown"])
    assert md.startswith("### codebuild-doctor: the build succeeded\n")
    assert "**Root cause**" not in md and "**Found (none of it failed the build)**" in md
    err = io.StringIO()
    assert main(["diagnose", "--log-file", str(log), "--output", str(tmp_path / "r.json")], stdout=io.StringIO(), stderr=err) == 0
    assert err.getvalue() == f"codebuild-doctor: the build succeeded; report written to {tmp_path / 'r.json'}\n"
    html = _run(["diagnose", "--log-file", str(log), "--format", "html"])
    assert "<h1>The build succeeded</h1>" in html
    assert "Root cause:" not in html and "<h3>Found: A path is longer" in html


def test_a_log_without_its_record_takes_its_status_from_the_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With no build record, the log's own phase lines give the status: the page's header said
    UNKNOWN for a log whose BUILD phase the log showed failing."""
    import json

    phases = [
        "[Container] 2024/01/01 10:00:00.123456 Entering phase INSTALL",
        "[Container] 2024/01/01 10:00:00.223456 Phase complete: INSTALL State: SUCCEEDED",
        "[Container] 2024/01/01 10:00:00.323456 Entering phase BUILD",
        "[Container] 2024/01/01 10:00:00.423456 Running command make",
        "make: *** [all] Error 2",
        "[Container] 2024/01/01 10:00:01.123456 Command did not exit successfully make exit status 2",
        "[Container] 2024/01/01 10:00:01.223456 Phase complete: BUILD State: FAILED",
    ]
    cases = {
        "failed.log": (phases, "FAILED", "BUILD"),
        "passed.log": ([*phases[:2], "[Container] 2024/01/01 10:00:00.323456 Phase complete: BUILD State: SUCCEEDED"], "SUCCEEDED", None),
        "plain.log": (["compiling", "error: something broke"], "UNKNOWN", None),
    }  # fmt: skip
    for name, (lines, status, failed_phase) in cases.items():
        log = tmp_path / name
        log.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report = json.loads(_run(["diagnose", "--log-file", str(log), "--format", "json"]))
        assert report["build"] is None
        assert report["log"]["failed_phase"] == failed_phase, name
        html = _run(["diagnose", "--log-file", str(log), "--format", "html"])
        assert f'<span class="status">{status}</span>' in html, name
