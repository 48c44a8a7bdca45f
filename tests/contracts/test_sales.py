"""Dealer sales: the title passes when no lien stands; a floor-plan lien standing is named."""

from __future__ import annotations

import pytest

from tests.contracts.chainkit import DeployedRegistry, World, ref, release_reason, reverts, same


@pytest.fixture(scope="module")
def w(registry: DeployedRegistry) -> World:
    return World(registry)


def test_sale_without_liens_transfers(w: World) -> None:
    vin = w.title(w.dealer)
    sale = ref("sale")
    result = w.dealer.record_sale(vin, w.cast.buyer.address, sale)
    event = result.event("SaleRecorded")
    assert (event.args["floorPlanLienId"], event.args["titleTransferred"]) == (0, True)
    assert event.args["saleRef"] == "0x" + sale.hex()
    assert same(event.args["buyer"], w.cast.buyer.address)
    assert result.event("TitleTransferred").args["nonce"] == 1
    assert same(w.reader.title(vin).owner, w.cast.buyer.address)


def test_sale_out_of_trust_is_recorded_and_the_title_stays(w: World) -> None:
    vin = w.title(w.dealer)
    floor_plan = w.lien(vin, w.lender, floor_plan=True)
    result = w.dealer.record_sale(vin, w.cast.buyer.address, ref("sale"))
    event = result.event("SaleRecorded")
    assert event.args["floorPlanLienId"] == floor_plan
    assert event.args["titleTransferred"] is False
    assert result.all("TitleTransferred") == []
    assert same(w.reader.title(vin).owner, w.cast.dealer.address)
    assert w.reader.lien(floor_plan).status == "ACTIVE"


def test_sale_after_floor_plan_payoff_transfers(w: World) -> None:
    vin = w.title(w.dealer)
    floor_plan = w.lien(vin, w.lender, floor_plan=True)
    w.lender.release_lien(floor_plan)
    event = w.dealer.record_sale(vin, w.cast.buyer.address, ref()).event("SaleRecorded")
    assert (event.args["floorPlanLienId"], event.args["titleTransferred"]) == (0, True)
    assert same(w.reader.title(vin).owner, w.cast.buyer.address)


def test_sale_with_the_floor_plan_lenders_release_transfers(w: World) -> None:
    vin = w.title(w.dealer)
    floor_plan = w.lien(vin, w.lender, floor_plan=True)
    consent = w.consent(w.lender, vin, floor_plan, w.buyer, release=True)
    result = w.dealer.record_sale(vin, w.cast.buyer.address, ref(), [consent])
    assert release_reason(result, floor_plan) == "TRANSFER_CONSENT"
    event = result.event("SaleRecorded")
    assert (event.args["floorPlanLienId"], event.args["titleTransferred"]) == (0, True)
    assert same(w.reader.title(vin).owner, w.cast.buyer.address)


def test_the_oldest_standing_floor_plan_lien_is_named(w: World) -> None:
    vin = w.title(w.dealer)
    first = w.lien(vin, w.lender, floor_plan=True)
    w.lien(vin, w.lender2, floor_plan=False)
    w.lien(vin, w.lender2, floor_plan=True)
    event = w.dealer.record_sale(vin, w.cast.buyer.address, ref()).event("SaleRecorded")
    assert event.args["floorPlanLienId"] == first


def test_a_standing_ordinary_lien_blocks_the_transfer_but_is_no_out_of_trust(w: World) -> None:
    vin = w.title(w.dealer)
    w.lien(vin, w.lender)
    event = w.dealer.record_sale(vin, w.cast.buyer.address, ref()).event("SaleRecorded")
    assert (event.args["floorPlanLienId"], event.args["titleTransferred"]) == (0, False)
    assert same(w.reader.title(vin).owner, w.cast.dealer.address)


@pytest.mark.parametrize("who", ["owner", "lender", "insurer", "registrar"])
def test_only_a_dealer_records_a_sale(w: World, who: str) -> None:
    seller = w.everyone[who]
    vin = w.title(seller)
    with reverts("AccessControlUnauthorizedAccount"):
        seller.record_sale(vin, w.cast.buyer.address, ref())


def test_a_dealer_sells_only_what_it_holds(w: World) -> None:
    vin = w.title(w.owner)
    with reverts("RegistryNotTitleOwner"):
        w.dealer.record_sale(vin, w.cast.buyer.address, ref())


def test_a_dealer_cannot_sell_a_stolen_or_scrapped_vehicle(w: World) -> None:
    for brand in ("stolen", "junk"):
        vin = w.title(w.dealer)
        w.registrar.apply_brand(vin, brand)
        with reverts("RegistryTitleStatusForbids"):
            w.dealer.record_sale(vin, w.cast.buyer.address, ref())
