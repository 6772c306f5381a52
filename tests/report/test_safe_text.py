"""Safe text in every channel (issue 13): a record's terminal escapes are shown escaped in text
output and files, and Markdown drops non-http(s) links, images and raw HTML from rules and
records, as the HTML report already does."""

from __future__ import annotations

import dataclasses

import pytest

from analyzer.engine import diagnose
from analyzer.models import Build
from analyzer.report import Format, render_diagnosis, render_scan
from analyzer.models import ScanReport
from tests.helpers import log_bytes, make_rule
from tests.report.conftest import record

HOSTILE_INITIATOR = "ci-bot\x1b]0;pwned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J\u202eevil"


def _diagnosis(rules, **changes):  # type: ignore[no-untyped-def]
    data = record("storefront-api", 1, day=0, minutes=3)
    data.update(changes)
    build = Build.from_api(data)
    return diagnose(rules, [log_bytes("toomanyrequests: You have reached your unauthenticated pull rate limit")], build)


@pytest.mark.parametrize("output_format", list(Format))
def test_record_escapes_never_reach_the_output_raw(pack_rules, output_format: Format) -> None:  # type: ignore[no-untyped-def]
    diagnosis = _diagnosis(pack_rules, initiator=HOSTILE_INITIATOR, sourceVersion="refs/heads/\x1b[31mred\x9b0m")
    shown = render_diagnosis(diagnosis, output_format)
    for text in (shown, render_scan(ScanReport(diagnoses=(diagnosis,)), output_format)):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\u202e" not in text
    if "ci-bot" in shown:  # where a format shows the initiator, it shows it escaped
        assert "ci-bot\\x1b]0;pwned\\x07" in shown or "ci-bot\\\\x1b]0;pwned\\\\x07" in shown


def test_markdown_drops_a_records_javascript_link(pack_rules) -> None:  # type: ignore[no-untyped-def]
    diagnosis = _diagnosis(pack_rules)
    assert diagnosis.build is not None
    hostile = dataclasses.replace(
        diagnosis.build, logs=dataclasses.replace(diagnosis.build.logs, deep_link="javascript:alert(document.cookie)")
    )
    text = render_diagnosis(dataclasses.replace(diagnosis, build=hostile), Format.MARKDOWN)
    assert "javascript:" not in text
    assert "[build in the CodeBuild console](https://" in text


def test_markdown_drops_raw_html_images_and_other_links_from_a_rule() -> None:
    rule = make_rule(
        """
        id: hostile
        match:
          any: ['boom']
        summary: 'Boom <img src=x onerror=alert(1)> ![track](https://evil.example/p.png)'
        remediation: |
          See [the docs](javascript:alert(1)) and [ours](https://docs.example.com/fix).
          <script>alert(1)</script>
          [ref]: data:text/html,evil
          ```
          <kept in code>
          ```
        references:
          - title: a data link
            url: https://docs.example.com/ok
        """
    )
    text = render_diagnosis(diagnose([rule], [log_bytes("boom")]), Format.MARKDOWN)
    assert "<img" not in text and "<script" not in text and "](https://evil.example" not in text
    assert "javascript:" not in text and "data:text/html" not in text
    assert "&lt;img src=x" in text and "See the docs and [ours](https://docs.example.com/fix)" in text, text
    assert "<kept in code>" in text
