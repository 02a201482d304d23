"""The Content-Security-Policy breaks nothing: the review page (KaTeX), a drill page (CodeMirror, uPlot) and
the progress dashboard (uPlot charts drawn by an ES module from JSON in the page) work under it, and
Chromium reports no violation on any of them.

Violations are collected both ways Chromium offers: `securitypolicyviolation` events in the page and the
"Refused to ..." messages it writes to the console.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, expect
from support.apps import LiveServer
from support.browser import register_and_log_in

from quizapp import jobs

pytestmark = [pytest.mark.browser]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def watched_page(page: Page, live_server: LiveServer) -> Iterator[tuple[Page, list[str]]]:
    """The page, with every CSP violation it reports (events and console messages) gathered in a list."""
    console: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            console.append(message.text)

    page.on("console", on_console)
    page.add_init_script(COLLECT_VIOLATIONS)
    yield page, console
    jobs.shutdown(live_server.app)


def violations(page: Page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__cspViolations"), *console]


def test_the_watch_sees_a_violation_when_there_is_one(watched_page: tuple[Page, list[str]]) -> None:
    page, console = watched_page
    page.goto("/")
    # What an injection would add: an inline script without the nonce.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true;";
          document.body.appendChild(script);
        }"""
    )
    assert page.evaluate("window.injected === undefined")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert any("script-src" in v for v in violations(page, console))


def test_review_drill_and_progress_pages_work_without_a_violation(
    watched_page: tuple[Page, list[str]], live_server: LiveServer
) -> None:
    page, console = watched_page
    register_and_log_in(page)

    page.goto("/review")
    expect(page.locator("[data-testid=counts] [data-count=new]")).not_to_have_text("–")
    expect(page.locator(".rv-card")).to_be_visible()
    if page.locator(".rv-typed").is_visible():
        page.keyboard.press("Escape")
    page.keyboard.press("Space")
    expect(page.locator(".rv-back")).to_be_visible()
    page.keyboard.press("3")  # a rating goes through review.js's fetch with the CSRF header

    page.goto("/drills/adam")
    editor = page.locator(".cm-editor")
    expect(editor).to_be_visible()
    # CodeMirror's own <style> elements were admitted: without them the editor would not be a flex box.
    assert editor.evaluate("el => getComputedStyle(el).display") == "flex"
    page.locator(".cm-content").click()
    page.keyboard.type("# typed under the policy")
    expect(page.locator(".cm-content")).to_contain_text("typed under the policy")
    expect(page.locator(".drl-prompt .katex").first).to_be_visible()  # KaTeX typeset the prompt
    # uPlot is an ES module the verdict plots import: it loads under the policy.
    assert (
        page.evaluate("import('/static/vendor/uPlot/uPlot.esm.js').then((m) => typeof m.default)")
        == "function"
    )

    page.goto("/progress")
    expect(page.locator(".chart-plot[data-drawn] canvas").first).to_be_visible()

    assert violations(page, console) == []


def test_every_response_names_a_fresh_nonce(live_server: LiveServer) -> None:
    app: Flask = live_server.app
    client = app.test_client()
    first = client.get("/auth/login").headers["Content-Security-Policy"]
    second = client.get("/auth/login").headers["Content-Security-Policy"]
    assert "'nonce-" in first and first != second
    assert "'unsafe-inline'" not in first.split("script-src", 1)[1].split(";", 1)[0]
