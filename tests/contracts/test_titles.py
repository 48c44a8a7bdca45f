"""Titles: issuance, VIN checks on chain, brands, odometer and plain transfers."""

from __future__ import annotations

import pytest

from registry.enums import Brand
from registry.vin import vin_to_bytes32
from tests.contracts.chainkit import ZERO_ADDRESS, DeployedRegistry, World, reverts, same


@pytest.fixture(scope="module")
def w(registry: DeployedRegistry) -> World:
    return World(registry)


def _issue_raw(w: World, raw: bytes) -> None:
    """issueTitle with a raw bytes32, bypassing the client's VIN validation."""
    w.registrar.transact(
        w.registrar.registry, "issueTitle", raw, w.cast.owner.address, 0, action="issuing raw"
    )


def _brand_raw(w: World, vin: str, brand: int) -> None:
    w.registrar.transact(
        w.registrar.registry, "applyBrand", vin_to_bytes32(vin), brand, action="branding raw"
    )


# ------------------------------------------------------------------ issuance


def test_registrar_issues_a_title(w: World) -> None:
    vin = w.new_vin()
    result = w.registrar.issue_title(vin, w.cast.owner.address, 12_345)
    event = result.event("TitleIssued")
    assert event.args["vin"] == vin
    assert same(event.args["owner"], w.cast.owner.address)
    assert same(event.args["registrar"], w.cast.registrar.address)
    title = w.reader.title(vin)
    assert (title.status, title.odometer, title.brands) == ("ACTIVE", 12_345, ())
    assert same(title.owner, w.cast.owner.address)
    assert (title.active_liens, title.transfers) == (0, 0)


@pytest.mark.parametrize("who", ["lender", "dealer", "insurer", "owner", "outsider"])
def test_only_the_registrar_issues_titles(w: World, who: str) -> None:
    with reverts("AccessControlUnauthorizedAccount"):
        w.everyone[who].issue_title(w.new_vin(), w.cast.owner.address)


def test_a_vin_gets_one_title_only(w: World) -> None:
    vin = w.title()
    with reverts("RegistryTitleExists"):
        w.registrar.issue_title(vin, w.cast.buyer.address)
    assert same(w.reader.title(vin).owner, w.cast.owner.address)


def test_a_title_needs_an_owner(w: World) -> None:
    with reverts("RegistryInvalidAddress"):
        w.registrar.issue_title(w.new_vin(), ZERO_ADDRESS)


def _malformed(vin: str) -> dict[str, bytes]:
    good = vin.encode()
    return {
        "letter I": good[:11] + b"I" + good[12:],
        "letter O": good[:11] + b"O" + good[12:],
        "letter Q": good[:11] + b"Q" + good[12:],
        "lowercase": good.lower().ljust(32, b"\x00"),
        "hyphen": good[:16] + b"-",
        "16 characters": good[:16],
        "18 characters": good + b"1",
        "right-aligned": good.rjust(32, b"\x00"),
        "junk after the padding": good.ljust(31, b"\x00") + b"\x01",
        "empty": b"",
    }


@pytest.mark.parametrize("case", list(_malformed("1HGCM82633A004352")))
def test_a_malformed_vin_is_refused_on_chain(w: World, case: str) -> None:
    raw = _malformed(w.new_vin())[case]
    raw = raw.ljust(32, b"\x00") if len(raw) < 32 else raw
    with reverts("RegistryInvalidVin", vin="0x" + raw.hex()):
        _issue_raw(w, raw)


def test_issue_titles_batch(w: World) -> None:
    vins = [w.new_vin() for _ in range(3)]
    owners = [w.cast.owner.address, w.cast.dealer.address, w.cast.buyer.address]
    result = w.registrar.issue_titles_batch(vins, owners, [1, 2, 3])
    assert [e.args["vin"] for e in result.all("TitleIssued")] == vins
    for vin, owner, odometer in zip(vins, owners, [1, 2, 3], strict=True):
        title = w.reader.title(vin)
        assert same(title.owner, owner)
        assert title.odometer == odometer


@pytest.mark.parametrize("lengths", [(2, 1, 2), (2, 2, 3)])
def test_issue_titles_batch_refuses_a_length_mismatch(
    w: World, lengths: tuple[int, int, int]
) -> None:
    vins = [w.new_vin() for _ in range(lengths[0])]
    with reverts("RegistryBatchLengthMismatch", expected=lengths[0]):
        w.registrar.issue_titles_batch(vins, [w.cast.owner.address] * lengths[1], [0] * lengths[2])
    assert not w.reader.title(vins[0]).exists


def test_issue_titles_batch_is_all_or_nothing(w: World) -> None:
    taken = w.title()
    fresh = w.new_vin()
    with reverts("RegistryTitleExists"):
        w.registrar.issue_titles_batch([fresh, taken], [w.cast.owner.address] * 2, [0, 0])
    assert not w.reader.title(fresh).exists


# -------------------------------------------------------------------- brands


def test_brands_are_recorded_and_never_erased(w: World) -> None:
    vin = w.title()
    w.registrar.apply_brand(vin, "flood")
    w.registrar.apply_brand(vin, "hail")
    assert w.reader.title(vin).brands == ("FLOOD", "HAIL")
    with reverts("RegistryBrandAlreadyApplied"):
        w.registrar.apply_brand(vin, "flood")
    assert w.reader.title(vin).status == "ACTIVE"


def test_rebuilt_needs_salvage_and_supersedes_it_without_erasing(w: World) -> None:
    vin = w.title()
    with reverts("RegistryBrandRequires", brand=1, requiredBrand=0):
        w.registrar.apply_brand(vin, "rebuilt")
    w.registrar.apply_brand(vin, "salvage")
    assert w.reader.title(vin).status == "TOTAL_LOSS"
    result = w.registrar.apply_brand(vin, "rebuilt")
    assert result.event("TitleStatusChanged").args["status"] == 1  # Active
    title = w.reader.title(vin)
    assert (title.status, title.brands) == ("ACTIVE", ("SALVAGE", "REBUILT"))


def test_recovered_theft_needs_stolen_and_keeps_it(w: World) -> None:
    vin = w.title()
    with reverts("RegistryBrandRequires", brand=6, requiredBrand=5):
        w.registrar.apply_brand(vin, "recovered-theft")
    w.registrar.apply_brand(vin, "stolen")
    assert w.reader.title(vin).status == "STOLEN"
    w.registrar.apply_brand(vin, "recovered-theft")
    title = w.reader.title(vin)
    assert (title.status, title.brands) == ("ACTIVE", ("STOLEN", "RECOVERED_THEFT"))


def test_stolen_blocks_transfers_and_liens_until_recovered(w: World) -> None:
    vin = w.title()
    w.registrar.apply_brand(vin, "stolen")
    with reverts("RegistryTitleStatusForbids", status=3):
        w.owner.transfer_title(vin, w.cast.buyer.address)
    with reverts("RegistryTitleStatusForbids"):
        w.lender.register_lien(vin)
    w.registrar.apply_brand(vin, "recovered-theft")
    w.lender.release_lien(w.lender.register_lien(vin).id)
    w.owner.transfer_title(vin, w.cast.buyer.address)
    assert same(w.reader.title(vin).owner, w.cast.buyer.address)


def test_salvage_does_not_lift_a_stolen_block(w: World) -> None:
    """A stolen vehicle branded salvage stays stolen; recovered, it is a total loss."""
    vin = w.title()
    w.registrar.apply_brand(vin, "stolen")
    w.registrar.apply_brand(vin, "salvage")
    assert w.reader.title(vin).status == "STOLEN"
    with reverts("RegistryTitleStatusForbids"):
        w.owner.transfer_title(vin, w.cast.buyer.address)
    w.registrar.apply_brand(vin, "recovered-theft")
    assert w.reader.title(vin).status == "TOTAL_LOSS"
    w.registrar.apply_brand(vin, "rebuilt")
    assert w.reader.title(vin).status == "ACTIVE"


def test_junk_scraps_the_title_for_good(w: World) -> None:
    vin = w.title()
    w.registrar.apply_brand(vin, "junk")
    assert w.reader.title(vin).status == "SCRAPPED"
    with reverts("RegistryTitleStatusForbids", status=4):
        w.owner.transfer_title(vin, w.cast.buyer.address)
    with reverts("RegistryTitleStatusForbids", status=4):
        w.lender.register_lien(vin)
    for brand in ("salvage", "rebuilt", "stolen", "recovered-theft"):
        w.registrar.apply_brand(vin, brand)
        assert w.reader.title(vin).status == "SCRAPPED"
    assert set(w.reader.title(vin).brands) >= {"JUNK", "SALVAGE", "REBUILT", "STOLEN"}


def test_an_unknown_brand_is_refused(w: World) -> None:
    vin = w.title()
    with reverts("RegistryUnknownBrand", brand=len(Brand)):
        _brand_raw(w, vin, len(Brand))


def test_branding_needs_an_existing_title(w: World) -> None:
    with reverts("RegistryTitleNotFound"):
        w.registrar.apply_brand(w.new_vin(), "flood")


@pytest.mark.parametrize("who", ["lender", "dealer", "insurer", "owner"])
def test_only_the_registrar_brands(w: World, who: str) -> None:
    vin = w.title()
    with reverts("AccessControlUnauthorizedAccount"):
        w.everyone[who].apply_brand(vin, "salvage")


# ------------------------------------------------------------------ odometer


@pytest.mark.parametrize("who", ["owner", "dealer", "insurer", "registrar"])
def test_odometer_recorders(w: World, who: str) -> None:
    vin = w.title(odometer=1_000)
    result = w.everyone[who].record_odometer(vin, 1_500)
    assert result.event("OdometerRecorded").args["notActual"] is False
    w.everyone[who].record_odometer(vin, 1_500)  # the same reading again is no rollback
    assert w.reader.title(vin).odometer == 1_500


@pytest.mark.parametrize("who", ["lender", "buyer", "outsider"])
def test_others_may_not_record_odometer(w: World, who: str) -> None:
    vin = w.title(odometer=1_000)
    with reverts("RegistryNotOdometerRecorder"):
        w.everyone[who].record_odometer(vin, 2_000)


@pytest.mark.parametrize("who", ["owner", "dealer", "insurer", "registrar"])
def test_odometer_only_goes_up(w: World, who: str) -> None:
    vin = w.title(odometer=50_000)
    with reverts("RegistryOdometerRollback", current=50_000, reading=49_999):
        w.everyone[who].record_odometer(vin, 49_999)
    assert w.reader.title(vin).odometer == 50_000


def test_registrar_corrects_a_lower_reading_with_odometer_not_actual(w: World) -> None:
    vin = w.title(odometer=90_000)
    result = w.registrar.correct_odometer(vin, 30_000)
    assert result.event("OdometerRecorded").args["notActual"] is True
    assert result.event("BrandApplied").args["brand"] == Brand.ODOMETER_NOT_ACTUAL.chain_index
    title = w.reader.title(vin)
    assert (title.odometer, title.brands) == (30_000, ("ODOMETER_NOT_ACTUAL",))
    again = w.registrar.correct_odometer(vin, 20_000)
    assert again.all("BrandApplied") == []
    w.owner.record_odometer(vin, 21_000)
    assert w.reader.title(vin).brands == ("ODOMETER_NOT_ACTUAL",)


@pytest.mark.parametrize("who", ["owner", "dealer", "insurer", "lender"])
def test_only_the_registrar_corrects_odometer(w: World, who: str) -> None:
    vin = w.title(odometer=90_000)
    with reverts("AccessControlUnauthorizedAccount"):
        w.everyone[who].correct_odometer(vin, 10)


def test_odometer_of_an_unknown_title_is_refused(w: World) -> None:
    with reverts("RegistryTitleNotFound"):
        w.registrar.record_odometer(w.new_vin(), 5)
    with reverts("RegistryTitleNotFound"):
        w.registrar.correct_odometer(w.new_vin(), 5)


# ----------------------------------------------------------------- transfers


def test_owner_transfers_a_free_title(w: World) -> None:
    vin = w.title()
    result = w.owner.transfer_title(vin, w.cast.buyer.address)
    event = result.event("TitleTransferred")
    assert same(event.args["from"], w.cast.owner.address)
    assert same(event.args["to"], w.cast.buyer.address)
    assert event.args["nonce"] == 1
    title = w.reader.title(vin)
    assert same(title.owner, w.cast.buyer.address)
    assert title.transfers == 1
    w.buyer.transfer_title(vin, w.cast.owner.address)
    assert w.reader.title(vin).transfers == 2


@pytest.mark.parametrize("who", ["registrar", "lender", "dealer", "buyer", "outsider"])
def test_only_the_owner_transfers(w: World, who: str) -> None:
    vin = w.title()
    with reverts("RegistryNotTitleOwner"):
        w.everyone[who].transfer_title(vin, w.cast.outsider.address)


def test_transfer_to_nobody_or_to_oneself_is_refused(w: World) -> None:
    vin = w.title()
    for to in (ZERO_ADDRESS, w.cast.owner.address):
        with reverts("RegistryInvalidAddress"):
            w.owner.transfer_title(vin, to)


def test_transfer_of_an_unknown_title_is_refused(w: World) -> None:
    with reverts("RegistryTitleNotFound"):
        w.owner.transfer_title(w.new_vin(), w.cast.buyer.address)


def test_transfer_refused_while_a_lien_stands(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    with reverts("RegistryActiveLiens", activeLiens=1):
        w.owner.transfer_title(vin, w.cast.buyer.address)
    w.lender.release_lien(lien_id)
    w.owner.transfer_title(vin, w.cast.buyer.address)
    assert same(w.reader.title(vin).owner, w.cast.buyer.address)


def test_a_total_loss_can_still_be_sold(w: World) -> None:
    vin = w.title()
    w.registrar.apply_brand(vin, "salvage")
    w.owner.transfer_title(vin, w.cast.buyer.address)
    title = w.reader.title(vin)
    assert (title.status, title.brands) == ("TOTAL_LOSS", ("SALVAGE",))
