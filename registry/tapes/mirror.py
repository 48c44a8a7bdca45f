"""What a tape check reads from the SQL mirror, set by set: one query per table and chunk of
tape rows (``IN`` lists), never one per row.

Each function takes the keys of a whole tape and returns dicts keyed the way the check looks
them up. Rows are plain tuples named by the ``select`` (SQLAlchemy ``Row``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, select

from registry.chunks import chunks
from registry.db.models import Lien, Loan, Participant, Title
from registry.db.pledges import Pledge
from registry.enums import Role
from registry.risk.models import LoanStatus

LOANS: Table = Loan.__table__  # type: ignore[attr-defined]
LIENS: Table = Lien.__table__  # type: ignore[attr-defined]
TITLES: Table = Title.__table__  # type: ignore[attr-defined]
STATUS: Table = LoanStatus.__table__  # type: ignore[attr-defined]
PLEDGES: Table = Pledge.__table__  # type: ignore[attr-defined]
PARTICIPANTS: Table = Participant.__table__  # type: ignore[attr-defined]

#: Values per ``IN`` list: a few thousand keeps the round trips few on both databases
#: (SQLite allows 32,766 bound parameters, PostgreSQL 65,535).
CHUNK = 5000

_LOAN_COLUMNS = (
    LOANS.c.loan_id, LOANS.c.lien_id, LOANS.c.vin, LOANS.c.lender, LOANS.c.state,
    LOANS.c.loan_ref, LOANS.c.disbursed_amount, LOANS.c.total_paid, LOANS.c.days_past_due,
)  # fmt: skip


def _many(conn: Connection, stmt: Any, column: Any, keys: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for part in chunks(sorted(set(keys)), CHUNK):
        out.extend(conn.execute(stmt.where(column.in_(part))).all())
    return out


def loans_by_id(conn: Connection, loan_ids: Iterable[int]) -> dict[int, Any]:
    return {r.loan_id: r for r in _many(conn, select(*_LOAN_COLUMNS), LOANS.c.loan_id, loan_ids)}


def loans_by_ref(conn: Connection, refs: Iterable[str]) -> dict[str, Any]:
    rows = _many(conn, select(*_LOAN_COLUMNS), LOANS.c.loan_ref, refs)
    return {r.loan_ref.lower(): r for r in rows}


def standing(conn: Connection, loan_ids: Iterable[int]) -> dict[int, Any]:
    """The risk module's standing (DPD, exposure) of the loans that have one."""
    stmt = select(STATUS.c.loan_id, STATUS.c.dpd, STATUS.c.exposure_cents, STATUS.c.source)
    return {r.loan_id: r for r in _many(conn, stmt, STATUS.c.loan_id, loan_ids)}


def liens_on(conn: Connection, vins: Iterable[str]) -> dict[str, list[Any]]:
    """Every lien ever registered on each VIN (any status), oldest first."""
    stmt = select(
        LIENS.c.lien_id, LIENS.c.vin, LIENS.c.holder, LIENS.c.status, LIENS.c.priority,
        LIENS.c.registered_block, LIENS.c.registered_at, LIENS.c.registered_tx,
    )  # fmt: skip
    out: dict[str, list[Any]] = {}
    for r in sorted(_many(conn, stmt, LIENS.c.vin, vins), key=lambda r: r.lien_id):
        out.setdefault(r.vin, []).append(r)
    return out


def titles_of(conn: Connection, vins: Iterable[str]) -> dict[str, Any]:
    stmt = select(TITLES.c.vin, TITLES.c.status, TITLES.c.brands)
    return {r.vin: r for r in _many(conn, stmt, TITLES.c.vin, vins)}


def active_pledges(conn: Connection, loan_ids: Iterable[int]) -> dict[int, Any]:
    """Each loan's active pledge (at most one per loan: the chain refuses a second)."""
    stmt = select(
        PLEDGES.c.pledge_id, PLEDGES.c.loan_id, PLEDGES.c.funder, PLEDGES.c.pledged_block,
        PLEDGES.c.pledged_at,
    ).where(PLEDGES.c.active.is_(True))  # fmt: skip
    return {r.loan_id: r for r in _many(conn, stmt, PLEDGES.c.loan_id, loan_ids)}


def lender_names(conn: Connection) -> dict[str, str]:
    stmt = select(PARTICIPANTS.c.address, PARTICIPANTS.c.name).where(
        PARTICIPANTS.c.role == Role.LENDER
    )
    return {address: name for address, name in conn.execute(stmt)}
