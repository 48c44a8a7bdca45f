"""Liens by VIN and by lienholder, from the SQL mirror."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from registry.db.models import Lien, Participant
from registry.enums import LienStatus, Role
from registry.queries import Reader, table

LIENS = table(Lien)
PARTICIPANTS = table(Participant)

_NAME = (
    select(PARTICIPANTS.c.name)
    .where(PARTICIPANTS.c.address == LIENS.c.holder, PARTICIPANTS.c.role == Role.LENDER)
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


def _lien(d: dict[str, Any]) -> dict[str, Any]:
    d["floor_plan"] = bool(d["floor_plan"])
    return d


def liens_of_vin(reader: Reader, vin: str, *, active_only: bool = False) -> list[dict[str, Any]]:
    """Every lien on ``vin``: active ones first in priority order, then ended ones, oldest first."""
    stmt = select(*_COLUMNS).where(LIENS.c.vin == vin)
    if active_only:
        stmt = stmt.where(LIENS.c.status == LienStatus.ACTIVE)
    rows = [_lien(r) for r in reader.dicts(stmt.order_by(LIENS.c.lien_id))]
    active = sorted(
        (r for r in rows if r["status"] == LienStatus.ACTIVE), key=lambda r: r["priority"]
    )
    return active + [r for r in rows if r["status"] != LienStatus.ACTIVE]


def liens_of_holder(
    reader: Reader, holder: str, *, active_only: bool = False, offset: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    """Liens held (now) by ``holder``, newest first."""
    stmt = select(*_COLUMNS).where(LIENS.c.holder == holder.lower())
    if active_only:
        stmt = stmt.where(LIENS.c.status == LienStatus.ACTIVE)
    stmt = stmt.order_by(LIENS.c.lien_id.desc()).offset(offset).limit(limit)
    return [_lien(r) for r in reader.dicts(stmt)]


def lien(reader: Reader, lien_id: int) -> dict[str, Any] | None:
    rows = reader.dicts(select(*_COLUMNS).where(LIENS.c.lien_id == lien_id))
    return _lien(rows[0]) if rows else None
