"""issueTitlesBatch with the brands a title office's register already carries, and the batch
views an import checks its rows against."""

from __future__ import annotations

from registry.contracts import brand_mask
from registry.enums import Brand, TitleStatus
from tests.kit.chain import Registry
from tests.kit.expect import reverts
from tests.kit.vins import fresh_vin


def test_brands_come_with_the_title_and_keep_their_history(registry: Registry) -> None:
    vins = [fresh_vin() for _ in range(4)]
    masks = [
        0,
        brand_mask(["SALVAGE", "REBUILT"]),
        brand_mask(["flood", "junk"]),
        brand_mask(["stolen"]),
    ]
    owner = registry.cast.owner.address
    result = registry.registrar.issue_titles_batch(vins, [owner] * 4, [1, 2, 3, 4], masks)
    applied = [(e.args["vin"], e.args["brand"]) for e in result.all("BrandApplied")]
    assert applied == [
        (vins[1], Brand.SALVAGE.chain_index), (vins[1], Brand.REBUILT.chain_index),
        (vins[2], Brand.FLOOD.chain_index), (vins[2], Brand.JUNK.chain_index),
        (vins[3], Brand.STOLEN.chain_index),
    ]  # fmt: skip
    titles = [registry.reader.title(v) for v in vins]
    assert [t.status for t in titles] == [
        TitleStatus.ACTIVE, TitleStatus.ACTIVE, TitleStatus.SCRAPPED, TitleStatus.STOLEN,
    ]  # fmt: skip
    assert titles[1].brands == (Brand.SALVAGE, Brand.REBUILT)
    assert [t.odometer for t in titles] == [1, 2, 3, 4]


def test_an_impossible_brand_history_refuses_the_batch(registry: Registry) -> None:
    vins = [fresh_vin(), fresh_vin()]
    owner = registry.cast.owner.address
    with reverts("RegistryBrandRequires", vin=vins[1], requiredBrand=Brand.SALVAGE.chain_index):
        registry.registrar.issue_titles_batch(
            vins, [owner] * 2, [0, 0], [0, brand_mask(["REBUILT"])]
        )
    with reverts("RegistryUnknownBrand", brand=12):
        registry.registrar.issue_titles_batch(vins, [owner] * 2, [0, 0], [0, 1 << 12])
    with reverts("RegistryBatchLengthMismatch", expected=2, actual=1):
        registry.registrar.issue_titles_batch(vins, [owner] * 2, [0, 0], [0])
    assert [s for s, _, _ in registry.reader.titles_of(vins)] == [TitleStatus.NONE] * 2


def test_titles_of_answers_many_at_once(registry: Registry) -> None:
    clean = registry.title()
    stolen = fresh_vin()
    owner = registry.cast.owner.address
    registry.registrar.issue_titles_batch([stolen], [owner], [5], [brand_mask(["STOLEN"])])
    registry.lien(clean)
    missing = fresh_vin()
    assert registry.reader.titles_of([clean, stolen, missing]) == [
        (TitleStatus.ACTIVE, 0, 1),
        (TitleStatus.STOLEN, brand_mask(["STOLEN"]), 0),
        (TitleStatus.NONE, 0, 0),
    ]


def test_liens_held_on_names_the_holders_own_active_lien(registry: Registry) -> None:
    vin_a, vin_b, vin_c = registry.title(), registry.title(), registry.title()
    mine = registry.lien(vin_a)
    registry.lien(vin_b, registry.lender2)
    released = registry.lien(vin_c)
    registry.lender.release_lien(released)
    later = registry.lien(vin_c)
    holder = registry.cast.lender.address
    assert registry.reader.liens_held_on([vin_a, vin_b, vin_c], holder) == [mine, 0, later]
