"""What a tape check reads from the SQL mirror, for a whole tape at once (never one query
per row): the tape's loan ids go into a temporary table of the check's transaction, and one
joined query reads each loan with its own lien, standing, title and active pledge. Every lien
of a vehicle is read (:func:`liens_on`) only where the loan's own lien is not the vehicle's
one active lien: the usual loan needs no more.

Loans a tape names by reference are resolved first (:func:`loans_by_ref`, ``IN`` lists or
``= ANY`` through :meth:`registry.indexer.bulk.BulkWriter.select_in`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Column, Connection, MetaData, Select, Table, and_, select

from registry.db.models import Lien, Loan, Participant, Title
from registry.db.pledges import Pledge
from registry.enums import Role
from registry.indexer.bulk import BulkWriter
from registry.risk.models import LoanStatus

LOANS: Table = Loan.__table__  # type: ignore[attr-defined]
LIENS: Table = Lien.__table__  # type: ignore[attr-defined]
TITLES: Table = Title.__table__  # type: ignore[attr-defined]
STATUS: Table = LoanStatus.__table__  # type: ignore[attr-defined]
PLEDGES: Table = Pledge.__table__  # type: ignore[attr-defined]
PARTICIPANTS: Table = Participant.__table__  # type: ignore[attr-defined]

#: The tape's loan ids, in a temporary table of the check's own transaction.
KEYS = Table(
    "_tape_loans",
    MetaData(),
    Column("loan_id", BigInteger, primary_key=True, autoincrement=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


class LoanFacts(NamedTuple):
    """A loan with its own lien, its risk standing (None: none yet), title and active pledge
    (None: none)."""

    loan_id: int
    lien_id: int
    vin: str
    lender: str
    state: str
    disbursed_amount: int
    total_paid: int
    days_past_due: int
    lien_holder: str | None
    lien_status: str | None
    lien_priority: int | None
    dpd: int | None
    exposure_cents: int | None
    source: str | None
    title_status: str | None
    brands: int | None
    active_liens: int | None
    pledge_id: int | None
    funder: str | None
    pledged_block: int | None
    pledged_at: int | None


class LienFacts(NamedTuple):
    lien_id: int
    vin: str
    holder: str
    status: str
    priority: int
    registered_block: int
    registered_at: int
    registered_tx: str


_LOAN = (
    LOANS.c.loan_id, LOANS.c.lien_id, LOANS.c.vin, LOANS.c.lender, LOANS.c.state,
    LOANS.c.disbursed_amount, LOANS.c.total_paid, LOANS.c.days_past_due,
    LIENS.c.holder, LIENS.c.status, LIENS.c.priority,
    STATUS.c.dpd, STATUS.c.exposure_cents, STATUS.c.source, TITLES.c.status, TITLES.c.brands,
    TITLES.c.active_liens,
    PLEDGES.c.pledge_id, PLEDGES.c.funder, PLEDGES.c.pledged_block, PLEDGES.c.pledged_at,
)  # fmt: skip
_LIEN = tuple(LIENS.c[name] for name in LienFacts._fields)


def _fetch(conn: Connection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of ``stmt`` (which binds no parameters) straight from the driver: a tape's
    100,000 loans skip SQLAlchemy's per-row result processing."""
    sql = str(stmt.compile(dialect=conn.dialect))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


@contextmanager
def tape_keys(conn: Connection, loan_ids: Iterable[int]) -> Iterator[Table]:
    """The temporary table holding ``loan_ids`` while the block runs (created in the caller's
    transaction: should the block fail, the rollback that follows removes it)."""
    KEYS.create(conn)
    BulkWriter(conn).write(KEYS, ("loan_id",), ("loan_id",),
                           [(i,) for i in sorted(set(loan_ids))], update=False)  # fmt: skip
    yield KEYS
    KEYS.drop(conn)


def loans(conn: Connection, keys: Table) -> dict[int, LoanFacts]:
    """The loans of ``keys`` with their own lien, standing, title and active pledge."""
    stmt = (
        select(*_LOAN)
        .select_from(keys)
        .join(LOANS, LOANS.c.loan_id == keys.c.loan_id)
        .outerjoin(LIENS, LIENS.c.lien_id == LOANS.c.lien_id)
        .outerjoin(STATUS, STATUS.c.loan_id == LOANS.c.loan_id)
        .outerjoin(TITLES, TITLES.c.vin == LOANS.c.vin)
        .outerjoin(PLEDGES, and_(PLEDGES.c.loan_id == LOANS.c.loan_id, PLEDGES.c.active.is_(True)))
    )
    return {r[0]: LoanFacts._make(r) for r in _fetch(conn, stmt)}


def liens_on(conn: Connection, vins: Iterable[str]) -> dict[str, list[LienFacts]]:
    """Every lien ever registered on each of ``vins``, oldest first."""
    rows = BulkWriter(conn).select_in(LIENS, LienFacts._fields, "vin", sorted(set(vins)))
    out: dict[str, list[LienFacts]] = {}
    for r in sorted(rows):
        out.setdefault(r[1], []).append(LienFacts._make(r))
    return out


def loans_by_ref(conn: Connection, refs: Iterable[str]) -> dict[str, int]:
    """The loan ids of loan references (lowercase ``0x`` hex) found on chain."""
    rows = BulkWriter(conn).select_in(LOANS, ("loan_ref", "loan_id"), "loan_ref", sorted(set(refs)))
    return {str(ref).lower(): int(loan_id) for ref, loan_id in rows}


def lender_names(conn: Connection) -> dict[str, str]:
    stmt = select(PARTICIPANTS.c.address, PARTICIPANTS.c.name).where(
        PARTICIPANTS.c.role == Role.LENDER
    )
    return {address: name for address, name in conn.execute(stmt)}
