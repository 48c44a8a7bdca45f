"""The demo's funders: pools pledged, and each pledge case on chain as the book says."""

from __future__ import annotations

from pathlib import Path

from registry.accounts import dev_account
from registry.demo import build_demo
from registry.demo_funders import FUNDER_ACCOUNTS, PLEDGE_CASES
from registry.enums import LoanState
from tests.kit.chain import Registry


def test_demo_funders_hold_pledges_and_show_each_case(
    fresh_registry: Registry, tmp_path: Path
) -> None:
    client = fresh_registry.registrar
    book = build_demo(client, vehicles=60, seed=11, records_dir=tmp_path)
    h = book.highlights
    assert set(h) >= PLEDGE_CASES  # a book of 60 has loans enough for every case
    warehouse, trust = (dev_account(i).address for i in FUNDER_ACCOUNTS)
    assert client.has_role("funder", warehouse) and client.has_role("funder", trust)

    def pledge_of_vin(vin: str) -> tuple[int, str | None]:
        [lien_id] = [i for i in client.liens_of(vin) if client.loan_of_lien(i)][:1]
        loan_id = client.loan_of_lien(lien_id)
        pledge = client.pledge_of(loan_id)
        return loan_id, pledge.funder if pledge else None

    assert pledge_of_vin(h["pledged_pool"])[1] in (warehouse, trust)
    assert pledge_of_vin(h["double_pledge"])[1] is not None  # pledged beside another's lien
    assert pledge_of_vin(h["second_pledge_refused"])[1] is not None
    assert pledge_of_vin(h["pledge_sold"])[1] in (warehouse, trust)
    assert pledge_of_vin(h["pledge_remitted"])[1] is None
    assert "HAIL" in client.title(h["pledged_branded"]).brands
    loan_id, funder = pledge_of_vin(h["pledged_paid_off"])
    assert client.loan(loan_id).state is LoanState.PAID_OFF and funder is not None
    loan_id, funder = pledge_of_vin(h["pledged_lien_assigned"])
    assert funder is not None and client.pledge_nonce(loan_id) == 1  # one consent used
