"""The HTML reports in a real browser: Debian's Chromium, headless, driven by Playwright.

Playwright's own browser download is not used: ``/usr/bin/chromium`` comes from
``apt-get install chromium`` (``.ci/run`` installs it). Without it these tests skip,
except under CI (``CI=true``), where a missing browser is a failure.
Screenshots go to ``test-output/`` (gitignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.engine import diagnose
from analyzer.redact import redact_scan
from tests.helpers import REPO
from tests.report.conftest import XSS_LINES, render_html, render_scan_html

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install '.[test]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium; .ci/run does it)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.requests = requests
    yield page
    context.close()


def _open(page, html: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    path.write_text(html, encoding="utf-8")
    page.goto(path.resolve().as_uri())


def _visible_builds(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(
        "details.build", "els => els.filter(e => !e.hidden).map(e => e.dataset.project + ' ' + e.dataset.cause)"
    )


def test_scan_report_filters_links_and_hostile_text(page, scan_report, output_dir: Path) -> None:  # type: ignore[no-untyped-def]
    report = redact_scan(scan_report)
    _open(page, render_scan_html(report), output_dir / "scan-report.html")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.requests == [(output_dir / "scan-report.html").resolve().as_uri()]  # nothing else fetched
    assert page.text_content("#shown") == "6"

    page.select_option("select[name=project]", "docs-site")
    assert _visible_builds(page) == ["docs-site unknown", "docs-site unknown"]
    assert page.text_content("#shown") == "2"
    assert page.is_hidden("[data-empty-for=diagnosed-builds]") is False  # "No diagnosed build matches."

    # A printed page has no form: a notice says the list is filtered (screen: hidden).
    assert page.is_hidden("#filter-notice")
    page.emulate_media(media="print")
    assert page.is_visible("#filter-notice")
    assert page.text_content("#filter-notice") == "Filtered (project docs-site): 2 of 6 builds shown."
    page.emulate_media(media="screen")

    page.select_option("select[name=project]", "")
    page.emulate_media(media="print")
    assert page.is_hidden("#filter-notice")  # nothing filtered: nothing said
    page.emulate_media(media="screen")
    page.select_option("select[name=cause]", "docker-hub-rate-limit")
    assert sorted(_visible_builds(page)) == ["image-builder docker-hub-rate-limit",
                                             "storefront-api docker-hub-rate-limit",
                                             "storefront-api docker-hub-rate-limit"]  # fmt: skip
    page.select_option("select[name=cause]", "")
    page.select_option("select[name=severity]", "critical")
    assert _visible_builds(page) == ["payments-worker ssm-parameter-access-denied"]
    page.select_option("select[name=severity]", "")
    page.select_option("select[name=status]", "FAULT")
    assert _visible_builds(page) == ["docs-site unknown"]
    page.select_option("select[name=status]", "")

    page.fill("input[name=q]", "pr/143")  # a source version
    assert _visible_builds(page) == ["storefront-api docker-hub-rate-limit"]
    page.fill("input[name=q]", "window.__pwned")  # text of a log line
    assert _visible_builds(page) == ["docs-site unknown"]
    page.fill("input[name=q]", "")
    assert page.text_content("#shown") == "6"

    # Clicking a cause in the ranking filters the list to it.
    page.click("tr[data-cause=ssm-parameter-access-denied] a")
    assert _visible_builds(page) == ["payments-worker ssm-parameter-access-denied"]
    page.click("button[type=reset]")
    from playwright.sync_api import expect

    expect(page.locator("#shown")).to_have_text("6")  # the report's CSP forbids eval: no wait_for_function

    # Every build links to its console page and its log stream, exactly.
    for diagnosis in report.diagnoses:
        build = diagnosis.build
        card = page.locator(f"details.build[data-search*='{build.build_id.split(':')[1]}']")
        assert card.locator("a.console-link").get_attribute("href") == build.console_url
        assert card.locator("a.log-link").get_attribute("href") == build.logs.deep_link
    assert report.diagnoses[0].build.console_url.startswith(
        "https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/")

    # Hostile log text shows as text in the unknown failure's located error block and runs nothing.
    page.click("[data-expand='1']")
    block = page.locator("#unknown-builds details[data-status=FAULT] table.evidence").first
    assert block.is_visible()
    assert XSS_LINES[0] in block.inner_text() and XSS_LINES[1] in block.inner_text()
    assert page.locator("#unknown-builds img").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.screenshot(path=str(output_dir / "scan-report.png"), full_page=True)


def test_diagnose_report_shows_highlighted_evidence_and_runs_nothing(page, pack_rules, scan_report, output_dir: Path) -> None:  # type: ignore[no-untyped-def]
    log = (REPO / "fixtures/builds/01-docker-hub-rate-limit/log.txt").read_bytes()
    log = log.replace(b"#1 DONE 0.0s", ("#1 DONE 0.0s " + XSS_LINES[1]).encode())
    build = scan_report.diagnoses[-1].build  # storefront-api #1, with ARN and deep link
    _open(page, render_html(diagnose(pack_rules, [log], build)), output_dir / "diagnose-report.html")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.is_visible("details.build[open] h3:has-text('Root cause: Docker Hub pull rate limit reached')")
    hit = page.locator("section.root tr.hit").first
    assert hit.get_attribute("data-line") == "34"
    assert hit.locator("mark").inner_text() == (
        "https://auth.docker.io/token?scope=repository%3Alibrary%2Fnode%3Apull&service=registry.docker.io: 429 Too Many Requests"
    )
    assert hit.inner_text().startswith("34\t#2 ERROR: failed to fetch anonymous token")
    context = page.locator("section.root tr[data-line='31'] td.code")
    assert context.inner_text() == "#1 DONE 0.0s " + XSS_LINES[1]
    assert page.locator("section.root img").count() == 0
    assert page.get_attribute("a.console-link", "href") == build.console_url
    assert page.get_attribute("a.log-link", "href") == build.logs.deep_link
    fix = page.locator("section.root .fix")
    assert fix.locator("ol > li").count() == 3 and fix.locator("pre code").count() >= 1
    assert page.locator("section.root ul.refs a").first.get_attribute("href") == "https://docs.docker.com/docker-hub/usage/pulls/"
    page.screenshot(path=str(output_dir / "diagnose-report.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.locator(".links a").first.evaluate("a => getComputedStyle(a, '::after').content").startswith('" <https://')
