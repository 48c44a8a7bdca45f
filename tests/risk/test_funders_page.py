"""The funder's panel (api/static/funders.js) in headless Chromium against a real uvicorn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.kit.api import Keys, served
from tests.kit.browser import screenshot
from tests.kit.chain import CAST, Registry
from tests.kit.mirror import Mirror


@pytest.fixture(scope="module")
def server(chain: Registry, mirror: Mirror) -> Iterator[tuple[str, Keys, str]]:
    vin, _, _, _ = chain.pledged_loan()
    chain.lender2.register_lien(vin)  # another lender's lien on the pledged car
    chain.pledged_loan()
    mirror.index()
    with served(mirror, "funder-page") as (url, keys):
        yield url, keys, vin


def test_panel_lists_the_pool_and_its_alerts(page: Page, server: tuple[str, Keys, str]) -> None:
    url, keys, vin = server
    page.goto(url + "/")
    page.fill("#funder-address", CAST.funder.address)
    page.fill("#funder-key", keys.funder)
    page.click("#funder-form button[type=submit]")
    expect(page.locator("#funder-summary")).to_contain_text("2 loans pledged")
    expect(page.locator("#funder-pool tbody tr")).to_have_count(2)
    expect(page.locator("#funder-pool")).to_contain_text(vin)
    expect(page.locator("#funder-alerts li").first).to_contain_text("pledged other lien")
    screenshot(page, "funder-panel.png")
    page.fill("#funder-key", keys.lender)
    page.click("#funder-form button[type=submit]")
    expect(page.locator("#funder-error")).to_contain_text("needs role")


def test_the_title_check_marks_the_lien_whose_loan_is_pledged(
    page: Page, server: tuple[str, Keys, str]
) -> None:
    url, _, vin = server
    page.goto(url + "/")
    page.fill("#vin", vin)
    page.click("#search button[type=submit]")
    rows = page.locator("#liens tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".pledged")).to_have_attribute(
        "title", f"pledged to {CAST.funder.address.lower()}"
    )
    expect(rows.nth(1).locator(".pledged")).to_have_count(0)  # lender2's lien secures no loan
