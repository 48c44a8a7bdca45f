"""Liens: registration, priority by registration order, release and assignment keep history."""

from __future__ import annotations

import pytest

from tests.contracts.chainkit import DeployedRegistry, World, release_reason, reverts, same


@pytest.fixture(scope="module")
def w(registry: DeployedRegistry) -> World:
    return World(registry)


def test_lender_registers_a_lien(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    lien = w.reader.lien(lien_id)
    assert (lien.vin, lien.status, lien.floor_plan, lien.priority) == (vin, "ACTIVE", False, 1)
    assert same(lien.holder, w.cast.lender.address)
    assert w.reader.title(vin).active_liens == 1
    assert w.reader.active_liens(vin) == [lien_id]


def test_lien_registered_event(w: World) -> None:
    vin = w.title()
    result = w.lender.register_lien(vin, floor_plan=True)
    event = result.event("LienRegistered")
    assert event.args["vin"] == vin
    assert same(event.args["holder"], w.cast.lender.address)
    assert event.args["floorPlan"] is True


@pytest.mark.parametrize("who", ["registrar", "dealer", "insurer", "owner", "outsider"])
def test_only_a_lender_registers_a_lien(w: World, who: str) -> None:
    vin = w.title()
    with reverts("AccessControlUnauthorizedAccount"):
        w.everyone[who].register_lien(vin)


def test_a_lien_needs_a_title(w: World) -> None:
    with reverts("RegistryTitleNotFound"):
        w.lender.register_lien(w.new_vin())


def test_a_second_lien_is_legal_and_visible(w: World) -> None:
    """Double pledging is not refused: it is made visible to everyone."""
    vin = w.title()
    first = w.lien(vin, w.lender)
    second = w.lien(vin, w.lender2)
    assert w.reader.active_liens(vin) == [first, second]
    assert [w.reader.lien(i).priority for i in (first, second)] == [1, 2]
    assert w.reader.title(vin).active_liens == 2


def test_priority_is_registration_order_among_active_liens(w: World) -> None:
    vin = w.title()
    ids = [w.lien(vin, w.lender), w.lien(vin, w.lender2), w.lien(vin, w.lender)]
    assert [w.reader.lien(i).priority for i in ids] == [1, 2, 3]
    w.lender.release_lien(ids[0])
    assert [w.reader.lien(i).priority for i in ids] == [0, 1, 2]
    assert w.reader.active_liens(vin) == ids[1:]
    fourth = w.lien(vin, w.lender2)
    w.lender.release_lien(ids[2])
    assert w.reader.active_liens(vin) == [ids[1], fourth]
    assert [w.reader.lien(i).priority for i in (ids[1], fourth)] == [1, 2]
    assert w.reader.liens_of(vin) == [*ids, fourth]


def test_release_keeps_the_history(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    result = w.lender.release_lien(lien_id)
    assert release_reason(result, lien_id) == "VOLUNTARY"
    lien = w.reader.lien(lien_id)
    assert (lien.status, lien.priority, lien.vin) == ("RELEASED", 0, vin)
    assert w.reader.liens_of(vin) == [lien_id]
    assert w.reader.active_liens(vin) == []
    assert w.reader.title(vin).active_liens == 0


@pytest.mark.parametrize("who", ["registrar", "lender2", "dealer", "owner", "outsider"])
def test_only_the_lienholder_releases(w: World, who: str) -> None:
    lien_id = w.lien(w.title())
    with reverts("RegistryNotLienholder", lienId=lien_id, holder=w.cast.lender.address):
        w.everyone[who].release_lien(lien_id)


def test_a_lien_is_released_once(w: World) -> None:
    lien_id = w.lien(w.title())
    w.lender.release_lien(lien_id)
    with reverts("RegistryLienNotActive", lienId=lien_id, status=2):
        w.lender.release_lien(lien_id)


def test_release_of_an_unknown_lien_is_refused(w: World) -> None:
    unknown = w.reader.read(w.reader.registry, "nextLienId") + 1000
    with reverts("RegistryLienNotFound", lienId=unknown):
        w.lender.release_lien(unknown)


def test_assignment_keeps_id_priority_and_history(w: World) -> None:
    vin = w.title()
    senior = w.lien(vin, w.lender)
    junior = w.lien(vin, w.lender2)
    result = w.lender.assign_lien(senior, w.cast.lender2.address)
    event = result.event("LienAssigned")
    assert (event.args["lienId"], event.args["vin"]) == (senior, vin)
    assert same(event.args["from"], w.cast.lender.address)
    assert same(event.args["to"], w.cast.lender2.address)
    lien = w.reader.lien(senior)
    assert (lien.status, lien.priority) == ("ACTIVE", 1)
    assert same(lien.holder, w.cast.lender2.address)
    assert w.reader.active_liens(vin) == [senior, junior]
    with reverts("RegistryNotLienholder"):
        w.lender.release_lien(senior)
    w.lender2.release_lien(senior)
    assert w.reader.liens_of(vin) == [senior, junior]


@pytest.mark.parametrize("to", ["dealer", "insurer", "owner", "registrar"])
def test_a_lien_is_assigned_only_to_a_lender(w: World, to: str) -> None:
    lien_id = w.lien(w.title())
    with reverts("RegistryNotLender"):
        w.lender.assign_lien(lien_id, w.everyone[to].address)
    assert same(w.reader.lien(lien_id).holder, w.cast.lender.address)


def test_a_lien_is_not_assigned_to_its_holder(w: World) -> None:
    lien_id = w.lien(w.title())
    with reverts("RegistryInvalidAddress"):
        w.lender.assign_lien(lien_id, w.cast.lender.address)


@pytest.mark.parametrize("who", ["lender2", "registrar", "owner"])
def test_only_the_lienholder_assigns(w: World, who: str) -> None:
    lien_id = w.lien(w.title())
    with reverts("RegistryNotLienholder"):
        w.everyone[who].assign_lien(lien_id, w.cast.lender2.address)


def test_a_released_lien_is_not_assigned(w: World) -> None:
    lien_id = w.lien(w.title())
    w.lender.release_lien(lien_id)
    with reverts("RegistryLienNotActive"):
        w.lender.assign_lien(lien_id, w.cast.lender2.address)


def test_register_liens_batch(w: World) -> None:
    vins = [w.title(), w.title(), w.title()]
    result = w.lender.register_liens_batch(vins, [True, False, True])
    events = result.all("LienRegistered")
    ids = [e.args["lienId"] for e in events]
    assert ids == list(range(ids[0], ids[0] + 3))
    assert [e.args["vin"] for e in events] == vins
    assert [w.reader.lien(i).floor_plan for i in ids] == [True, False, True]


def test_register_liens_batch_refuses_a_length_mismatch(w: World) -> None:
    vins = [w.title(), w.title()]
    with reverts("RegistryBatchLengthMismatch", expected=2, actual=1):
        w.lender.register_liens_batch(vins, [False])
    assert w.reader.title(vins[0]).active_liens == 0


def test_register_liens_batch_is_all_or_nothing(w: World) -> None:
    good = w.title()
    with reverts("RegistryTitleNotFound"):
        w.lender.register_liens_batch([good, w.new_vin()], [False, False])
    assert w.reader.liens_of(good) == []
