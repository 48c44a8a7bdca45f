"""Headless Chromium (Debian's, driven by Playwright) for the page tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: Where page tests leave their screenshots (for a person to look at).
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".data"


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium; fails (never skips) when it is not installed."""
    assert CHROMIUM.exists(), f"{CHROMIUM} missing: `make test-setup` (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Page, name: str) -> Path:
    """Leaves a full-page screenshot of ``page`` in :data:`SCREENSHOTS` as ``name``."""
    shot = SCREENSHOTS / name
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    return shot
