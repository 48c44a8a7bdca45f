"""The watches panel (api/static/watches.js) in headless Chromium against a real uvicorn:
a dealer's key watches a VIN, and after the indexer mirrors a lien on it the panel shows the
notice in words with its block."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.kit.api import Keys, indexed_risk_mirror, served
from tests.kit.browser import screenshot
from tests.kit.chain import Registry
from tests.kit.mirror import Mirror


@pytest.fixture
def server(registry: Registry, tmp_path: Path) -> Iterator[tuple[str, Keys, Mirror]]:
    mirror = indexed_risk_mirror(registry, tmp_path)
    with served(mirror, "page") as (url, keys):
        yield url, keys, mirror


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
    screenshot(page, "watches-panel.png")
