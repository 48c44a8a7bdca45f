"""Watches (add from a list or a file of VINs, or an address; list; remove) and notices
(store idempotently with their outbox rows; list; delete above a reorg's ancestor).

Any participant registers watches: a VIN, or an address (every vehicle it owns and every
lien it holds, as they change). From then on, every event the indexer mirrors that touches a
watched vehicle becomes one notice per watcher (:mod:`registry.watches.hooks`), delivered to
the watcher's webhooks through the risk module's at-least-once outbox.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, select

from registry.addresses import checksum_address
from registry.chunks import chunks
from registry.db import dialect_insert, newest_first
from registry.enums import WatchKind
from registry.errors import InvalidInput, InvalidVin, NotFound
from registry.risk.webhooks import (
    OutboxMessage,
    enqueue_messages,
    have_webhooks,
    remove_with_outbox_after,
)
from registry.vin import validate_vin
from registry.watches.models import Notice, Watch

WATCHES: Table = Watch.__table__  # type: ignore[attr-defined]
NOTICES: Table = Notice.__table__  # type: ignore[attr-defined]
#: At most this many VINs (a request or a file) and addresses in one call.
MAX_VINS_PER_CALL = 10_000
MAX_ADDRESSES_PER_CALL = 100


def _address(address: str, what: str = "address") -> str:
    return checksum_address(address, what).lower()


def parse_vin_file(text: str) -> list[str]:
    """The VINs of a file: one per line, or the first column of a CSV (a header row naming
    ``vin`` is skipped; blank lines and ``#`` comments too). Every bad line is named."""
    vins: list[str] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        cell = line.split(",", 1)[0].strip().strip('"')
        if not cell or cell.startswith("#") or (number == 1 and cell.lower() == "vin"):
            continue
        try:
            vins.append(validate_vin(cell))
        except InvalidVin as exc:
            errors.append(f"line {number}: {exc}")
    if errors:
        shown = "; ".join(errors[:5]) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else "")
        raise InvalidInput(
            f"the VIN file has {len(errors)} bad line(s): {shown}", lines=len(errors)
        )
    return vins


def add_watches(
    conn: Connection,
    watcher: str,
    *,
    vins: Sequence[str] = (),
    addresses: Sequence[str] = (),
    label: str = "",
) -> list[dict[str, Any]]:
    """Registers ``watcher``'s watches of ``vins`` and ``addresses`` (all checked first:
    one bad value and nothing is added); a watch it already has is returned as it stands."""
    who = _address(watcher, "address of the watcher")
    wanted = [(WatchKind.VIN.value, validate_vin(v)) for v in vins]
    wanted += [(WatchKind.ADDRESS.value, _address(a)) for a in addresses]
    if not wanted:
        raise InvalidInput("name at least one VIN or address to watch")
    if len(vins) > MAX_VINS_PER_CALL or len(addresses) > MAX_ADDRESSES_PER_CALL:
        raise InvalidInput(
            f"at most {MAX_VINS_PER_CALL} VINs and {MAX_ADDRESSES_PER_CALL} addresses at once, "
            f"not {len(vins)} and {len(addresses)}"
        )
    now = time.time()
    rows = [{"watcher": who, "kind": k, "target": t, "label": label[:200], "created_ts": now}
            for k, t in dict.fromkeys(wanted)]  # fmt: skip
    stmt = dialect_insert(conn, WATCHES).on_conflict_do_nothing(
        index_elements=["watcher", "kind", "target"]
    )
    for part in chunks(rows, 500):
        conn.execute(stmt, list(part))
    targets = {t for _, t in wanted}
    found = [r for r in list_watches(conn, who) if r["target"] in targets]
    return found


def list_watches(conn: Connection, watcher: str | None = None) -> list[dict[str, Any]]:
    """Watches (of ``watcher``, or everyone's), oldest first."""
    stmt = select(WATCHES).order_by(WATCHES.c.id)
    if watcher is not None:
        stmt = stmt.where(WATCHES.c.watcher == _address(watcher, "address of the watcher"))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def remove_watch(conn: Connection, watch_id: int, watcher: str | None = None) -> None:
    """Deletes watch ``watch_id`` (of ``watcher``, when given); its notices stay."""
    cond = WATCHES.c.id == watch_id
    if watcher is not None:
        cond = and_(cond, WATCHES.c.watcher == _address(watcher, "address of the watcher"))
    if conn.execute(delete(WATCHES).where(cond)).rowcount == 0:
        raise NotFound(f"no watch {watch_id}", watch_id=watch_id)


# --------------------------------------------------------------------- notices


@dataclass(frozen=True)
class NewNotice:
    """A notice about to be stored (``state``: the vehicle after the event)."""

    watcher: str
    vin: str
    event: str
    message: str
    block_number: int
    block_time: int
    tx_hash: str
    log_index: int
    matched: tuple[str, ...]
    args: dict[str, Any]
    state: dict[str, Any]

    @property
    def key(self) -> str:
        return f"notice:{self.watcher}:{self.tx_hash}:{self.log_index}"

    def row(self, now: float) -> dict[str, Any]:
        return {
            "key": self.key, "watcher": self.watcher, "vin": self.vin, "event": self.event,
            "message": self.message, "block_number": self.block_number,
            "block_time": self.block_time, "tx_hash": self.tx_hash, "log_index": self.log_index,
            "matched": ",".join(self.matched),
            "args": json.dumps(self.args, sort_keys=True, default=str),
            "state": json.dumps(self.state, sort_keys=True, default=str), "created_ts": now,
        }  # fmt: skip


def as_dict(row: Any) -> dict[str, Any]:
    """A notice row as the API, the CLI and the webhooks show it."""
    d = dict(row._mapping if hasattr(row, "_mapping") else row)
    d["matched"] = [m for m in d["matched"].split(",") if m]
    d["args"] = json.loads(d["args"] or "{}")
    d["state"] = json.loads(d["state"] or "{}")
    return d


def store_notices(conn: Connection, notices: Iterable[NewNotice]) -> list[str]:
    """Stores the notices not stored yet and queues them for the watchers' webhooks (same
    transaction); returns the new keys."""
    now = time.time()
    by_key = {n.key: n.row(now) for n in notices}
    if not by_key:
        return []
    existing: set[str] = set()
    for part in chunks(list(by_key)):
        existing.update(
            k for (k,) in conn.execute(select(NOTICES.c.key).where(NOTICES.c.key.in_(part)))
        )
    fresh = [r for k, r in by_key.items() if k not in existing]
    if not fresh:
        return []
    conn.execute(
        dialect_insert(conn, NOTICES).on_conflict_do_nothing(index_elements=["key"]), fresh
    )
    keys = [r["key"] for r in fresh]
    if have_webhooks(conn):
        messages = []
        for part in chunks(keys):
            for r in conn.execute(select(NOTICES).where(NOTICES.c.key.in_(part))):
                notice = as_dict(r)
                messages.append(OutboxMessage(notice["key"], "notice", [notice["watcher"]], notice))
        enqueue_messages(conn, messages)
    return keys


def remove_notices_after(conn: Connection, ancestor: int, vins: set[str]) -> int:
    """Deletes the VINs' notices above block ``ancestor`` (a reorg) with their undelivered
    outbox rows; the replay writes those that still stand again, under the same keys."""
    return remove_with_outbox_after(conn, NOTICES, ancestor, vins)


def list_notices(
    conn: Connection,
    watcher: str | None = None,
    *,
    vin: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Notices, newest first (of ``watcher``; about ``vin``; older than ``before_id``)."""
    stmt = select(NOTICES)
    if watcher is not None:
        stmt = stmt.where(NOTICES.c.watcher == _address(watcher, "address of the watcher"))
    if vin is not None:
        stmt = stmt.where(NOTICES.c.vin == validate_vin(vin))
    return [as_dict(r) for r in conn.execute(newest_first(stmt, NOTICES, before_id, limit))]
