"""The loan-tape panel (api/static/tapes.js) in headless Chromium against a real uvicorn: a tape
uploaded and checked, its exceptions listed, the pool report's chart drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.kit.api import Keys, indexed_risk_mirror, served
from tests.kit.browser import screenshot
from tests.kit.chain import CAST, Registry


@pytest.fixture(scope="module")
def server(
    registry: Registry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Keys, Path]]:
    """Three loans pledged to the funder, one to funder2; the tape of the four, one balance
    wrong."""
    lines = ["Loan ID,VIN,Balance,DPD"]
    for i in range(4):
        vin, _, loan, _ = registry.pledged_loan(registry.funder2 if i == 3 else None)
        lines.append(f"{loan},{vin},{'19000.00' if i == 1 else '25000.00'},0")
    mirror = indexed_risk_mirror(registry, tmp_path_factory.mktemp("funder-page"))
    tape = mirror.data_dir / "pool-7.csv"
    tape.write_text("\n".join(lines) + "\n")
    with served(mirror, "page") as (url, keys):
        yield url, keys, tape


def test_panel_checks_a_tape_and_draws_the_pool_chart(
    page: Page, server: tuple[str, Keys, Path]
) -> None:
    url, keys, tape = server
    page.goto(url + "/")
    page.fill("#tape-address", CAST.funder.address)
    page.fill("#tape-key", keys.funder)
    page.click("#tape-check")
    expect(page.locator("#tape-error")).to_contain_text("Choose the lender's loan tape")
    page.set_input_files("#tape-file", str(tape))
    page.click("#tape-check")
    expect(page.locator("#tape-summary")).to_contain_text("2 clean")
    expect(page.locator("#tape-kinds tbody tr")).to_have_count(2)
    expect(page.locator("#tape-exceptions li")).to_have_count(2)
    expect(page.locator("#tape-exceptions")).to_contain_text("pledged elsewhere")
    expect(page.locator("#tape-exceptions")).to_contain_text("the chain's 25,000.00")
    page.click("#tape-report")
    expect(page.locator("#tape-chart svg rect")).to_have_count(5)
    expect(page.locator("#tape-pool-summary")).to_contain_text("loans pledged")
    screenshot(page, "tape-panel.png")
    page.fill("#tape-key", keys.dealer)
    page.click("#tape-report")
    expect(page.locator("#tape-error")).to_contain_text("needs role")
