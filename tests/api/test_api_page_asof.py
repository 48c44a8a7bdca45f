"""The page in headless Chromium: pick a past date and time, see the liens that stood then;
an event of the timeline expands to its details; the odometer chart shows every reading."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.kit.api import registry_serve
from tests.kit.chain import DAY, private_registry
from tests.kit.mirror import Mirror


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A VIN whose first lien stood two days alone, then beside a second, then was released."""
    with private_registry() as reg:
        vin = reg.title(odometer=500)
        reg.dealer.record_odometer(vin, 9_000)
        first = reg.lender.register_lien(vin).id
        t_first = reg.now()
        reg.advance(2)
        reg.lender2.register_lien(vin)
        t_second = reg.now()
        reg.advance(2)
        reg.dealer.record_odometer(vin, 14_000)
        reg.lender.release_lien(first)
        mirror = Mirror.create(reg, Path(tmp_path_factory.mktemp("page-asof")))
        mirror.index()
        with registry_serve(mirror) as url:
            yield url, vin, t_first, t_second


@pytest.fixture
def utc_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(timezone_id="UTC", viewport={"width": 1200, "height": 1400})
    page = context.new_page()
    yield page
    context.close()


def _local(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_pick_a_past_date_and_see_the_liens_that_stood_then(utc_page: Page, served: Any) -> None:
    url, vin, t_first, t_second = served
    page = utc_page
    page.goto(f"{url}/#vin/{vin}")
    rows = page.locator("#liens tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Second Credit Union")
    expect(page.locator("#asof-note")).to_be_hidden()
    expect(page.locator("#odometer-chart circle")).to_have_count(3)

    page.fill("#asof", _local(t_first + DAY))  # a day after the first lien: it stood alone
    page.click("button[type=submit]")
    expect(page.locator("#asof-note")).to_be_visible()
    expect(page.locator("#asof-note")).to_contain_text("block")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("First Auto Bank")
    expect(page.locator("#banner")).to_contain_text("Encumbered: 1 active lien")
    expect(page.locator("#odometer-chart circle")).to_have_count(2)  # the third came later

    page.fill("#asof", _local(t_second + DAY))  # both liens, in priority order
    page.click("button[type=submit]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("First Auto Bank")
    expect(rows.nth(1)).to_contain_text("Second Credit Union")
    assert "at=" in (page.locator("#export-csv").get_attribute("href") or "")

    page.click("#asof-now")
    expect(page.locator("#asof-note")).to_be_hidden()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Second Credit Union")


def test_an_event_expands_to_its_details(utc_page: Page, served: Any) -> None:
    url, vin, _, _ = served
    page = utc_page
    page.goto(f"{url}/#vin/{vin}")
    lien = page.locator("#timeline li[data-event=LienRegistered]").nth(1)
    expect(lien).to_contain_text("priority 2")
    details = lien.locator(".details")
    expect(details).to_be_hidden()
    lien.click()
    expect(details).to_be_visible()
    expect(details).to_contain_text("Second Credit Union")
    labels = page.locator("#odometer-chart text.reading-label")
    expect(labels).to_have_text(["500", "9,000", "14,000"])
    page.fill("#asof", "2001-01-01T00:00:00")
    page.click("button[type=submit]")
    expect(page.locator("#error")).to_contain_text("before the registry's first block")
