"""The Markdown (pull-request) and HTML reports without a browser: sizes, fences, escaping, figures."""

from __future__ import annotations

import dataclasses
import re

from analyzer.aggregate import summarise
from analyzer.engine import EngineOptions, diagnose
from analyzer.report.html import render_markdown_html
from analyzer.report.markdown import MAX_CHARS, MarkdownRenderer
from analyzer.report.view import diagnosis_view
from tests.helpers import REPO
from tests.report.conftest import XSS_LINES, render_html, render_md, render_scan_html

DOCKER_LOG = (REPO / "fixtures/builds/01-docker-hub-rate-limit/log.txt").read_bytes()


def test_markdown_report_root_cause_evidence_fix_and_others(pack_rules) -> None:  # type: ignore[no-untyped-def]
    text = render_md(diagnose(pack_rules, [DOCKER_LOG]))
    assert text.startswith("### codebuild-doctor: Docker Hub pull rate limit reached\n")
    assert "**Root cause** (error, rule `docker-hub-rate-limit` in BUILD, 2 times)" in text
    assert "\n34 > #2 ERROR: failed to fetch anonymous token" in text
    assert "**How to fix it**" in text and "- [Docker Hub usage and pull rate limits](https://docs.docker.com/docker-hub/usage/pulls/)" in text
    assert "- A buildspec command exited with a non-zero status — error, `command-execution-error` (line 48)" in text
    assert "Truncated" not in text


def test_markdown_report_is_cut_under_github_limit_and_says_so(pack_rules) -> None:  # type: ignore[no-untyped-def]
    result = diagnose(pack_rules, [DOCKER_LOG])
    root = result.findings[0]
    huge = dataclasses.replace(root, remediation="```sh\n" + "echo step\n" * 20_000 + "```\n", summary="s" * 50_000)
    text = render_md(dataclasses.replace(result, findings=(huge, *result.findings[1:])))
    assert len(text) <= MAX_CHARS
    assert text.rstrip().endswith("For everything, run `codebuild-doctor diagnose` with `--format html` or `--format text`.")
    assert "> **Shortened:** long parts were cut so the comment stays under GitHub's 65,536-character limit." in text
    # the clipped remediation's code block was closed before the notice
    fix = text.split("**How to fix it**", 1)[1]
    assert len(re.findall(r"^```", fix, flags=re.M)) % 2 == 0
    tiny = MarkdownRenderer(limit=2_000).render_diagnosis(diagnosis_view(result))
    assert len(tiny) <= 2_000 and "**Shortened:**" in tiny


def test_markdown_evidence_fence_is_longer_than_any_backticks_in_the_log(pack_rules) -> None:  # type: ignore[no-untyped-def]
    log = b"```\n````` injected\ntoomanyrequests: You have reached your pull rate limit ```` # [x](javascript:alert(1))\n"
    text = render_md(diagnose(pack_rules, [log]))
    assert "\n``````text\n1   ```\n2   ````` injected\n3 > toomanyrequests" in text
    assert "\n``````\n" in text


def test_markdown_unknown_failure_shows_the_error_tail(pack_rules) -> None:  # type: ignore[no-untyped-def]
    text = render_md(diagnose(pack_rules, [b"compiling\nerror: linker `cc` not found\nbye\n"]))
    # No rule names it: the failure locator's block is the root cause, with its line.
    assert text.startswith("### codebuild-doctor: Unrecognised failure\n")
    assert "error: linker `cc` not found" in text
    assert "Role: cause" in text
    # With nothing to locate, the error tail is the report.
    text = render_md(diagnose(pack_rules, [b"compiling\nerror: linker `cc` not found\nbye\n"], options=EngineOptions(locate=False)))
    assert text.startswith("### codebuild-doctor: no known failure matched\n")
    assert "**Last error-looking lines of the log**\n\n```text\n2 error: linker `cc` not found\n```" in text


def test_rule_markdown_cannot_carry_html_scripts_or_odd_links() -> None:
    html = str(render_markdown_html(
        "<script>alert(1)</script> [a](javascript:alert(1)) [b](https://docs.aws.amazon.com/x) "
        "![i](https://tracker.example.com/p.png) <img src=x onerror=alert(1)>"))  # fmt: skip
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="https://docs.aws.amazon.com/x">b</a>' in html
    assert 'href="javascript' not in html and "tracker.example.com/p.png" in html  # as text, not fetched


def test_html_report_escapes_log_text_and_fetches_nothing(pack_rules) -> None:  # type: ignore[no-untyped-def]
    log = ("\n".join(XSS_LINES) + "\ntoomanyrequests: You have reached your pull rate limit <b>bold</b>\n").encode()
    html = render_html(diagnose(pack_rules, [log]))
    assert "<script>window.__pwned" not in html and "<img src=x" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "<mark>toomanyrequests: You have reached your pull rate limit</mark> &lt;b&gt;bold&lt;/b&gt;" in html
    import html as html_lib

    csp = html_lib.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    assert csp.startswith("default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-")
    # no external resource: the only http(s) URLs are links (href) and text
    assert not re.search(r'<(?:script|link|img|iframe)[^>]+(?:src|href)=', html)
    assert html.count("<script>") == 1


def test_scan_html_figures_causes_projects_and_sections(scan_report) -> None:  # type: ignore[no-untyped-def]
    html = render_scan_html(scan_report)
    summary = summarise(scan_report)
    assert (summary.builds, summary.diagnosed, summary.unknown, summary.skipped) == (6, 4, 2, 1)
    assert '<div class="figure" id="fig-scanned"><b>7</b><span>builds scanned</span>' in html
    assert '<div class="figure" id="fig-failed"><b>6</b><span>failed</span>' in html
    assert '<div class="figure" id="fig-share"><b>67%</b><span>diagnosed (4 of 6)</span>' in html
    assert '<div class="figure" id="fig-minutes"><b>18.5</b><span>build minutes lost</span>' in html
    assert 'Account <b class="account">123456789012</b> · Region <b class="region">eu-west-1</b>' in html
    assert "2026-11-24 09:00 UTC to 2026-11-27 09:00 UTC</span> (3 days)" in html  # the window, not the 4 dates it touches
    causes = re.findall(r'<tr data-cause="([^"]+)">.*?<td class="num builds">(\d+)</td><td class="num minutes">([\d.]+)</td>', html)
    assert causes == [("docker-hub-rate-limit", "3", "12.0"), ("unknown", "2", "5.0"), ("ssm-parameter-access-denied", "1", "1.5")]
    assert re.findall(r'<tr data-project="([^"]+)"><td>[^<]+</td><td class="num">(\d+)</td>', html) == [
        ("storefront-api", "2"), ("docs-site", "2"), ("image-builder", "1"), ("payments-worker", "1")]  # fmt: skip
    unknown = html.split('<h2 id="unknown">', 1)[1]
    assert unknown.count('<details class="build') == 2
    assert '<td class="ln">2</td><td class="code">&lt;script&gt;window.__pwned=1&lt;/script&gt; fatal:' in unknown
    assert "legacy-app:00000009-1111-2222-3333-444455556666" in html.split('<h2 id="skipped">', 1)[1]


def test_trend_chart_is_inline_svg_with_a_bar_per_day_and_cause(scan_report) -> None:  # type: ignore[no-untyped-def]
    html = render_scan_html(scan_report)
    bars = re.findall(r'<rect [^>]*data-day="([^"]+)" data-cause="([^"]+)" data-count="(\d+)"', html)
    assert bars == [
        ("2026-11-24", "docker-hub-rate-limit", "1"),
        ("2026-11-25", "docker-hub-rate-limit", "1"), ("2026-11-25", "ssm-parameter-access-denied", "1"),
        ("2026-11-26", "docker-hub-rate-limit", "1"), ("2026-11-26", "unknown", "2"),
    ]  # fmt: skip
    assert html.count(">11-27</text>") == 1  # the window's last day has an axis label and no bar


def test_a_log_line_cannot_inject_markdown_through_a_capture(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The daemon rule puts the captured socket in a code span; a backtick in the log must not
    close it and let an image or raw HTML into a pull-request comment."""
    import io

    from analyzer.cli import main

    log = tmp_path / "evil.log"
    log.write_text(
        "Cannot connect to the Docker daemon at unix://x`<img/src=https://evil.example/p.png>"
        "`![t](https://evil.example/t.png)`. Is the docker daemon running?\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    main(["diagnose", "--log-file", str(log), "--format", "markdown"], stdout=out)
    comment = out.getvalue()
    prose = comment.split("```")[0::2]  # outside the evidence code blocks
    assert not any("<img" in part or "](https://evil.example" in part for part in prose)
    assert "ˋ‹img/src=https://evil.example/p.png>ˋ" in comment


def test_a_version_constraint_keeps_its_greater_than_sign(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A captured ``>= 3.5`` is shown as ``>= 3.5`` in every format: only ``<`` (which can open
    raw HTML or an autolink) and the backtick need a look-alike, ``>`` alone opens nothing.
    It was shown as ``›= 3.5`` (a look-alike a reader cannot paste into a requirement)."""
    import io
    import json

    from analyzer.cli import main

    log = tmp_path / "requires-python.log"
    log.write_text("ERROR: Package 'tornado' requires a different Python: 2.7.5 not in '>= 3.5'\n", encoding="utf-8")
    reports = {}
    for fmt in ("text", "markdown", "json", "html"):
        out = io.StringIO()
        main(["diagnose", "--log-file", str(log), "--format", fmt, "--no-color"], stdout=out)
        reports[fmt] = out.getvalue()
    assert "requires Python `>= 3.5`, but pip runs on Python 2.7.5." in " ".join(reports["text"].split())
    assert "requires Python `>= 3.5`, but pip runs on Python 2.7.5." in reports["markdown"]
    summary = json.loads(reports["json"])["findings"][0]["summary"]
    assert summary == "`tornado` requires Python `>= 3.5`, but pip runs on Python 2.7.5."
    assert "<code>&gt;= 3.5</code>" in reports["html"]
    assert not any("›" in report for report in reports.values())


def test_only_a_less_than_sign_that_can_open_a_tag_gets_a_look_alike() -> None:
    from analyzer.engine import inert

    assert inert(">=3.6, <4, <= 2.0, ^18 || >=20") == ">=3.6, <4, <= 2.0, ^18 || >=20"
    assert inert("<img src=x> </b> <!-- <?php <https://x.io> a<") == "‹img src=x> ‹/b> ‹!-- ‹?php ‹https://x.io> a‹"
    assert inert("`x`![t](u)") == "ˋxˋ![t] (u)"
