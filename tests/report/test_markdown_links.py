"""Markdown keeps only http(s) links and no raw HTML or images, from rules and records alike
(issue 13), checked the way GitHub renders a comment: with cmark-gfm, GitHub's own parser
(``cmarkgfm``), raw HTML let through, then every tag and link of the HTML looked at.

A table of hostile texts in every place a rule or a record reaches the Markdown report, then
the same property over generated texts (hypothesis).
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.engine import diagnose
from analyzer.models import Build, ScanReport, SkippedBuild
from analyzer.report import Format, render_diagnosis, render_scan
from analyzer.report.view import markdown_link, markdown_literal, safe_markdown
from tests.helpers import log_bytes, make_rule
from tests.report.conftest import record

cmarkgfm = pytest.importorskip("cmarkgfm")

_MARKDOWN_TAGS = {"p", "a", "code", "pre", "em", "strong", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                  "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "del", "input"}  # fmt: skip


def unsafe(markdown: str) -> list[str]:
    """What GitHub's parser makes of ``markdown`` that it must not: tags Markdown does not make
    (raw HTML: an image, a script...) and links other than http(s) (an autolinked e-mail aside)."""
    from cmarkgfm.cmark import Options

    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    found = []
    for tag in re.finditer(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^>]*)>", html):
        name = tag.group(2).lower()
        if name not in _MARKDOWN_TAGS:
            found.append(tag.group(0))
        href = re.search(r'href="([^"]*)"', tag.group(3)) if name == "a" and not tag.group(1) else None
        if href and not re.match(r"(?:https?://|mailto:)", href.group(1), re.I):
            found.append(tag.group(0))
    return found


HOSTILE = [
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1) 'title')",
    "[click]( <javascript:alert(1)> )",
    "[a [nested] text](javascript:alert(1))",
    "[a\\]b](javascript:alert(1))",
    "[two\nlines](javascript:alert(1))",
    "[ref] and [x][ref]\n\n[ref]: javascript:alert(1)",
    "> [ref]: javascript:alert(1)\n\n[ref]",
    "![pixel](https://tracker.example/p.png)",
    "![pixel][img]\n\n[img]: https://tracker.example/p.png",
    "<img src=https://tracker.example/p.png>",
    "<script>alert(1)</script>",
    "<javascript:alert(1)>",
    "<details open><summary>x</summary></details>",
    "`` [x](javascript:alert(1)) `",
    "see `foo\n` [x](javascript:alert(1)) `",
    "www.example.com`<img src=x>`",
    "https://example.com/a\\<javascript:alert(1)>",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](vbscript:msgbox(1))",
    "&#91;x&#93;(javascript:alert(1))",
]


def _rule_diagnosis(**fields: str):  # type: ignore[no-untyped-def]
    values = {"title": "A title", "summary": "Boom", "remediation": "Fix it.", "ref_title": "Docs",
              "ref_url": "https://docs.example.com/x", **fields}  # fmt: skip
    rule = make_rule(
        "id: hostile\nmatch:\n  any: ['boom']\n"
        + "".join(f"{key}: {_yaml(values[key])}\n" for key in ("title", "summary", "remediation"))
        + f"references:\n  - title: {_yaml(values['ref_title'])}\n    url: {_yaml(values['ref_url'])}\n"
    )
    return diagnose([rule], [log_bytes("boom")])


def _yaml(text: str) -> str:
    import json

    return json.dumps(text)  # JSON is YAML


PLACES = ["title", "summary", "remediation", "ref_title", "ref_url"]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_hostile_rule_text_becomes_a_link_or_html(text: str) -> None:
    for place in PLACES:
        # A reference URL has no white space (the rule schema says so): the rest of the text goes in.
        value = "https://docs.example.com/x" + re.sub(r"\s", "", text) if place == "ref_url" else text
        diagnosis = _rule_diagnosis(**{place: value})
        for markdown in (render_diagnosis(diagnosis, Format.MARKDOWN), render_scan(ScanReport(diagnoses=(diagnosis,)), Format.MARKDOWN)):
            assert unsafe(markdown) == [], (place, markdown)


@pytest.mark.parametrize("text", HOSTILE)
def test_no_hostile_record_value_becomes_a_link_or_html(pack_rules, text: str) -> None:  # type: ignore[no-untyped-def]
    data = record("storefront-api", 1, day=0, minutes=3)
    data.update(initiator=text, sourceVersion=text)
    build = Build.from_api(data)
    build = dataclasses.replace(build, logs=dataclasses.replace(build.logs, deep_link=f"https://console.aws.amazon.com/x{text}"))
    diagnosis = diagnose(pack_rules, [log_bytes("toomanyrequests: You have reached your unauthenticated pull rate limit")],
                         build, notes=[f"no log: {text}"])  # fmt: skip
    skipped = SkippedBuild(build.build_id, f"log not read: {text}", build)
    markdown = render_diagnosis(diagnosis, Format.MARKDOWN)
    assert unsafe(markdown) == [], markdown
    assert "[log in CloudWatch](https://console.aws.amazon.com/x" in markdown  # an http(s) deep link stays a link
    scan = render_scan(ScanReport(diagnoses=(diagnosis,), skipped=(skipped,), projects=(text,)), Format.MARKDOWN)
    assert unsafe(scan) == [], scan


def test_what_is_safe_is_kept_as_it_was() -> None:
    text = "Run `npm ci` (see [the docs](https://docs.npmjs.com/cli/ci)); a < b and `<none>` stay.\n\n```\n<kept>\n```\n"
    assert safe_markdown(text) == text
    assert markdown_literal("[x](javascript:y) <b>") == "&#91;x&#93;(javascript:y) &lt;b>"
    assert markdown_link("a [b]", "https://x.example/p q)") == "[a &#91;b&#93;](https://x.example/p%20q%29)"
    assert markdown_link("docs", "javascript:alert(1)") == "docs"


_PIECES = st.sampled_from(
    ["[", "]", "(", ")", "<", ">", "!", "`", "``", "\\", "\n", "\n\n", " ", "> ", "- ", ":", "*", "&#91;", "&lt;",
     "javascript:alert(1)", "https://x.io/a", "www.e.com", "<img src=x>", "<javascript:x>", "[r]: javascript:x",
     "[r]", "[a](https://x.io/b)", "![i](https://t.io/p)", '"t"', "```", "~~~", "    "]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=16).map("".join))
def test_generated_markdown_never_makes_a_link_or_html(text: str) -> None:
    assert unsafe(safe_markdown(text)) == []
    assert unsafe(markdown_literal(text)) == []
    assert unsafe(markdown_link(text, "https://x.io/" + text)) == []
