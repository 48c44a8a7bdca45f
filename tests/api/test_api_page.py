"""The web page in headless Chromium against a real uvicorn (`registry serve`).

Fails (does not skip) when Chromium is missing: install it with `apt-get install chromium`.
"""

from __future__ import annotations

import random

from playwright.sync_api import Page, expect

from registry.vin import generate_vin
from tests.kit.books import Book
from tests.kit.browser import SCREENSHOTS
from tests.kit.chain import CAST
from tests.kit.mirror import Mirror

SCREENSHOT = SCREENSHOTS / "page-screenshot.png"


def _check(page: Page, url: str, vin: str) -> None:
    page.goto(url + "/")
    page.fill("#vin", vin)
    page.click("button[type=submit]")


def test_liened_vin_shows_encumbered_with_lienholder(
    page: Page, live_server: str, book: Book
) -> None:
    _check(page, live_server, book.liened)
    banner = page.locator("#banner")
    expect(banner).to_have_class("banner encumbered")
    expect(banner).to_contain_text("Encumbered: 2 active liens")
    rows = page.locator("#liens tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("First Auto Bank")
    expect(rows.nth(1)).to_contain_text("Second Credit Union")
    expect(page.locator("#timeline li").first).to_contain_text("TitleIssued")
    expect(page.locator("#odometer-chart")).to_be_visible()
    link = page.locator("#timeline li a.hash").first
    assert (link.get_attribute("href") or "").startswith("#tx/0x")
    link.click()
    expect(page.locator("#tx")).to_contain_text("Transaction")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_invalid_vin_shows_the_message(page: Page, live_server: str) -> None:
    _check(page, live_server, "1HGCM82633A00O352")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("the letter O at position 14")
    expect(page.locator("#result")).to_be_hidden()


def test_clean_vin_shows_clean(page: Page, live_server: str, book: Book) -> None:
    _check(page, live_server, book.clean)
    expect(page.locator("#banner")).to_have_class("banner clean")
    expect(page.locator("#banner")).to_contain_text("Clean title")
    expect(page.locator("#no-liens")).to_be_visible()


def test_branded_vin_and_deep_link(page: Page, live_server: str, book: Book) -> None:
    page.goto(f"{live_server}/#vin/{book.branded}")
    expect(page.locator("#banner")).to_have_class("banner total_loss")
    expect(page.locator("#brands")).to_contain_text("salvage")


def test_unknown_vin_says_no_title(page: Page, live_server: str, book: Book) -> None:
    _check(page, live_server, book.unknown)
    expect(page.locator("#error")).to_contain_text("No title found")


def test_vehicle_description_beside_the_title(page: Page, live_server: str, mirror: Mirror) -> None:
    """Maker, origin and model year decoded from the VIN; an unknown maker says so."""
    honda = generate_vin(random.Random(1), wmi="1HG", year_code="A")
    nobody = generate_vin(random.Random(2), wmi="10Z", year_code="R")  # no maker holds 10Z
    for vin in (honda, nobody):
        mirror.registry.registrar.issue_title(vin, CAST.owner.address, 10)
    mirror.index()
    _check(page, live_server, honda)
    expect(page.locator("#banner")).to_have_class("banner clean")
    expect(page.locator("#vehicle")).to_have_text(
        "Honda · United States, North America · model year 2010 or 1980"
    )
    expect(page.locator("#vehicle-note")).to_contain_text("repeat every 30 years")
    expect(page.locator("#vehicle-note")).to_contain_text("not part of the certificate")
    _check(page, live_server, nobody)
    expect(page.locator("#banner")).to_have_class("banner clean")
    expect(page.locator("#vehicle")).to_have_text(
        "unknown · United States, North America · model year 2024 or 1994"
    )
