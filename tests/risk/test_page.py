"""The risk panel (api/static/risk.js) in headless Chromium against a real uvicorn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.kit.api import Keys, risk_app, uvicorn_thread
from tests.kit.browser import screenshot
from tests.kit.chain import CAST
from tests.kit.mirror import Mirror


@pytest.fixture(scope="module")
def server(mirror: Mirror) -> Iterator[tuple[str, Keys]]:
    app, keys = risk_app(mirror)
    with uvicorn_thread(app) as url:
        yield url, keys


def test_panel_lists_alerts_and_draws_the_bucket_chart(
    page: Page, server: tuple[str, Keys]
) -> None:
    url, keys = server
    page.goto(url + "/")
    page.fill("#risk-lender", CAST.lender2.address)
    page.fill("#risk-key", keys.lender2)
    page.click("#risk-form button[type=submit]")
    expect(page.locator("#risk-alerts li").first).to_contain_text("double pledge")
    expect(page.locator("#risk-summary")).to_contain_text("Expected 12-month loss")
    expect(page.locator("#risk-chart svg rect")).to_have_count(5)
    page.fill("#risk-key", keys.dealer)
    page.click("#risk-form button[type=submit]")
    expect(page.locator("#risk-error")).to_contain_text("needs role")
    page.fill("#risk-key", keys.lender)
    page.fill("#risk-lender", CAST.lender.address)
    page.click("#risk-form button[type=submit]")
    expect(page.locator("#risk-alerts")).to_contain_text("missed a payment")
    screenshot(page, "risk-panel.png")
