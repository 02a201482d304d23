"""Debian's Chromium driven by Playwright: one way to launch it and open a page for every browser test."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support.accounts import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PAGE_TIMEOUT_MS = 15_000


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed on exit."""
    # Imported here so that collecting the other tests never loads Playwright.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def chromium_page(base_url: str, timeout_ms: int = PAGE_TIMEOUT_MS, **context_options: Any) -> Iterator[Page]:
    """A page in a fresh Chromium whose relative URLs go to `base_url`."""
    with chromium() as browser:
        context = browser.new_context(base_url=base_url, **context_options)
        context.set_default_timeout(timeout_ms)
        yield context.new_page()
        context.close()


def register_and_log_in(page: Page, username: str = "ada", password: str = PASSWORD) -> None:
    """Fill in the registration form, and the login form too if registering does not log in by itself."""
    page.goto("/auth/register")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.fill("input[name=confirm]", password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if page.locator("input[name=password]").count():
        page.goto("/auth/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.keyboard.press("Enter")


# ---- any screen, any person: layout and accessibility checks for every page ----

AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe.min.js"  # from npm by scripts/vendor-assets
SMALL_SCREEN = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
TOUCH_TARGET_PX = 44
# Buttons and links styled as buttons: what a thumb has to hit.
TOUCH_TARGETS = "button, .button, input[type=submit]"
BLOCKING_IMPACTS = ("serious", "critical")


def assert_accessible(page: Page, name: str) -> None:
    """Run axe-core on the page as it is now; fail on any serious or critical violation, listing each.

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
    govern, so the app's CSP stays on while the check runs.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    results = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary.replace(/\\s+/g, " ")),
            }));
        }"""
    )
    blocking = [violation for violation in results if violation["impact"] in BLOCKING_IMPACTS]
    report = "\n".join(
        f"  [{v['impact']}] {v['id']}: {v['help']}\n" + "\n".join(f"      {node}" for node in v["nodes"][:5])
        for v in blocking
    )
    assert not blocking, f"{name}: axe-core found serious/critical violations:\n{report}"


@functools.cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def assert_fits_small_screen(page: Page, name: str) -> None:
    """No horizontal scrolling at the page's width, and every visible button at least 44 px each way."""
    width = page.evaluate("() => window.innerWidth")
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate(_WIDEST_ELEMENTS, width)
        raise AssertionError(f"{name}: scrolls sideways ({scroll_width} px > {width} px): {wide}")
    small = page.evaluate(_SMALL_TARGETS, [TOUCH_TARGETS, TOUCH_TARGET_PX])
    assert not small, f"{name}: touch targets under {TOUCH_TARGET_PX} px: {small}"


# The innermost elements that reach past the right edge (what to fix), at most five.
_WIDEST_ELEMENTS = """(width) => {
    const out = [...document.body.querySelectorAll("*")].filter((el) => {
        const box = el.getBoundingClientRect();
        return box.right > width + 0.5 && box.width > 0;
    });
    const innermost = out.filter((el) => !out.some((other) => other !== el && el.contains(other)));
    return innermost.slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className} `
        + `(right ${Math.round(el.getBoundingClientRect().right)})`);
}"""

_SMALL_TARGETS = """([selector, minimum]) => [...document.querySelectorAll(selector)]
    .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden")
    .map((el) => ({el, box: el.getBoundingClientRect()}))
    .filter(({box}) => box.width < minimum - 0.5 || box.height < minimum - 0.5)
    .map(({el, box}) => {
        const text = (el.innerText || el.value || "").trim().slice(0, 30);
        return `${el.tagName.toLowerCase()} "${text}" ${Math.round(box.width)}x${Math.round(box.height)}`;
    })"""


def assert_follows_scheme(page: Page, name: str, scheme: str) -> None:
    """The page's background is dark in dark mode and light in light mode, and the colours the charts'
    canvas text is drawn in (static/charts.js) stand out from it (axe-core cannot see into a canvas):
    contrast at least 3:1."""
    colours = page.evaluate(_SCHEME_COLOURS)
    background = _luminance(colours["background"])
    assert (background < 0.2) if scheme == "dark" else (background > 0.8), (
        f"{name}: page background {colours['background']} does not follow the {scheme} scheme"
    )
    faint = [fill for fill in colours["chart_text"] if _contrast(_luminance(fill), background) < 3]
    assert not faint, f"{name}: chart text too faint on {colours['background']}: {sorted(set(faint))}"


_SCHEME_COLOURS = """() => {
    const colour = (name) => {
        const probe = document.createElement("span");
        probe.style.color = `var(${name})`;
        document.body.append(probe);
        const value = getComputedStyle(probe).color;
        probe.remove();
        return value;
    };
    const charted = document.querySelector(".chart-plot[data-drawn]") !== null;
    return {
        background: getComputedStyle(document.body).backgroundColor,
        chart_text: charted ? [colour("--fg"), colour("--chart-marker"), colour("--chart-axis")] : [],
    };
}"""


def _luminance(css_colour: str) -> float:
    """WCAG relative luminance of an `rgb(r, g, b)` colour."""
    channels = [int(part) / 255 for part in css_colour[css_colour.index("(") + 1 : -1].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: float, second: float) -> float:
    return (max(first, second) + 0.05) / (min(first, second) + 0.05)
