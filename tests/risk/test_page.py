"""The risk panel (api/static/risk.js) in headless Chromium against a real uvicorn."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from registry.chain import free_port
from tests.risk.risk_kit import CAST, Chain, Mirror, risk_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def server(
    chain: Chain, mirror: Mirror, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    app, keys = risk_app(chain, mirror, tmp_path_factory.mktemp("risk-page"))
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url + "/static/risk.js", timeout=1)
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.1)
    yield url, keys
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def page() -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        pg = browser.new_page(viewport={"width": 1200, "height": 1400})
        yield pg
        browser.close()


def test_panel_lists_alerts_and_draws_the_bucket_chart(
    page: Page, server: tuple[str, dict[str, str]]
) -> None:
    url, keys = server
    page.goto(url + "/")
    page.fill("#risk-lender", CAST.lender2.address)
    page.fill("#risk-key", keys["lender2"])
    page.click("#risk-form button[type=submit]")
    expect(page.locator("#risk-alerts li").first).to_contain_text("double pledge")
    expect(page.locator("#risk-summary")).to_contain_text("Expected 12-month loss")
    expect(page.locator("#risk-chart svg rect")).to_have_count(5)
    page.fill("#risk-key", keys["dealer"])
    page.click("#risk-form button[type=submit]")
    expect(page.locator("#risk-error")).to_contain_text("needs role")
    page.fill("#risk-key", keys["lender"])
    page.fill("#risk-lender", CAST.lender.address)
    page.click("#risk-form button[type=submit]")
    expect(page.locator("#risk-alerts")).to_contain_text("missed a payment")
    shot = Path(__file__).resolve().parents[2] / ".data" / "risk-panel.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
