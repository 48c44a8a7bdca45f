"""The watches panel (api/static/watches.js) in headless Chromium against a real uvicorn:
a dealer's key watches a VIN, and after the indexer mirrors a lien on it the panel shows the
notice in words with its block."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from api.main import create_app
from tests.kit.api import Keys, api_settings, make_keys, uvicorn_thread
from tests.kit.browser import SCREENSHOTS
from tests.kit.chain import Registry
from tests.kit.mirror import Mirror


@pytest.fixture
def server(registry: Registry, tmp_path: Path) -> Iterator[tuple[str, Keys, Mirror]]:
    mirror = Mirror.create(registry, tmp_path, risk=True)
    mirror.index()
    with uvicorn_thread(create_app(api_settings(mirror))) as url:
        yield url, make_keys(mirror, "page"), mirror


def test_panel_watches_a_vin_and_shows_its_notices(
    page: Page, registry: Registry, server: tuple[str, Keys, Mirror]
) -> None:
    url, keys, mirror = server
    vin = registry.title()
    mirror.index()
    page.goto(url + "/")
    page.fill("#watch-key", keys.dealer)
    page.fill("#watch-vin", vin)
    page.click("#watch-form button[type=submit]")
    expect(page.locator("#watch-summary")).to_contain_text(vin)
    expect(page.locator("#watch-summary")).to_contain_text("No notices yet")
    lien = registry.lien(vin)
    mirror.index()
    page.fill("#watch-vin", "")
    page.click("#watch-form button[type=submit]")
    item = page.locator("#watch-notices li").first
    expect(item).to_contain_text(f"{vin}: Lien {lien} (consumer) registered by")
    expect(item).to_contain_text("1 active lien(s)")
    page.fill("#watch-vin", "1HGCM82633A004353")  # a bad check digit: the API says why
    page.click("#watch-form button[type=submit]")
    expect(page.locator("#watch-error")).to_contain_text("check digit")
    shot = SCREENSHOTS / "watches-panel.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
