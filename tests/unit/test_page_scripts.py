"""The front end speaks one dialect: every page script is an ES module that imports what it shares from
static/lib/, talks to the server only through lib/http.js, and hands nothing to other files through
`window` (STYLE.md rule 10: no build step, so this is checked on the files as served)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "quizapp"
STATIC = PACKAGE / "static"
TEMPLATES = PACKAGE / "templates"

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
STATIC_SRC = re.compile(r"""filename=['"]([^'"]+\.js)['"]""")
# `window.x = ...`, `globalThis["x"] = ...`, `self.x += ...`: a value handed to other scripts.
GLOBAL_ASSIGNMENT = re.compile(
    r"""\b(?:window|globalThis|self)\s*(?:\.\s*[\w$]+|\[[^\]]+\])\s*(?:[-+*/|&]?=)(?!=)"""
)
RELATIVE_IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}/[^'"]+)['"]""", re.MULTILINE
)


def own_scripts() -> list[Path]:
    """The app's JavaScript: static/*.js and static/lib/, not the vendored libraries."""
    return sorted(path for path in STATIC.rglob("*.js") if "vendor" not in path.relative_to(STATIC).parts)


def script_tags() -> list[tuple[str, str]]:
    """(template, attributes) of every <script> tag in the templates."""
    return [
        (str(template.relative_to(TEMPLATES)), match.group(1))
        for template in sorted(TEMPLATES.rglob("*.html"))
        for match in SCRIPT_TAG.finditer(template.read_text())
    ]


def test_every_page_script_is_loaded_as_a_module() -> None:
    page_scripts = []
    for template, attributes in script_tags():
        source = STATIC_SRC.search(attributes)
        if source is None or source.group(1).startswith("vendor/"):
            continue
        page_scripts.append(source.group(1))
        assert 'type="module"' in attributes, f"{template} loads {source.group(1)} as a classic script"
        assert (STATIC / source.group(1)).is_file(), f"{template} loads a missing {source.group(1)}"
    assert {"math.js", "review.js", "drills.js", "drill-result.js"} <= set(page_scripts)


def test_inline_scripts_are_data_or_the_import_map() -> None:
    for template, attributes in script_tags():
        if "src=" in attributes:
            continue
        kind = re.search(r"""type=["']([^"']+)["']""", attributes)
        inline = f"{template}: inline <script{attributes}>"
        assert kind and kind.group(1) in ("importmap", "application/json"), inline


@pytest.mark.parametrize("script", own_scripts(), ids=lambda path: str(path.relative_to(STATIC)))
def test_no_script_hands_values_to_others_through_globals(script: Path) -> None:
    source = script.read_text()
    assert GLOBAL_ASSIGNMENT.findall(source) == [], f"{script.name} assigns a global"
    assert '"use strict"' not in source, f"{script.name} is written as a classic script (modules are strict)"


@pytest.mark.parametrize("script", own_scripts(), ids=lambda path: str(path.relative_to(STATIC)))
def test_relative_imports_resolve(script: Path) -> None:
    for target in RELATIVE_IMPORT.findall(script.read_text()):
        assert (script.parent / target).resolve().is_file(), f"{script.name} imports a missing {target}"


def test_one_helper_talks_to_the_server_and_reads_each_vendor_global() -> None:
    def files_mentioning(pattern: str) -> set[str]:
        return {str(p.relative_to(STATIC)) for p in own_scripts() if re.search(pattern, p.read_text())}

    assert files_mentioning(r"\bfetch\(") == {"lib/http.js"}
    assert files_mentioning(r"X-CSRFToken|csrf-token") == {"lib/http.js"}
    assert files_mentioning(r"\brenderMathInElement\b") == {"lib/math.js"}
    assert not files_mentioning(r"globalThis\.uPlot|window\.uPlot")  # uPlot is imported as a module
    assert files_mentioning(r"uPlot\.esm\.js") == {"charts.js", "lib/verdict-plots.js"}
    # One loop follows a submission until its verdict (the drill page and the result page both use it); the
    # interview countdown ticks, and the charts wait for a resize to settle before redrawing.
    assert files_mentioning(r"\bsetTimeout\(|\bsetInterval\(") <= {"lib/poll.js", "interview.js", "charts.js"}
    assert files_mentioning(r"\bfollowSubmission\(") == {"lib/poll.js", "drills.js", "drill-result.js"}


def test_the_global_check_sees_an_assignment() -> None:
    assert GLOBAL_ASSIGNMENT.findall("window.renderMath = renderMath;")
    assert GLOBAL_ASSIGNMENT.findall('globalThis["plots"] = draw;')
    assert not GLOBAL_ASSIGNMENT.findall("if (window.x === 1) window.location.assign(url);")
