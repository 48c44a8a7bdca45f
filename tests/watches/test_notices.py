"""Watches and notices: every event touching a watched vehicle becomes one notice per
watcher, with its words, provenance and the vehicle after it; nothing for other vehicles;
an owner watching its own address hears of a lien on its car; notices reach the watcher's
webhook through the outbox, through a receiver outage and a restart of the service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from registry.chain import free_port
from registry.db.models import Event
from registry.errors import InvalidInput
from registry.risk.signatures import DuplicateDelivery, WebhookVerificationError, verify_webhook
from registry.risk.webhooks import add_webhook
from registry.timeline import WORDS
from registry.watches.store import add_watches, list_notices, list_watches, parse_vin_file
from tests.kit.books import POPULATED_VEHICLE_EVENTS, populate
from tests.kit.chain import CAST, Registry
from tests.kit.mirror import Mirror
from tests.kit.webhooks import Receiver, Worker, pending, wait_for

EVENTS = Event.__table__  # type: ignore[attr-defined]
DEALER = CAST.dealer.address.lower()
OWNER = CAST.owner.address.lower()


@pytest.fixture
def mirror(registry: Registry, tmp_path: Path) -> Mirror:
    """A fresh mirror of the session's chain, indexed as `registry index` does."""
    return Mirror.create(registry, tmp_path, risk=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(free_port())
    yield r
    r.stop()


def notices(engine: Engine, watcher: str, **filters: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list_notices(conn, watcher, limit=10_000, **filters)


def watch(engine: Engine, watcher: str, **what: Any) -> None:
    with engine.begin() as conn:
        add_watches(conn, watcher, **what)


def test_a_notice_for_each_event_on_a_watched_vin_and_none_for_others(
    registry: Registry, mirror: Mirror
) -> None:
    ids = populate(registry)
    unwatched = registry.title()
    registry.lender.register_lien(unwatched)
    registry.owner.record_odometer(unwatched, 20_000)
    watch(mirror.engine, DEALER, vins=ids["vins"], label="my stock")
    mirror.index()

    got = notices(mirror.engine, DEALER)
    with mirror.engine.connect() as conn:
        events = conn.execute(
            select(EVENTS.c.event, EVENTS.c.tx_hash, EVENTS.c.log_index, EVENTS.c.block_number,
                   EVENTS.c.vin).where(EVENTS.c.vin.in_(ids["vins"]))
        ).all()  # fmt: skip
    assert {(n["tx_hash"], n["log_index"]) for n in got} == {(e[1], e[2]) for e in events}
    assert len(got) == len(events)  # one per event: a watcher hears each once
    assert {n["event"] for n in got} == POPULATED_VEHICLE_EVENTS <= set(WORDS)
    by_event = {(e[1], e[2]): e for e in events}
    for n in got:
        event, _, _, block, vin = by_event[(n["tx_hash"], n["log_index"])]
        assert (n["event"], n["block_number"], n["vin"]) == (event, block, vin)
        assert n["message"].startswith(f"{vin}: ") and n["matched"] == ["vin"]
        assert n["state"]["vin"] == vin
    assert notices(mirror.engine, DEALER, vin=unwatched) == []
    assert notices(mirror.engine, OWNER) == []  # nobody else watches

    first, *_ = ids["vins"]  # two liens (a double pledge), then the first released
    lien1, second = ids["liens"][0], ids["liens"][-2]
    on_first = [n for n in reversed(got) if n["vin"] == first]
    registered = next(n for n in on_first if n["args"].get("lienId") == second)
    assert [(x["lien_id"], x["priority"]) for x in registered["state"]["active_liens"]] == [
        (lien1, 1), (second, 2),
    ]  # fmt: skip
    released = next(n for n in on_first if n["event"] == "LienReleased")
    lender = CAST.lender.address.lower()
    assert released["message"].startswith(f"{first}: Lien {lien1} released by ")
    assert (
        lender in released["message"].lower() and "(voluntary); it ranked 1" in released["message"]
    )
    assert [(x["lien_id"], x["priority"]) for x in released["state"]["active_liens"]] == [
        (second, 1)
    ]
    payment = next(n for n in reversed(got) if n["event"] == "LoanPaymentRecorded")
    assert ": payment of 50.00, by " in payment["message"]
    assert payment["state"]["loans"][0]["total_paid"] == 5_000  # after the first payment

    mirror.index()  # indexing again writes nothing twice
    assert len(notices(mirror.engine, DEALER)) == len(got)


def test_an_owner_watching_its_address_hears_of_a_lien_on_its_car(
    registry: Registry, mirror: Mirror, receiver: Receiver
) -> None:
    before = registry.title()  # owned before the watch, known from the mirror
    mirror.index()
    watch(mirror.engine, OWNER, addresses=[OWNER])
    with mirror.engine.begin() as conn:
        add_webhook(conn, OWNER, receiver.url, receiver.secret, allow_private=True)
    lien = registry.lien(before, registry.lender2)
    fresh = registry.title()  # issued and pledged in the same batch
    registry.lien(fresh)
    elsewhere = registry.title(CAST.buyer)
    registry.lien(elsewhere)
    mirror.index()

    got = {(n["vin"], n["event"]): n for n in notices(mirror.engine, OWNER)}
    assert set(got) == {(before, "LienRegistered"), (fresh, "TitleIssued"),
                        (fresh, "LienRegistered")}  # fmt: skip
    heard = got[(before, "LienRegistered")]
    assert heard["matched"] == [f"address:{OWNER}"]
    assert heard["message"].startswith(f"{before}: Lien {lien} (consumer) registered by ")
    assert CAST.lender2.address.lower() in heard["message"].lower()
    assert heard["state"]["owner"] == OWNER
    assert heard["state"]["active_liens"] == [
        {"lien_id": lien, "holder": CAST.lender2.address.lower(), "priority": 1,
         "floor_plan": False}
    ]  # fmt: skip

    receiver.start()
    worker = Worker(mirror.url)
    wait_for(lambda: len(receiver.seen) == 3)
    worker.stop()
    delivered = {(n["vin"], n["event"]) for n in receiver.bodies("notice")}
    assert delivered == set(got) and not receiver.rejected
    headers, body = receiver.raw[0]  # a delivery captured on the wire, replayed
    assert headers["X-Registry-Event"].startswith("notice.")
    sent = int(headers["webhook-timestamp"])
    with pytest.raises(WebhookVerificationError, match="stale or replayed"):  # ten minutes on
        verify_webhook(receiver.secret, headers, body, now=sent + 600)
    with pytest.raises(DuplicateDelivery):  # at once: the id was handled
        verify_webhook(receiver.secret, headers, body, seen=receiver.handled, now=sent + 1)
    tampered = body.replace(b'"vin":', b'"vin": ', 1)  # the same JSON, other bytes
    assert tampered != body and json.loads(tampered) == json.loads(body)
    with pytest.raises(WebhookVerificationError, match="no webhook-signature matches"):
        verify_webhook(receiver.secret, headers, tampered, now=sent + 1)


def test_notices_survive_the_receiver_down_and_the_service_restarting(
    registry: Registry, mirror: Mirror, receiver: Receiver
) -> None:
    vin = registry.title(CAST.dealer)
    watch(mirror.engine, DEALER, vins=[vin])
    with mirror.engine.begin() as conn:
        add_webhook(conn, DEALER, receiver.url, receiver.secret, allow_private=True)
    registry.lender.register_lien(vin, floor_plan=True)
    mirror.index()
    worker = Worker(mirror.url)  # the receiver is down: each attempt fails, is rescheduled
    wait_for(lambda: all(d["attempts"] >= 2 for d in pending(mirror.engine)))
    worker.stop()
    assert len(pending(mirror.engine)) == 2 and receiver.requests == 0

    registry.dealer.record_sale(vin, CAST.buyer.address, b"sale-1".ljust(32, b"\0"))
    Mirror.create(registry, mirror.data_dir, mirror.url, risk=True).index()  # a new process
    receiver.start()
    receiver.fail_next = 1  # flaky when it comes back
    worker = Worker(mirror.url)  # the restarted service resumes from the outbox
    wait_for(lambda: not pending(mirror.engine))
    worker.stop()
    events = sorted(n["event"] for n in receiver.bodies("notice"))
    assert events == ["LienRegistered", "SaleRecorded", "TitleIssued"]
    assert len(receiver.handled) == len(receiver.seen) and not receiver.rejected
    sale = next(n for n in receiver.bodies("notice") if n["event"] == "SaleRecorded")
    assert "still stood, sold out of trust" in sale["message"]


def test_watches_from_a_file_and_bad_input(mirror: Mirror, tmp_path: Path) -> None:
    text = "vin,note\n1HGCM82633A004352,first\n\n# a comment\n1G1SCZK16DT079150\n"
    assert parse_vin_file(text) == ["1HGCM82633A004352", "1G1SCZK16DT079150"]
    with pytest.raises(InvalidInput, match="line 3: VIN 1HGCM82633A00435 is 16") as bad:
        parse_vin_file("1HGCM82633A004352\n\n1HGCM82633A00435\nIOQ\n")
    assert "2 bad line(s)" in str(bad.value)
    watch(mirror.engine, DEALER, vins=parse_vin_file(text), addresses=[OWNER])
    watch(mirror.engine, DEALER, vins=["1hgcm82633a004352"])  # again: nothing new
    with mirror.engine.connect() as conn:
        listed = list_watches(conn, DEALER)
    assert [(w["kind"], w["target"]) for w in listed] == [
        ("vin", "1HGCM82633A004352"), ("vin", "1G1SCZK16DT079150"), ("address", OWNER),
    ]  # fmt: skip
    with pytest.raises(InvalidInput, match="not a valid address"):
        watch(mirror.engine, DEALER, addresses=["0x12"])
    with pytest.raises(InvalidInput):
        watch(mirror.engine, DEALER, vins=["1HGCM82633A004353"])  # a bad check digit
    with mirror.engine.connect() as conn:
        assert len(list_watches(conn, DEALER)) == 3  # nothing half-added
    assert json.dumps(listed)  # plain JSON values
