"""A reorg undoes the notices of the events it removes, and their pending deliveries; the
replayed events keep theirs (same keys: written and queued once)."""

from __future__ import annotations

from pathlib import Path

from registry.risk.webhooks import add_webhook
from registry.watches.store import add_watches, list_notices
from tests.kit.chain import CAST, Registry
from tests.kit.follower import Follower
from tests.kit.mirror import migrated_engine
from tests.kit.webhooks import pending

WATCHER = CAST.insurer.address.lower()


def test_a_reorg_takes_back_the_notices_of_the_events_it_removes(
    fresh_registry: Registry, tmp_path: Path
) -> None:
    reg = fresh_registry
    engine = migrated_engine(f"sqlite:///{tmp_path / 'mirror.sqlite'}")
    vin = reg.title()
    with engine.begin() as conn:
        add_watches(conn, WATCHER, vins=[vin])
        add_webhook(conn, WATCHER, "http://127.0.0.1:9/hook", allow_private=True)

    def events() -> list[str]:
        with engine.connect() as conn:
            return [n["event"] for n in reversed(list_notices(conn, WATCHER))]

    with Follower(engine, reg, confirmations=3) as f:
        f.catch_up()
        assert events() == ["TitleIssued"]
        snap = reg.rpc.request("evm_snapshot", [])
        reg.owner.transfer_title(vin, CAST.buyer.address)
        f.catch_up()
        assert events() == ["TitleIssued", "TitleTransferred"] and len(pending(engine)) == 2
        assert reg.rpc.request("evm_revert", [snap])
        reg.lien(vin)  # the new branch: a lien instead of the transfer, and a longer chain
        reg.rpc.request("evm_mine")
        f.catch_up()
        assert events() == ["TitleIssued", "LienRegistered"]
        keys = [d["alert_key"] for d in pending(engine)]
        assert len(keys) == 2 and len(set(keys)) == 2  # the transfer's delivery is gone
    with engine.connect() as conn:
        [lien] = list_notices(conn, WATCHER, vin=vin, limit=1)
    assert lien["state"]["owner"] == CAST.owner.address.lower()  # the transfer never happened
