"""Titles: issuance, VIN checks on chain, brands, odometer and plain transfers."""

from __future__ import annotations

import pytest

from registry.enums import Brand
from registry.vin import vin_to_bytes32
from tests.kit.chain import ZERO_ADDRESS, Registry
from tests.kit.expect import reverts, same
from tests.kit.vins import fresh_vin


def _issue_raw(registry: Registry, raw: bytes) -> None:
    """issueTitle with a raw bytes32, bypassing the client's VIN validation."""
    registry.registrar.transact(
        registry.registrar.registry,
        "issueTitle",
        raw,
        registry.cast.owner.address,
        0,
        action="issuing raw",
    )


def _brand_raw(registry: Registry, vin: str, brand: int) -> None:
    registry.registrar.transact(
        registry.registrar.registry, "applyBrand", vin_to_bytes32(vin), brand, action="branding raw"
    )


# ------------------------------------------------------------------ issuance


def test_registrar_issues_a_title(registry: Registry) -> None:
    vin = fresh_vin()
    result = registry.registrar.issue_title(vin, registry.cast.owner.address, 12_345)
    event = result.event("TitleIssued")
    assert event.args["vin"] == vin
    assert same(event.args["owner"], registry.cast.owner.address)
    assert same(event.args["registrar"], registry.cast.registrar.address)
    title = registry.reader.title(vin)
    assert (title.status, title.odometer, title.brands) == ("ACTIVE", 12_345, ())
    assert same(title.owner, registry.cast.owner.address)
    assert (title.active_liens, title.transfers) == (0, 0)


@pytest.mark.parametrize("who", ["lender", "dealer", "insurer", "owner", "outsider"])
def test_only_the_registrar_issues_titles(registry: Registry, who: str) -> None:
    with reverts("AccessControlUnauthorizedAccount"):
        registry.everyone[who].issue_title(fresh_vin(), registry.cast.owner.address)


def test_a_vin_gets_one_title_only(registry: Registry) -> None:
    vin = registry.title()
    with reverts("RegistryTitleExists"):
        registry.registrar.issue_title(vin, registry.cast.buyer.address)
    assert same(registry.reader.title(vin).owner, registry.cast.owner.address)


def test_a_title_needs_an_owner(registry: Registry) -> None:
    with reverts("RegistryInvalidAddress"):
        registry.registrar.issue_title(fresh_vin(), ZERO_ADDRESS)


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
def test_a_malformed_vin_is_refused_on_chain(registry: Registry, case: str) -> None:
    raw = _malformed(fresh_vin())[case]
    raw = raw.ljust(32, b"\x00") if len(raw) < 32 else raw
    with reverts("RegistryInvalidVin", vin="0x" + raw.hex()):
        _issue_raw(registry, raw)


def test_issue_titles_batch(registry: Registry) -> None:
    vins = [fresh_vin() for _ in range(3)]
    owners = [
        registry.cast.owner.address,
        registry.cast.dealer.address,
        registry.cast.buyer.address,
    ]
    result = registry.registrar.issue_titles_batch(vins, owners, [1, 2, 3])
    assert [e.args["vin"] for e in result.all("TitleIssued")] == vins
    for vin, owner, odometer in zip(vins, owners, [1, 2, 3], strict=True):
        title = registry.reader.title(vin)
        assert same(title.owner, owner)
        assert title.odometer == odometer


@pytest.mark.parametrize("lengths", [(2, 1, 2), (2, 2, 3)])
def test_issue_titles_batch_refuses_a_length_mismatch(
    registry: Registry, lengths: tuple[int, int, int]
) -> None:
    vins = [fresh_vin() for _ in range(lengths[0])]
    with reverts("RegistryBatchLengthMismatch", expected=lengths[0]):
        registry.registrar.issue_titles_batch(
            vins, [registry.cast.owner.address] * lengths[1], [0] * lengths[2]
        )
    assert not registry.reader.title(vins[0]).exists


def test_issue_titles_batch_is_all_or_nothing(registry: Registry) -> None:
    taken = registry.title()
    fresh = fresh_vin()
    with reverts("RegistryTitleExists"):
        registry.registrar.issue_titles_batch(
            [fresh, taken], [registry.cast.owner.address] * 2, [0, 0]
        )
    assert not registry.reader.title(fresh).exists


# -------------------------------------------------------------------- brands


def test_brands_are_recorded_and_never_erased(registry: Registry) -> None:
    vin = registry.title()
    registry.registrar.apply_brand(vin, "flood")
    registry.registrar.apply_brand(vin, "hail")
    assert registry.reader.title(vin).brands == ("FLOOD", "HAIL")
    with reverts("RegistryBrandAlreadyApplied"):
        registry.registrar.apply_brand(vin, "flood")
    assert registry.reader.title(vin).status == "ACTIVE"


def test_rebuilt_needs_salvage_and_supersedes_it_without_erasing(registry: Registry) -> None:
    vin = registry.title()
    with reverts("RegistryBrandRequires", brand=1, requiredBrand=0):
        registry.registrar.apply_brand(vin, "rebuilt")
    registry.registrar.apply_brand(vin, "salvage")
    assert registry.reader.title(vin).status == "TOTAL_LOSS"
    result = registry.registrar.apply_brand(vin, "rebuilt")
    assert result.event("TitleStatusChanged").args["status"] == 1  # Active
    title = registry.reader.title(vin)
    assert (title.status, title.brands) == ("ACTIVE", ("SALVAGE", "REBUILT"))


def test_recovered_theft_needs_stolen_and_keeps_it(registry: Registry) -> None:
    vin = registry.title()
    with reverts("RegistryBrandRequires", brand=6, requiredBrand=5):
        registry.registrar.apply_brand(vin, "recovered-theft")
    registry.registrar.apply_brand(vin, "stolen")
    assert registry.reader.title(vin).status == "STOLEN"
    registry.registrar.apply_brand(vin, "recovered-theft")
    title = registry.reader.title(vin)
    assert (title.status, title.brands) == ("ACTIVE", ("STOLEN", "RECOVERED_THEFT"))


def test_stolen_blocks_transfers_and_liens_until_recovered(registry: Registry) -> None:
    vin = registry.title()
    registry.registrar.apply_brand(vin, "stolen")
    with reverts("RegistryTitleStatusForbids", status=3):
        registry.owner.transfer_title(vin, registry.cast.buyer.address)
    with reverts("RegistryTitleStatusForbids"):
        registry.lender.register_lien(vin)
    registry.registrar.apply_brand(vin, "recovered-theft")
    registry.lender.release_lien(registry.lender.register_lien(vin).id)
    registry.owner.transfer_title(vin, registry.cast.buyer.address)
    assert same(registry.reader.title(vin).owner, registry.cast.buyer.address)


def test_salvage_does_not_lift_a_stolen_block(registry: Registry) -> None:
    """A stolen vehicle branded salvage stays stolen; recovered, it is a total loss."""
    vin = registry.title()
    registry.registrar.apply_brand(vin, "stolen")
    registry.registrar.apply_brand(vin, "salvage")
    assert registry.reader.title(vin).status == "STOLEN"
    with reverts("RegistryTitleStatusForbids"):
        registry.owner.transfer_title(vin, registry.cast.buyer.address)
    registry.registrar.apply_brand(vin, "recovered-theft")
    assert registry.reader.title(vin).status == "TOTAL_LOSS"
    registry.registrar.apply_brand(vin, "rebuilt")
    assert registry.reader.title(vin).status == "ACTIVE"


def test_junk_scraps_the_title_for_good(registry: Registry) -> None:
    vin = registry.title()
    registry.registrar.apply_brand(vin, "junk")
    assert registry.reader.title(vin).status == "SCRAPPED"
    with reverts("RegistryTitleStatusForbids", status=4):
        registry.owner.transfer_title(vin, registry.cast.buyer.address)
    with reverts("RegistryTitleStatusForbids", status=4):
        registry.lender.register_lien(vin)
    for brand in ("salvage", "rebuilt", "stolen", "recovered-theft"):
        registry.registrar.apply_brand(vin, brand)
        assert registry.reader.title(vin).status == "SCRAPPED"
    assert set(registry.reader.title(vin).brands) >= {"JUNK", "SALVAGE", "REBUILT", "STOLEN"}


def test_an_unknown_brand_is_refused(registry: Registry) -> None:
    vin = registry.title()
    with reverts("RegistryUnknownBrand", brand=len(Brand)):
        _brand_raw(registry, vin, len(Brand))


def test_branding_needs_an_existing_title(registry: Registry) -> None:
    with reverts("RegistryTitleNotFound"):
        registry.registrar.apply_brand(fresh_vin(), "flood")


@pytest.mark.parametrize("who", ["lender", "dealer", "insurer", "owner"])
def test_only_the_registrar_brands(registry: Registry, who: str) -> None:
    vin = registry.title()
    with reverts("AccessControlUnauthorizedAccount"):
        registry.everyone[who].apply_brand(vin, "salvage")


# ------------------------------------------------------------------ odometer


@pytest.mark.parametrize("who", ["owner", "dealer", "insurer", "registrar"])
def test_odometer_recorders(registry: Registry, who: str) -> None:
    vin = registry.title(odometer=1_000)
    result = registry.everyone[who].record_odometer(vin, 1_500)
    assert result.event("OdometerRecorded").args["notActual"] is False
    registry.everyone[who].record_odometer(vin, 1_500)  # the same reading again is no rollback
    assert registry.reader.title(vin).odometer == 1_500


@pytest.mark.parametrize("who", ["lender", "buyer", "outsider"])
def test_others_may_not_record_odometer(registry: Registry, who: str) -> None:
    vin = registry.title(odometer=1_000)
    with reverts("RegistryNotOdometerRecorder"):
        registry.everyone[who].record_odometer(vin, 2_000)


@pytest.mark.parametrize("who", ["owner", "dealer", "insurer", "registrar"])
def test_odometer_only_goes_up(registry: Registry, who: str) -> None:
    vin = registry.title(odometer=50_000)
    with reverts("RegistryOdometerRollback", current=50_000, reading=49_999):
        registry.everyone[who].record_odometer(vin, 49_999)
    assert registry.reader.title(vin).odometer == 50_000


def test_registrar_corrects_a_lower_reading_with_odometer_not_actual(registry: Registry) -> None:
    vin = registry.title(odometer=90_000)
    result = registry.registrar.correct_odometer(vin, 30_000)
    assert result.event("OdometerRecorded").args["notActual"] is True
    assert result.event("BrandApplied").args["brand"] == Brand.ODOMETER_NOT_ACTUAL.chain_index
    title = registry.reader.title(vin)
    assert (title.odometer, title.brands) == (30_000, ("ODOMETER_NOT_ACTUAL",))
    again = registry.registrar.correct_odometer(vin, 20_000)
    assert again.all("BrandApplied") == []
    registry.owner.record_odometer(vin, 21_000)
    assert registry.reader.title(vin).brands == ("ODOMETER_NOT_ACTUAL",)


@pytest.mark.parametrize("who", ["owner", "dealer", "insurer", "lender"])
def test_only_the_registrar_corrects_odometer(registry: Registry, who: str) -> None:
    vin = registry.title(odometer=90_000)
    with reverts("AccessControlUnauthorizedAccount"):
        registry.everyone[who].correct_odometer(vin, 10)


def test_odometer_of_an_unknown_title_is_refused(registry: Registry) -> None:
    with reverts("RegistryTitleNotFound"):
        registry.registrar.record_odometer(fresh_vin(), 5)
    with reverts("RegistryTitleNotFound"):
        registry.registrar.correct_odometer(fresh_vin(), 5)


# ----------------------------------------------------------------- transfers


def test_owner_transfers_a_free_title(registry: Registry) -> None:
    vin = registry.title()
    result = registry.owner.transfer_title(vin, registry.cast.buyer.address)
    event = result.event("TitleTransferred")
    assert same(event.args["from"], registry.cast.owner.address)
    assert same(event.args["to"], registry.cast.buyer.address)
    assert event.args["nonce"] == 1
    title = registry.reader.title(vin)
    assert same(title.owner, registry.cast.buyer.address)
    assert title.transfers == 1
    registry.buyer.transfer_title(vin, registry.cast.owner.address)
    assert registry.reader.title(vin).transfers == 2


@pytest.mark.parametrize("who", ["registrar", "lender", "dealer", "buyer", "outsider"])
def test_only_the_owner_transfers(registry: Registry, who: str) -> None:
    vin = registry.title()
    with reverts("RegistryNotTitleOwner"):
        registry.everyone[who].transfer_title(vin, registry.cast.outsider.address)


def test_transfer_to_nobody_or_to_oneself_is_refused(registry: Registry) -> None:
    vin = registry.title()
    for to in (ZERO_ADDRESS, registry.cast.owner.address):
        with reverts("RegistryInvalidAddress"):
            registry.owner.transfer_title(vin, to)


def test_transfer_of_an_unknown_title_is_refused(registry: Registry) -> None:
    with reverts("RegistryTitleNotFound"):
        registry.owner.transfer_title(fresh_vin(), registry.cast.buyer.address)


def test_transfer_refused_while_a_lien_stands(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    with reverts("RegistryActiveLiens", activeLiens=1):
        registry.owner.transfer_title(vin, registry.cast.buyer.address)
    registry.lender.release_lien(lien_id)
    registry.owner.transfer_title(vin, registry.cast.buyer.address)
    assert same(registry.reader.title(vin).owner, registry.cast.buyer.address)


def test_a_total_loss_can_still_be_sold(registry: Registry) -> None:
    vin = registry.title()
    registry.registrar.apply_brand(vin, "salvage")
    registry.owner.transfer_title(vin, registry.cast.buyer.address)
    title = registry.reader.title(vin)
    assert (title.status, title.brands) == ("TOTAL_LOSS", ("SALVAGE",))
