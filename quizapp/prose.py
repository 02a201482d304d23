"""Light markup for the bank's texts (cards, drill prompts, diagnoses): `code`, **bold**, *emphasis*, $math$.

One grammar, two renderers: the site's HTML (math left for KaTeX in the browser) and the Anki export's HTML
(math in Anki's MathJax delimiters). Everything outside math is escaped first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

# $$display$$ or $inline$; a dollar after a backslash (\$5) is a dollar, not a delimiter. Display wins
# where both could start, and one scan keeps the spans from overlapping.
MATH = re.compile(
    r"(?<!\\)\$\$(?P<display>.+?)(?<!\\)\$\$|(?<![\\$])\$(?!\$)(?P<inline>.+?)(?<!\\)\$",
    re.DOTALL,
)
CODE = re.compile(r"`([^`\n]+)`")
# Bold and emphasis hug their words, as in CommonMark: "2 * 3 * 4" stays arithmetic.
STRONG = re.compile(r"\*\*([^\s*](?:[^*\n]*[^\s*])?)\*\*")
EMPHASIS = re.compile(r"(?<![*\w])\*([^\s*](?:[^*\n]*[^\s*])?)\*(?![*\w])")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class InlineTags:
    """The HTML elements a renderer writes for **bold** and *emphasis*."""

    strong: str
    emphasis: str


SITE_TAGS = InlineTags("strong", "em")
ANKI_TAGS = InlineTags("b", "i")  # what Anki's own editor writes


def render_prose(text: str) -> Markup:
    """Card and drill texts' light markup (`code`, **bold**, *emphasis*, blank-line paragraphs) as safe HTML.

    Everything is escaped first; $math$ is left as written (escaped) for KaTeX to render in the browser.
    """
    paragraphs = [
        _render(paragraph, lambda plain: inline_markup(str(escape(plain)), SITE_TAGS), _as_written)
        for paragraph in PARAGRAPH_BREAK.split(text.strip())
    ]
    return Markup("\n".join(f"<p>{html}</p>" for html in paragraphs))


def anki_html(text: str) -> str:
    """HTML for Anki: `$$…$$` → `\\[…\\]`, `$…$` → `\\(…\\)` (Anki's MathJax delimiters), `\\$` → `$`, the
    markup as Anki's editor writes it, line breaks as <br>; everything else escaped."""
    html = _render(text, _anki_text, _anki_math)
    return html.strip().removesuffix("<br>")


def inline_markup(escaped: str, tags: InlineTags = SITE_TAGS) -> str:
    """`code`, **bold** and *emphasis* in already escaped text (never math) as HTML elements."""
    escaped = CODE.sub(r"<code>\1</code>", escaped)
    escaped = STRONG.sub(rf"<{tags.strong}>\1</{tags.strong}>", escaped)
    return EMPHASIS.sub(rf"<{tags.emphasis}>\1</{tags.emphasis}>", escaped)


def _render(text: str, plain: Callable[[str], str], math: Callable[[re.Match[str]], str]) -> str:
    """`text` with its plain stretches through `plain` and its math spans through `math`."""
    pieces: list[str] = []
    position = 0
    for match in MATH.finditer(text):
        pieces.append(plain(text[position : match.start()]))
        pieces.append(math(match))
        position = match.end()
    pieces.append(plain(text[position:]))
    return "".join(pieces)


def _as_written(match: re.Match[str]) -> str:
    return str(escape(match.group(0)))


def _anki_math(match: re.Match[str]) -> str:
    if match.group("display") is not None:
        return "\\[" + str(escape(match.group("display"))) + "\\]"
    return "\\(" + str(escape(match.group("inline"))) + "\\)"


def _anki_text(plain: str) -> str:
    html = inline_markup(str(escape(plain.replace("\\$", "$"))), ANKI_TAGS)
    return html.replace("\n", "<br>")
