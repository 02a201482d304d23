"""Light markup for the bank's texts (cards, drill prompts, diagnoses): `code`, **bold**, *emphasis*.

Everything is escaped first and $math$ is passed through untouched, so KaTeX renders it in the browser.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_MATH = re.compile(r"(\$\$.+?\$\$|\$[^$\n]+?\$)", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_STRONG = re.compile(r"\*\*([^*\n]+)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def render_prose(text: str) -> Markup:
    """Card and drill texts' light markup (`code`, **bold**, *emphasis*, blank-line paragraphs) as safe HTML.

    Everything is escaped first; $math$ is left untouched for KaTeX to render in the browser.
    """
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        pieces = _MATH.split(paragraph)
        html = "".join(
            str(escape(piece)) if index % 2 else _inline_markup(str(escape(piece)))
            for index, piece in enumerate(pieces)
        )
        paragraphs.append(f"<p>{html}</p>")
    return Markup("\n".join(paragraphs))


def _inline_markup(escaped: str) -> str:
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    escaped = _STRONG.sub(r"<strong>\1</strong>", escaped)
    return _EMPHASIS.sub(r"<em>\1</em>", escaped)
