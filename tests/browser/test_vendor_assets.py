"""The vendored front-end assets work in Chromium straight from quizapp/static, with no build step.

CodeMirror through the import map, KaTeX auto-render and uPlot, each on a bare page over a tiny HTTP server.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from support.browser import PAGE_TIMEOUT_MS, chromium

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "quizapp"
VENDOR_DIR = PACKAGE_DIR / "static" / "vendor"

EDITOR_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="importmap">{importmap}</script></head>
<body><div id="editor"></div>
<script type="module">
import {{ EditorView, basicSetup }} from "codemirror";
import {{ python }} from "@codemirror/lang-python";
import {{ syntaxTree }} from "@codemirror/language";
// Every mapped package must load, not only the ones this page uses.
await Promise.all({specifiers}.map((name) => import(name)));
const view = new EditorView({{
  doc: "def step(params, grads, lr=0.1):\\n    return [p - lr * g for p, g in zip(params, grads)]\\n",
  extensions: [basicSetup, python()],
  parent: document.getElementById("editor"),
}});
window.editorResult = {{ tree: syntaxTree(view.state).toString() }};
</script></body></html>
"""

KATEX_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/vendor/katex/katex.min.css">
<script src="/static/vendor/katex/katex.min.js"></script>
<script src="/static/vendor/katex/contrib/auto-render.min.js"></script>
</head><body><p id="math">Momentum uses $\\beta$ as its decay.</p>
<script>
renderMathInElement(document.getElementById("math"), {
  delimiters: [{ left: "$", right: "$", display: false }],
  throwOnError: true,
});
</script></body></html>
"""

UPLOT_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/vendor/uPlot/uPlot.min.css">
</head><body><div id="chart"></div>
<script type="module">
import uPlot from "/static/vendor/uPlot/uPlot.esm.js";
new uPlot(
  { width: 400, height: 200, series: [{}, { label: "loss", stroke: "rgb(255, 0, 0)", width: 3 }] },
  [[1, 2, 3, 4], [4, 2, 1, 0.5]],
  document.getElementById("chart"),
);
</script></body></html>
"""

# True once the canvas holds a pure red pixel, i.e. uPlot stroked the series line.
RED_PIXEL_DRAWN = """() => {
  const canvas = document.querySelector("#chart canvas");
  if (!canvas || canvas.width === 0) return false;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i] > 200 && pixels[i + 1] < 60 && pixels[i + 2] < 60 && pixels[i + 3] > 200) return true;
  }
  return false;
}"""


def editor_page() -> str:
    importmap = json.loads((VENDOR_DIR / "cm" / "importmap.json").read_text())
    return EDITOR_PAGE.format(
        importmap=json.dumps(importmap), specifiers=json.dumps(sorted(importmap["imports"]))
    )


class AssetHandler(SimpleHTTPRequestHandler):
    """Serves the test pages at /<name>.html and quizapp/static/ under /static/, like the app does."""

    pages: ClassVar[dict[str, str]] = {}

    def do_GET(self) -> None:
        page = self.pages.get(self.path)
        if page is not None:
            self._send_page(page)
        elif self.path.startswith("/static/"):
            super().do_GET()
        else:
            self.send_error(404)

    def _send_page(self, page: str) -> None:
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest output stays readable."""


@dataclass
class PageProblems:
    """Everything that went wrong while a page loaded: console errors, exceptions, failed requests."""

    messages: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("console", lambda msg: msg.type == "error" and self.messages.append(f"console: {msg.text}"))
        page.on("pageerror", lambda error: self.messages.append(f"exception: {error}"))
        page.on("requestfailed", lambda request: self.messages.append(f"failed: {request.url}"))
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.messages.append(f"{response.status}: {response.url}")
            ),
        )


def wait_until(page: Any, problems: PageProblems, condition: str) -> None:
    """Poll `condition` in the page; on timeout fail with what the page reported, not just 'timeout'."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(condition)
    except PlaywrightTimeout:
        pytest.fail(f"page never satisfied {condition[:60]!r}; problems: {problems.messages}")


@pytest.fixture(scope="module")
def static_server() -> Iterator[str]:
    AssetHandler.pages = {"/editor.html": editor_page(), "/katex.html": KATEX_PAGE, "/uplot.html": UPLOT_PAGE}
    handler = functools.partial(AssetHandler, directory=str(PACKAGE_DIR))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="vendor-static", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def open_page(chromium_browser: Any, static_server: str) -> Iterator[tuple[Any, PageProblems]]:
    context = chromium_browser.new_context(base_url=static_server)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)
    yield page, problems
    context.close()


@pytest.mark.browser
def test_codemirror_loads_from_import_map_with_python_highlighting(
    open_page: tuple[Any, PageProblems],
) -> None:
    page, problems = open_page
    page.goto("/editor.html")
    wait_until(page, problems, "() => window.editorResult !== undefined")
    tree = page.evaluate("window.editorResult.tree")
    assert "FunctionDefinition" in tree
    keyword = page.locator(".cm-line span", has_text=re.compile(r"^def$")).first
    keyword_color = keyword.evaluate("el => getComputedStyle(el).color")
    line_color = page.locator(".cm-line").first.evaluate("el => getComputedStyle(el).color")
    assert keyword_color != line_color, "the python keyword is not highlighted"
    page.wait_for_load_state("networkidle")
    assert problems.messages == []


@pytest.mark.browser
def test_katex_auto_render_typesets_beta_with_its_fonts(open_page: tuple[Any, PageProblems]) -> None:
    page, problems = open_page
    page.goto("/katex.html")
    rendered = page.locator("#math .katex .katex-html")
    assert rendered.inner_text().strip() == "β"
    assert page.locator("#math annotation").text_content() == "\\beta"
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
    assert any("KaTeX_Math" in family for family in loaded)
    page.wait_for_load_state("networkidle")
    assert problems.messages == []


@pytest.mark.browser
def test_uplot_draws_series_on_canvas(open_page: tuple[Any, PageProblems]) -> None:
    page, problems = open_page
    page.goto("/uplot.html")
    wait_until(page, problems, RED_PIXEL_DRAWN)
    assert page.locator("#chart .u-legend").inner_text().count("loss") == 1
    page.wait_for_load_state("networkidle")
    assert problems.messages == []


def referenced_vendor_files() -> set[str]:
    pattern = re.compile(r"""filename=['"](vendor/[^'"]+)['"]""")
    templates = (PACKAGE_DIR / "templates").rglob("*.html")
    return {match for template in templates for match in pattern.findall(template.read_text())}


def test_templates_reference_only_vendored_files() -> None:
    referenced = referenced_vendor_files()
    assert "vendor/katex/katex.min.js" in referenced
    missing = sorted(path for path in referenced if not (PACKAGE_DIR / "static" / path).is_file())
    assert missing == []


def test_import_map_targets_exist() -> None:
    imports = json.loads((VENDOR_DIR / "cm" / "importmap.json").read_text())["imports"]
    assert {"codemirror", "@codemirror/lang-python", "@codemirror/view", "@lezer/python"} <= set(imports)
    missing = [url for url in imports.values() if not (PACKAGE_DIR / url.lstrip("/")).is_file()]
    assert missing == []
