"""Watches and notices on PostgreSQL: the same notices, queued once, as on SQLite."""

from __future__ import annotations

from pathlib import Path

from registry.db.scratch import scratch_database
from registry.risk.webhooks import add_webhook
from registry.watches.store import add_watches, list_notices
from tests.kit.chain import CAST, Registry
from tests.kit.mirror import Mirror
from tests.kit.webhooks import pending

OWNER = CAST.owner.address.lower()


def test_notices_on_postgres(registry: Registry, tmp_path: Path) -> None:
    with scratch_database("watches") as url:
        mirror = Mirror.create(registry, tmp_path, url, risk=True)
        vin = registry.title()
        mirror.index()
        with mirror.engine.begin() as conn:
            add_watches(conn, OWNER, vins=[vin], addresses=[OWNER])
            add_webhook(conn, OWNER, "http://127.0.0.1:9/h", allow_private=True)
        lien = registry.lien(vin)
        registry.owner.record_odometer(vin, 12_345)
        mirror.index()
        mirror.index()  # again: nothing twice
        with mirror.engine.connect() as conn:
            got = list_notices(conn, OWNER)
        assert [(n["event"], n["matched"]) for n in got] == [
            ("OdometerRecorded", [f"address:{OWNER}", "vin"]),
            ("LienRegistered", [f"address:{OWNER}", "vin"]),
        ]
        assert got[0]["state"]["odometer"] == 12_345
        assert got[1]["state"]["active_liens"][0]["lien_id"] == lien
        assert len(pending(mirror.engine)) == 2
        mirror.engine.dispose()
