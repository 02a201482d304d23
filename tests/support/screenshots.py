"""docs/screenshots/*.png: the review page, a drill result and the progress dashboard, light and dark.

Run through scripts/screenshots. The pages come from the same seeded app as the any-screen browser tests
(support/screens.py); each PNG is 1000 px wide, cut at MAX_HEIGHT and reduced to a 256-colour palette.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

from PIL import Image

from support.apps import serving
from support.browser import PAGE_TIMEOUT_MS, chromium
from support.screens import SCREENS, log_in, screen_url, seeded_app

OUTPUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTH, MAX_HEIGHT = 1000, 2100
SHOTS = {"review": "review-back", "drill-result": "drill-result", "dashboard": "progress"}


def take_screenshots(output: Path = OUTPUT) -> list[Path]:
    screens = {screen.name: screen for screen in SCREENS}
    output.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as directory, chromium() as browser:
        app = seeded_app(Path(directory))
        with serving(app) as live:
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    base_url=live.url, viewport={"width": WIDTH, "height": 800}, color_scheme=scheme
                )
                context.set_default_timeout(PAGE_TIMEOUT_MS)
                page = context.new_page()
                log_in(page)
                for shot, name in SHOTS.items():
                    screen = screens[name]
                    page.goto(screen_url(app, screen))
                    if screen.ready is not None:
                        screen.ready(page)
                    page.wait_for_load_state("networkidle")
                    path = output / f"{shot}-{scheme}.png"
                    _save_small(page.screenshot(full_page=True), path)
                    written.append(path)
                context.close()
    return written


def _save_small(png: bytes, path: Path) -> None:
    """Cut to MAX_HEIGHT and store as an optimised 256-colour PNG (a tenth of the size, same look)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.crop((0, 0, image.width, min(image.height, MAX_HEIGHT)))
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


if __name__ == "__main__":
    for written in take_screenshots():
        size_kib = written.stat().st_size // 1024
        print(f"{written.relative_to(OUTPUT.parents[1])}: {size_kib} KiB", file=sys.stderr)
