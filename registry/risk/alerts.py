"""Risk alerts: what each one says, storing them idempotently, and reading them back.

An alert's ``key`` is deterministic (``kind:tx_hash:log_index`` for an event, or
``kind:loan:...`` for a rule that trips as time passes), so indexing the same chain twice,
or replaying it after a reorg, never stores one twice. Storing an alert also puts it in
the webhook outbox of every participant it concerns (lenders; funders for the alerts about
loans pledged to them), in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, select

from registry.chunks import chunks
from registry.db import dialect_insert, newest_first
from registry.enums import AlertKind, Severity
from registry.risk.models import Alert, Delivery

ALERTS: Table = Alert.__table__  # type: ignore[attr-defined]
DELIVERIES: Table = Delivery.__table__  # type: ignore[attr-defined]

#: Every kind of alert, with what it means (shown by the API and the page).
KINDS: dict[AlertKind, str] = {
    AlertKind.DOUBLE_PLEDGE: "a second active lien on the vehicle from another lender",
    AlertKind.SOLD_OUT_OF_TRUST: "a dealer sale recorded while a floor-plan lien stands",
    AlertKind.MISSED_PAYMENT: "an instalment is past due",
    AlertKind.BUCKET_ROLL: "the loan rolled into a worse delinquency bucket",
    AlertKind.TOTAL_LOSS: "an insurer declared a total loss on a vehicle under lien",
    AlertKind.BRAND: "a new brand on the title of a vehicle under lien",
    AlertKind.LIEN_NOT_RELEASED: "a lien still stands 30 days after its lender's loan was paid off",
    AlertKind.REPOSSESSION: "the collateral was repossessed",
    AlertKind.PLEDGED_TOTAL_LOSS: "a total loss declared on the vehicle of a loan pledged to you",
    AlertKind.PLEDGED_BRAND: "a new brand on the title of a loan pledged to you",
    AlertKind.PLEDGED_REPOSSESSION: "the collateral of a loan pledged to you was repossessed",
    AlertKind.PLEDGED_OTHER_LIEN: "another lender's active lien on the vehicle of a loan pledged "
    "to you",
    AlertKind.PLEDGED_PAYOFF_UNREMITTED: "a loan pledged to you was paid off days ago and its "
    "pledge is still active (the payoff did not reach you)",
    AlertKind.PLEDGED_LIEN_RELEASED: "the lien securing a loan pledged to you was released",
    AlertKind.PLEDGED_LIEN_ASSIGNED: "the lien securing a loan pledged to you was assigned",
}


@dataclass
class NewAlert:
    """An alert about to be stored."""

    key: str
    kind: AlertKind
    severity: Severity
    vin: str
    lenders: Sequence[str]
    block_number: int
    time: int
    message: str
    lien_id: int | None = None
    loan_id: int | None = None
    tx_hash: str | None = None
    log_index: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        lenders = sorted({a.lower() for a in self.lenders if a})
        return {
            "key": self.key,
            "kind": self.kind,
            "severity": self.severity,
            "vin": self.vin,
            "lenders": "," + ",".join(lenders) + "," if lenders else ",",
            "lien_id": self.lien_id,
            "loan_id": self.loan_id,
            "block_number": self.block_number,
            "tx_hash": self.tx_hash,
            "log_index": self.log_index,
            "time": self.time,
            "message": self.message,
            "details": json.dumps(self.details, sort_keys=True, default=str),
        }


def event_key(kind: AlertKind, tx_hash: str, log_index: int, suffix: str = "") -> str:
    return f"{kind}:{tx_hash}:{log_index}" + (f":{suffix}" if suffix else "")


def store(conn: Connection, alerts: Iterable[NewAlert]) -> list[str]:
    """Stores the alerts not stored yet and queues their webhooks; returns the new keys."""
    rows = [a.row() for a in alerts]
    if not rows:
        return []
    by_key = {r["key"]: r for r in rows}
    keys = list(by_key)
    existing: set[str] = set()
    for chunk in chunks(keys):
        found = conn.execute(select(ALERTS.c.key).where(ALERTS.c.key.in_(chunk)))
        existing.update(k for (k,) in found)
    fresh = [by_key[k] for k in keys if k not in existing]
    if not fresh:
        return []
    conn.execute(dialect_insert(conn, ALERTS).on_conflict_do_nothing(index_elements=["key"]), fresh)
    fresh_keys = [r["key"] for r in fresh]
    from registry.risk.webhooks import enqueue, have_webhooks

    if have_webhooks(conn):
        stored: list[dict[str, Any]] = []
        for chunk in chunks(fresh_keys):
            found = conn.execute(select(ALERTS).where(ALERTS.c.key.in_(chunk)))
            stored += [as_dict(r) for r in found]
        enqueue(conn, stored)
    return fresh_keys


def as_dict(row: Any) -> dict[str, Any]:
    """An alert row as the API and the webhooks show it."""
    d = dict(row._mapping)
    d["lenders"] = [a for a in d["lenders"].split(",") if a]
    d["details"] = json.loads(d["details"] or "{}")
    return d


def remove_after(conn: Connection, ancestor: int, vins: set[str]) -> int:
    """Deletes the VINs' alerts above block ``ancestor`` (a reorg), with undelivered webhooks."""
    from registry.risk.webhooks import remove_with_outbox_after

    return remove_with_outbox_after(conn, ALERTS, ancestor, vins)


def list_alerts(
    conn: Connection,
    *,
    lender: str | None = None,
    kind: str | None = None,
    vin: str | None = None,
    min_severity: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Alerts, newest first, filtered by lender concerned, kind, VIN or severity."""
    stmt = select(ALERTS)
    if lender:
        stmt = stmt.where(ALERTS.c.lenders.like(f"%,{lender.lower()},%"))
    if kind:
        stmt = stmt.where(ALERTS.c.kind == kind)
    if vin:
        stmt = stmt.where(ALERTS.c.vin == vin)
    if min_severity:
        least = Severity(min_severity).rank
        stmt = stmt.where(ALERTS.c.severity.in_([s for s in Severity if s.rank >= least]))
    return [as_dict(r) for r in conn.execute(newest_first(stmt, ALERTS, before_id, limit))]


def count_by_kind(conn: Connection, lender: str | None = None) -> dict[str, int]:
    from sqlalchemy import func

    stmt = select(ALERTS.c.kind, func.count()).group_by(ALERTS.c.kind)
    if lender:
        stmt = stmt.where(ALERTS.c.lenders.like(f"%,{lender.lower()},%"))
    return {k: int(n) for k, n in conn.execute(stmt)}
