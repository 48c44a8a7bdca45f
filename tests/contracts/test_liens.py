"""Liens: registration, priority by registration order, release and assignment keep history."""

from __future__ import annotations

import pytest

from tests.kit.chain import Registry
from tests.kit.expect import release_reason, reverts, same
from tests.kit.vins import fresh_vin


def test_lender_registers_a_lien(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    lien = registry.reader.lien(lien_id)
    assert (lien.vin, lien.status, lien.floor_plan, lien.priority) == (vin, "ACTIVE", False, 1)
    assert same(lien.holder, registry.cast.lender.address)
    assert registry.reader.title(vin).active_liens == 1
    assert registry.reader.active_liens(vin) == [lien_id]


def test_lien_registered_event(registry: Registry) -> None:
    vin = registry.title()
    result = registry.lender.register_lien(vin, floor_plan=True)
    event = result.event("LienRegistered")
    assert event.args["vin"] == vin
    assert same(event.args["holder"], registry.cast.lender.address)
    assert event.args["floorPlan"] is True


@pytest.mark.parametrize("who", ["registrar", "dealer", "insurer", "owner", "outsider"])
def test_only_a_lender_registers_a_lien(registry: Registry, who: str) -> None:
    vin = registry.title()
    with reverts("AccessControlUnauthorizedAccount"):
        registry.everyone[who].register_lien(vin)


def test_a_lien_needs_a_title(registry: Registry) -> None:
    with reverts("RegistryTitleNotFound"):
        registry.lender.register_lien(fresh_vin())


def test_a_second_lien_is_legal_and_visible(registry: Registry) -> None:
    """Double pledging is not refused: it is made visible to everyone."""
    vin = registry.title()
    first = registry.lien(vin, registry.lender)
    second = registry.lien(vin, registry.lender2)
    assert registry.reader.active_liens(vin) == [first, second]
    assert [registry.reader.lien(i).priority for i in (first, second)] == [1, 2]
    assert registry.reader.title(vin).active_liens == 2


def test_priority_is_registration_order_among_active_liens(registry: Registry) -> None:
    vin = registry.title()
    ids = [
        registry.lien(vin, registry.lender),
        registry.lien(vin, registry.lender2),
        registry.lien(vin, registry.lender),
    ]
    assert [registry.reader.lien(i).priority for i in ids] == [1, 2, 3]
    registry.lender.release_lien(ids[0])
    assert [registry.reader.lien(i).priority for i in ids] == [0, 1, 2]
    assert registry.reader.active_liens(vin) == ids[1:]
    fourth = registry.lien(vin, registry.lender2)
    registry.lender.release_lien(ids[2])
    assert registry.reader.active_liens(vin) == [ids[1], fourth]
    assert [registry.reader.lien(i).priority for i in (ids[1], fourth)] == [1, 2]
    assert registry.reader.liens_of(vin) == [*ids, fourth]


def test_release_keeps_the_history(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    result = registry.lender.release_lien(lien_id)
    assert release_reason(result, lien_id) == "VOLUNTARY"
    lien = registry.reader.lien(lien_id)
    assert (lien.status, lien.priority, lien.vin) == ("RELEASED", 0, vin)
    assert registry.reader.liens_of(vin) == [lien_id]
    assert registry.reader.active_liens(vin) == []
    assert registry.reader.title(vin).active_liens == 0


@pytest.mark.parametrize("who", ["registrar", "lender2", "dealer", "owner", "outsider"])
def test_only_the_lienholder_releases(registry: Registry, who: str) -> None:
    lien_id = registry.lien(registry.title())
    with reverts("RegistryNotLienholder", lienId=lien_id, holder=registry.cast.lender.address):
        registry.everyone[who].release_lien(lien_id)


def test_a_lien_is_released_once(registry: Registry) -> None:
    lien_id = registry.lien(registry.title())
    registry.lender.release_lien(lien_id)
    with reverts("RegistryLienNotActive", lienId=lien_id, status=2):
        registry.lender.release_lien(lien_id)


def test_release_of_an_unknown_lien_is_refused(registry: Registry) -> None:
    unknown = registry.reader.read(registry.reader.registry, "nextLienId") + 1000
    with reverts("RegistryLienNotFound", lienId=unknown):
        registry.lender.release_lien(unknown)


def test_assignment_keeps_id_priority_and_history(registry: Registry) -> None:
    vin = registry.title()
    senior = registry.lien(vin, registry.lender)
    junior = registry.lien(vin, registry.lender2)
    result = registry.lender.assign_lien(senior, registry.cast.lender2.address)
    event = result.event("LienAssigned")
    assert (event.args["lienId"], event.args["vin"]) == (senior, vin)
    assert same(event.args["from"], registry.cast.lender.address)
    assert same(event.args["to"], registry.cast.lender2.address)
    lien = registry.reader.lien(senior)
    assert (lien.status, lien.priority) == ("ACTIVE", 1)
    assert same(lien.holder, registry.cast.lender2.address)
    assert registry.reader.active_liens(vin) == [senior, junior]
    with reverts("RegistryNotLienholder"):
        registry.lender.release_lien(senior)
    registry.lender2.release_lien(senior)
    assert registry.reader.liens_of(vin) == [senior, junior]


@pytest.mark.parametrize("to", ["dealer", "insurer", "owner", "registrar"])
def test_a_lien_is_assigned_only_to_a_lender(registry: Registry, to: str) -> None:
    lien_id = registry.lien(registry.title())
    with reverts("RegistryNotLender"):
        registry.lender.assign_lien(lien_id, registry.everyone[to].address)
    assert same(registry.reader.lien(lien_id).holder, registry.cast.lender.address)


def test_a_lien_is_not_assigned_to_its_holder(registry: Registry) -> None:
    lien_id = registry.lien(registry.title())
    with reverts("RegistryInvalidAddress"):
        registry.lender.assign_lien(lien_id, registry.cast.lender.address)


@pytest.mark.parametrize("who", ["lender2", "registrar", "owner"])
def test_only_the_lienholder_assigns(registry: Registry, who: str) -> None:
    lien_id = registry.lien(registry.title())
    with reverts("RegistryNotLienholder"):
        registry.everyone[who].assign_lien(lien_id, registry.cast.lender2.address)


def test_a_released_lien_is_not_assigned(registry: Registry) -> None:
    lien_id = registry.lien(registry.title())
    registry.lender.release_lien(lien_id)
    with reverts("RegistryLienNotActive"):
        registry.lender.assign_lien(lien_id, registry.cast.lender2.address)


def test_register_liens_batch(registry: Registry) -> None:
    vins = [registry.title(), registry.title(), registry.title()]
    result = registry.lender.register_liens_batch(vins, [True, False, True])
    events = result.all("LienRegistered")
    ids = [e.args["lienId"] for e in events]
    assert ids == list(range(ids[0], ids[0] + 3))
    assert [e.args["vin"] for e in events] == vins
    assert [registry.reader.lien(i).floor_plan for i in ids] == [True, False, True]


def test_register_liens_batch_refuses_a_length_mismatch(registry: Registry) -> None:
    vins = [registry.title(), registry.title()]
    with reverts("RegistryBatchLengthMismatch", expected=2, actual=1):
        registry.lender.register_liens_batch(vins, [False])
    assert registry.reader.title(vins[0]).active_liens == 0


def test_register_liens_batch_is_all_or_nothing(registry: Registry) -> None:
    good = registry.title()
    with reverts("RegistryTitleNotFound"):
        registry.lender.register_liens_batch([good, fresh_vin()], [False, False])
    assert registry.reader.liens_of(good) == []
