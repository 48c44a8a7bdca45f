"""Participants (lenders, dealers, insurers, registrars) as admitted on chain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from registry.db.models import Participant
from registry.queries import Reader, table

PARTICIPANTS = table(Participant)


def _p(d: dict[str, Any]) -> dict[str, Any]:
    d["active"] = bool(d["active"])
    return d


def participants(
    reader: Reader, *, role: str | None = None, include_removed: bool = False
) -> list[dict[str, Any]]:
    stmt = select(PARTICIPANTS)
    if role:
        stmt = stmt.where(PARTICIPANTS.c.role == role.upper())
    if not include_removed:
        stmt = stmt.where(PARTICIPANTS.c.active.is_(True))
    stmt = stmt.order_by(PARTICIPANTS.c.role, PARTICIPANTS.c.name, PARTICIPANTS.c.address)
    return [_p(r) for r in reader.dicts(stmt)]


def participant(reader: Reader, address: str) -> list[dict[str, Any]]:
    """Every role ``address`` was admitted in (empty if none)."""
    stmt = select(PARTICIPANTS).where(PARTICIPANTS.c.address == address.lower())
    return [_p(r) for r in reader.dicts(stmt.order_by(PARTICIPANTS.c.role))]
