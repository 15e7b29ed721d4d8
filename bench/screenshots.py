"""``python -m bench.screenshots [PAGE...]``: the screenshots in ``docs/screens/``.

Builds the sample store (as the browser tests do), serves it, and saves every page (or
the pages named) at 1440×1100 and 390×844 px with Debian's Chromium, as 128-colour PNGs.
Look at each one after regenerating: they are what the README and docs show people.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

from bench.browser import _support

SIZES = ((1440, 1100), (390, 844))
OUT = Path(__file__).resolve().parent.parent / "docs" / "screens"
SETTLE_S = 2.5  # charts finish drawing after the script run has ended


def main(only: list[str]) -> int:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    support = _support()
    with tempfile.TemporaryDirectory() as folder:
        db = support.build_sample_store(Path(folder))
        with support.DashboardServer(db) as server, sync_playwright() as pw:
            browser = support.launch_chromium(pw)
            for width, height in SIZES:
                ctx = browser.new_context(viewport={"width": width, "height": height})
                for name, path in support.PAGES.items():
                    if only and name not in only:
                        continue
                    page = ctx.new_page()
                    page.set_default_timeout(300_000)
                    page.goto(server.url(path + ("" if name == "slo" else "?period=2026Q3")))
                    support.wait_rendered(page)
                    time.sleep(SETTLE_S)
                    support.wait_rendered(page)
                    png = page.screenshot()
                    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128)
                    OUT.mkdir(parents=True, exist_ok=True)
                    out = OUT / f"{name}-{width}.png"
                    image.save(out, optimize=True)
                    print(f"{out.relative_to(OUT.parent.parent)}: {out.stat().st_size:,} bytes")
                    page.close()
                ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
