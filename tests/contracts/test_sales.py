"""Dealer sales: the title passes when no lien stands; a floor-plan lien standing is named."""

from __future__ import annotations

import pytest

from tests.kit.chain import Registry, ref
from tests.kit.expect import release_reason, reverts, same


def test_sale_without_liens_transfers(registry: Registry) -> None:
    vin = registry.title(registry.dealer)
    sale = ref("sale")
    result = registry.dealer.record_sale(vin, registry.cast.buyer.address, sale)
    event = result.event("SaleRecorded")
    assert (event.args["floorPlanLienId"], event.args["titleTransferred"]) == (0, True)
    assert event.args["saleRef"] == "0x" + sale.hex()
    assert same(event.args["buyer"], registry.cast.buyer.address)
    assert result.event("TitleTransferred").args["nonce"] == 1
    assert same(registry.reader.title(vin).owner, registry.cast.buyer.address)


def test_sale_out_of_trust_is_recorded_and_the_title_stays(registry: Registry) -> None:
    vin = registry.title(registry.dealer)
    floor_plan = registry.lien(vin, registry.lender, floor_plan=True)
    result = registry.dealer.record_sale(vin, registry.cast.buyer.address, ref("sale"))
    event = result.event("SaleRecorded")
    assert event.args["floorPlanLienId"] == floor_plan
    assert event.args["titleTransferred"] is False
    assert result.all("TitleTransferred") == []
    assert same(registry.reader.title(vin).owner, registry.cast.dealer.address)
    assert registry.reader.lien(floor_plan).status == "ACTIVE"


def test_sale_after_floor_plan_payoff_transfers(registry: Registry) -> None:
    vin = registry.title(registry.dealer)
    floor_plan = registry.lien(vin, registry.lender, floor_plan=True)
    registry.lender.release_lien(floor_plan)
    event = registry.dealer.record_sale(vin, registry.cast.buyer.address, ref()).event(
        "SaleRecorded"
    )
    assert (event.args["floorPlanLienId"], event.args["titleTransferred"]) == (0, True)
    assert same(registry.reader.title(vin).owner, registry.cast.buyer.address)


def test_sale_with_the_floor_plan_lenders_release_transfers(registry: Registry) -> None:
    vin = registry.title(registry.dealer)
    floor_plan = registry.lien(vin, registry.lender, floor_plan=True)
    consent = registry.consent(registry.lender, vin, floor_plan, registry.buyer, release=True)
    result = registry.dealer.record_sale(vin, registry.cast.buyer.address, ref(), [consent])
    assert release_reason(result, floor_plan) == "TRANSFER_CONSENT"
    event = result.event("SaleRecorded")
    assert (event.args["floorPlanLienId"], event.args["titleTransferred"]) == (0, True)
    assert same(registry.reader.title(vin).owner, registry.cast.buyer.address)


def test_the_oldest_standing_floor_plan_lien_is_named(registry: Registry) -> None:
    vin = registry.title(registry.dealer)
    first = registry.lien(vin, registry.lender, floor_plan=True)
    registry.lien(vin, registry.lender2, floor_plan=False)
    registry.lien(vin, registry.lender2, floor_plan=True)
    event = registry.dealer.record_sale(vin, registry.cast.buyer.address, ref()).event(
        "SaleRecorded"
    )
    assert event.args["floorPlanLienId"] == first


def test_a_standing_ordinary_lien_blocks_the_transfer_but_is_no_out_of_trust(
    registry: Registry,
) -> None:
    vin = registry.title(registry.dealer)
    registry.lien(vin, registry.lender)
    event = registry.dealer.record_sale(vin, registry.cast.buyer.address, ref()).event(
        "SaleRecorded"
    )
    assert (event.args["floorPlanLienId"], event.args["titleTransferred"]) == (0, False)
    assert same(registry.reader.title(vin).owner, registry.cast.dealer.address)


@pytest.mark.parametrize("who", ["owner", "lender", "insurer", "registrar"])
def test_only_a_dealer_records_a_sale(registry: Registry, who: str) -> None:
    seller = registry.everyone[who]
    vin = registry.title(seller)
    with reverts("AccessControlUnauthorizedAccount"):
        seller.record_sale(vin, registry.cast.buyer.address, ref())


def test_a_dealer_sells_only_what_it_holds(registry: Registry) -> None:
    vin = registry.title(registry.owner)
    with reverts("RegistryNotTitleOwner"):
        registry.dealer.record_sale(vin, registry.cast.buyer.address, ref())


def test_a_dealer_cannot_sell_a_stolen_or_scrapped_vehicle(registry: Registry) -> None:
    for brand in ("stolen", "junk"):
        vin = registry.title(registry.dealer)
        registry.registrar.apply_brand(vin, brand)
        with reverts("RegistryTitleStatusForbids"):
            registry.dealer.record_sale(vin, registry.cast.buyer.address, ref())
