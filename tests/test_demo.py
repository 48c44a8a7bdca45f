"""The demo book holds, on chain, every case it claims to show."""

from __future__ import annotations

from pathlib import Path

from registry.demo import build_demo, demo_cast
from tests.registry_kit import Registry


def test_demo_book_shows_each_case_on_chain(fresh_registry: Registry, tmp_path: Path) -> None:
    client = fresh_registry.registrar
    stages: list[str] = []
    book = build_demo(
        client,
        vehicles=60,
        seed=11,
        records_dir=tmp_path,
        progress=lambda stage, n: stages.append(stage),
    )
    cast = demo_cast()
    lenders = {a.address for a in cast.lenders}
    assert book.vehicles == 60 and book.loans > 20 and book.payments > book.loans
    assert "titles issued" in stages and "loans originated" in stages
    h = book.highlights

    pledged = [client.lien(i) for i in client.active_liens(h["double_pledge"])]
    assert len(pledged) == 2 and pledged[0].holder != pledged[1].holder
    assert [lien.priority for lien in pledged] == [1, 2]

    sot = client.title(h["sold_out_of_trust"])
    assert sot.owner in {a.address for a in cast.dealers}
    assert any(client.lien(i).floor_plan for i in client.active_liens(h["sold_out_of_trust"]))

    paid_at_sale = client.title(h["floor_plan_paid_at_sale"])
    assert paid_at_sale.owner == cast.owners[1].address and paid_at_sale.active_liens == 0

    total = client.title(h["total_loss"])
    assert total.status == "TOTAL_LOSS" and "SALVAGE" in total.brands

    assert client.title(h["repossessed"]).owner in lenders
    assert client.title(h["paid_off"]).active_liens == 0
    assert client.title(h["branded"]).brands == ("FLOOD", "ODOMETER_NOT_ACTUAL")
    clean = client.title(h["clean"])
    assert clean.active_liens == 0 and clean.brands == () and clean.status == "ACTIVE"

    records = list(tmp_path.rglob("loan-*.json"))
    assert len(records) == book.loans  # the lenders' private schedules, one per loan
