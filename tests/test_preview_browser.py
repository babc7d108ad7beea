"""The preview in real headless Chromium (Debian's `chromium`, driven by playwright): pages, live updates without
navigation, error overlays that recover, and scripts in templates that never run.

Skipped only when Chromium or playwright is missing AND the CI environment variable is unset; under CI they must run.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_preview_support import RunningServer, running_server, set_greeting_html, write_corpus, write_files

from preview_server.rendering import Preparer

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LIVE_UPDATE_SECONDS = 2.0


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def require_browser() -> tuple[Any, str]:
    """playwright's sync API and Chromium's path; skip (locally) or fail (under CI) when either is missing."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if executable is None or sync_playwright is None:
        missing = "playwright" if sync_playwright is None else "chromium"
        if os.environ.get("CI"):
            pytest.fail(f"{missing} is required for the browser tests under CI")
        pytest.skip(f"{missing} is not installed")
    return sync_playwright, executable


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright, executable = require_browser()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def preparer() -> Iterator[Preparer]:
    """Worker processes shared by this module's servers (the app converts in worker processes, as `ses2mt preview`
    does)."""
    shared = Preparer()
    shared.start()
    yield shared
    shared.shutdown()


@pytest.fixture
def server(tmp_path: Path, preparer: Preparer) -> Iterator[RunningServer]:
    with running_server(write_corpus(tmp_path / "templates"), preparer=preparer) as running:
        yield running


@pytest.fixture
def page(browser: Any, server: RunningServer) -> Iterator[Any]:
    """A fresh page; closed before the server stops (open event streams would delay the shutdown). The page's
    Content-Security-Policy is bypassed so playwright can evaluate its checks: the frames' sandbox alone must keep
    template scripts from running."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, bypass_csp=True)
    opened = context.new_page()
    opened.set_default_timeout(5000)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], errors


def frame_text(page: Any, side: str) -> str:
    return page.frame_locator(f"#frame-{side}").locator("body").inner_text()


def wait_live(page: Any) -> None:
    page.wait_for_selector("#live[data-state=live]")


def test_index_then_template_fixture_and_width(page: Any, server: RunningServer) -> None:
    page.goto(server.url + "/")
    wait_live(page)
    assert page.locator("tbody tr").count() == 5
    page.fill("#filter", "receipt")
    assert page.locator("tbody tr:visible").count() == 1
    page.fill("#filter", "")
    page.click("a.tname:text-is('greeting')")
    page.wait_for_url("**/t/greeting")
    assert "Hello Ann" in frame_text(page, "ses")
    assert "Hello Ann" in frame_text(page, "mailtrap")
    assert page.get_attribute("#verdict", "data-verdict") == "identical"
    assert page.locator("aside .finding.sev-error").count() == 0
    page.select_option("#fixture", "bob")
    page.wait_for_function("document.querySelector('#frame-ses').srcdoc.includes('Hello Bob')")
    page.wait_for_function("document.querySelector('#frame-mailtrap').srcdoc.includes('Hello Bob')")
    assert "Plan: Free" in frame_text(page, "mailtrap")
    frame_width = "document.querySelector('#frame-ses').getBoundingClientRect().width"
    assert page.evaluate(frame_width) >= 600
    box = "(s) => { const r = document.querySelector(s).getBoundingClientRect(); return [r.left, r.top, r.bottom]; }"
    # two desktop frames do not leave room for the findings at 1600 px: they go under the renders
    assert page.evaluate(box, "aside.sidebar")[1] >= page.evaluate(box, "#renders")[2]
    page.click("button[data-width=mobile]")
    assert page.evaluate(frame_width) == pytest.approx(375, abs=1)
    # mobile frames do: the findings stand beside them, not under an email thousands of pixels tall
    aside, renders = page.evaluate(box, "aside.sidebar"), page.evaluate(box, "#renders")
    assert aside[0] >= renders[0] + 2 * 375 and aside[1] < renders[2]
    page.click("button[data-tab=text]")
    assert page.locator("[data-tab-panel=text] [data-side=ses] pre").inner_text() == "Hello Bob, you are on Free.\n"
    assert "fixture=bob" in page.url and "width=mobile" in page.url and "tab=text" in page.url


def test_saving_the_file_updates_the_page_without_navigation(page: Any, server: RunningServer) -> None:
    page.goto(server.url + "/t/greeting?fixture=bob")
    wait_live(page)
    page.evaluate("window.previewMarker = 'still here'")
    page.click("button[data-tab=html]")
    page.evaluate("window.scrollTo(0, 0)")
    started = time.monotonic()
    set_greeting_html(server.src, '<h1 id="greet">Good evening {{name}}</h1>\n')
    page.wait_for_function(
        "document.querySelector('#frame-ses').srcdoc.includes('Good evening Bob')"
        " && document.querySelector('#frame-mailtrap').srcdoc.includes('Good evening Bob')",
        timeout=LIVE_UPDATE_SECONDS * 1000,
    )
    assert time.monotonic() - started < LIVE_UPDATE_SECONDS
    assert page.evaluate("window.previewMarker") == "still here"
    assert page.input_value("#fixture") == "bob"
    assert "Good evening Bob" in frame_text(page, "ses")
    page.click("button[data-tab=source]")  # refreshed when shown
    page.locator("#src-html-converted", has_text="Good evening {{{name}}}").wait_for(timeout=2000)


def test_broken_template_shows_error_overlay_then_recovers(page: Any, server: RunningServer) -> None:
    page.goto(server.url + "/t/greeting")
    wait_live(page)
    page.evaluate("window.previewMarker = 42")
    set_greeting_html(server.src, "<h1>Hello {{#if name}}{{name}}</h1>\n")
    overlay = page.locator("[data-slot=ses_error] .render-error[data-kind=syntax]")
    overlay.wait_for(state="visible", timeout=LIVE_UPDATE_SECONDS * 1000)
    assert "line 1, column" in overlay.inner_text()
    assert page.locator("#frame-ses").is_hidden()
    assert page.locator("[data-slot=mailtrap_error] .render-error").is_visible()
    # the findings beside the renders follow the file too: the syntax error is listed, with its line and column
    page.locator("aside .finding.sev-error", has_text="P101").wait_for(timeout=LIVE_UPDATE_SECONDS * 1000)
    assert "html 1:" in page.locator("aside .finding.sev-error").first.inner_text()
    set_greeting_html(server.src, '<h1 id="greet">Fixed {{name}}</h1>\n')
    page.wait_for_function(
        "document.querySelector('#frame-ses').srcdoc.includes('Fixed Ann')", timeout=LIVE_UPDATE_SECONDS * 1000
    )
    assert page.locator("#frame-ses").is_visible()
    assert page.locator(".render-error").count() == 0
    assert page.evaluate("window.previewMarker") == 42
    assert page.get_attribute("#verdict", "data-verdict") == "identical"


def test_missing_attribute_shows_ses_message(page: Any, server: RunningServer) -> None:
    page.goto(server.url + "/t/missing")
    overlay = page.locator("[data-slot=ses_error] .render-error[data-kind=missing]")
    assert "Attribute 'absent' is not present in the rendering data." in overlay.inner_text()
    assert "html line 1, column 17" in overlay.inner_text()
    wait_live(page)
    write_files(server.src, {"missing.data.json": {"greeting": "Hi", "absent": "there"}})
    page.wait_for_function(
        "document.querySelector('#frame-ses').srcdoc.includes('Hi there')", timeout=LIVE_UPDATE_SECONDS * 1000
    )
    assert page.locator(".render-error").count() == 0


def test_script_in_a_template_does_not_run(page: Any, server: RunningServer) -> None:
    page.goto(server.url + "/t/scripted")
    wait_live(page)
    page.wait_for_function("document.querySelector('#frame-ses').contentDocument.querySelector('#visible') !== null")
    page.wait_for_timeout(300)
    title = page.title()
    assert "pwned" not in title and title.startswith("scripted")
    assert page.evaluate("window.pwned") is None
    assert frame_text(page, "ses").startswith("static content Ann")
    assert frame_text(page, "mailtrap").startswith("static content Ann")


def test_index_picks_up_added_and_deleted_templates(page: Any, server: RunningServer) -> None:
    page.goto(server.url + "/")
    wait_live(page)
    page.evaluate("window.previewMarker = 'index'")
    page.fill("#filter", "fresh")
    assert page.locator("tbody tr:visible").count() == 0
    template = {"Template": {"TemplateName": "fresh", "SubjectPart": "New {{x}}"}}
    write_files(server.src, {"fresh.json": template, "fresh.data.json": {"x": 1}})
    page.locator("tbody tr[data-id=fresh]").wait_for(timeout=LIVE_UPDATE_SECONDS * 1000)
    assert page.locator("tbody tr:visible").count() == 1  # the filter still applies to the new rows
    assert page.input_value("#filter") == "fresh"
    (server.src / "broken.json").unlink()
    page.locator("tbody tr[data-id=broken]").wait_for(state="detached", timeout=LIVE_UPDATE_SECONDS * 1000)
    assert page.evaluate("window.previewMarker") == "index"
    assert json.loads(page.evaluate("JSON.stringify(window.ses2mtPreview.updates)")) >= 1


def test_update_keeps_tab_fixture_and_scroll(page: Any, server: RunningServer) -> None:
    page.set_viewport_size({"width": 1400, "height": 420})
    page.goto(server.url + "/t/greeting?fixture=bob&tab=text")
    wait_live(page)
    page.evaluate("window.scrollTo(0, 200)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    value = json.loads((server.src / "greeting.json").read_text(encoding="utf-8"))
    value["Template"]["TextPart"] = "Good night {{name}}.\n"
    (server.src / "greeting.json").write_text(json.dumps(value), encoding="utf-8")
    page.wait_for_function(
        "document.querySelector('[data-tab-panel=text] [data-side=ses] pre').innerText === 'Good night Bob.\\n'",
        timeout=LIVE_UPDATE_SECONDS * 1000,
    )
    assert page.locator("[data-tab-panel=text]").is_visible()
    assert page.locator("[data-tab-panel=html]").is_hidden()
    assert page.input_value("#fixture") == "bob"
    assert page.evaluate("window.scrollY") == scrolled


def test_a_page_left_open_across_a_restart_shows_what_changed_meanwhile(
    browser: Any, tmp_path: Path, preparer: Preparer
) -> None:
    """Ctrl+C, edit, start again: the page reconnects to the new server and refreshes, though the new server's
    generation counter starts again from where the old one began."""
    src = write_corpus(tmp_path / "templates")
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(5000)
    try:
        with running_server(src, preparer=preparer) as first:
            port = int(first.url.rsplit(":", 1)[1])
            page.goto(first.url + "/t/greeting?fixture=bob")
            wait_live(page)
            page.evaluate("window.previewMarker = 'kept'")
        page.wait_for_selector("#live[data-state=offline]")
        set_greeting_html(src, '<h1 id="greet">While you were away, {{name}}</h1>\n')
        with running_server(src, preparer=preparer, port=port):
            page.wait_for_function(
                "document.querySelector('#frame-ses').srcdoc.includes('While you were away, Bob')", timeout=10_000
            )
            assert page.evaluate("window.previewMarker") == "kept"
    finally:
        context.close()


def test_index_fits_a_1024_px_window(page: Any, server: RunningServer) -> None:
    """No column is cut off and no sideways scrolling: source paths are shown relative to SRC and may wrap."""
    page.set_viewport_size({"width": 1024, "height": 800})
    page.goto(server.url + "/")
    wait_live(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    source = page.locator("tr[data-id=receipt] td.path")
    assert source.inner_text() == "shop/receipt"
    assert source.get_attribute("title") == str(server.src / "shop" / "receipt")
