"""Liens by VIN and by lienholder, from the SQL mirror."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from registry.db.models import Lien, Participant
from registry.queries import table

LIENS = table(Lien)
PARTICIPANTS = table(Participant)

_NAME = (
    select(PARTICIPANTS.c.name)
    .where(PARTICIPANTS.c.address == LIENS.c.holder, PARTICIPANTS.c.role == "LENDER")
    .limit(1)
    .scalar_subquery()
    .label("holder_name")
)
_COLUMNS = (
    LIENS.c.lien_id,
    LIENS.c.vin,
    LIENS.c.holder,
    _NAME,
    LIENS.c.original_holder,
    LIENS.c.status,
    LIENS.c.floor_plan,
    LIENS.c.priority,
    LIENS.c.registered_block,
    LIENS.c.registered_at,
    LIENS.c.registered_tx,
    LIENS.c.released_block,
    LIENS.c.released_at,
    LIENS.c.release_reason,
    LIENS.c.updated_block,
)


def _lien(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    d["floor_plan"] = bool(d["floor_plan"])
    return d


def liens_of_vin(conn: Connection, vin: str, *, active_only: bool = False) -> list[dict[str, Any]]:
    """Every lien on ``vin``: active ones first in priority order, then ended ones, oldest first."""
    stmt = select(*_COLUMNS).where(LIENS.c.vin == vin)
    if active_only:
        stmt = stmt.where(LIENS.c.status == "ACTIVE")
    rows = [_lien(r) for r in conn.execute(stmt.order_by(LIENS.c.lien_id))]
    active = sorted((r for r in rows if r["status"] == "ACTIVE"), key=lambda r: r["priority"])
    return active + [r for r in rows if r["status"] != "ACTIVE"]


def liens_of_holder(
    conn: Connection, holder: str, *, active_only: bool = False, offset: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    """Liens held (now) by ``holder``, newest first."""
    stmt = select(*_COLUMNS).where(LIENS.c.holder == holder.lower())
    if active_only:
        stmt = stmt.where(LIENS.c.status == "ACTIVE")
    stmt = stmt.order_by(LIENS.c.lien_id.desc()).offset(offset).limit(limit)
    return [_lien(r) for r in conn.execute(stmt)]


def lien(conn: Connection, lien_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(*_COLUMNS).where(LIENS.c.lien_id == lien_id)).first()
    return _lien(row) if row is not None else None
