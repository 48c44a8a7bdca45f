"""A lender's loans and one loan's timeline, from the SQL mirror."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from registry.db.models import Event, Loan
from registry.queries import Reader, table
from registry.queries.pledges import loans_with_funders
from registry.queries.vehicles import HISTORY_COLUMNS, event_row
from registry.risk.delinquency import bucket_of

LOANS = table(Loan)
EVENTS = table(Event)


def _loan(d: dict[str, Any]) -> dict[str, Any]:
    d["delinquency_bucket"] = bucket_of(int(d["days_past_due"]))
    return d


def loans_of_lender(
    reader: Reader, lender: str, *, state: str | None = None, offset: int = 0, limit: int = 100
) -> list[dict[str, Any]]:
    """Loans currently serviced by ``lender``, newest first, each with its funder."""
    stmt = loans_with_funders().where(LOANS.c.lender == lender.lower())
    if state:
        stmt = stmt.where(LOANS.c.state == state.upper())
    stmt = stmt.order_by(LOANS.c.loan_id.desc()).offset(offset).limit(limit)
    return [_loan(r) for r in reader.dicts(stmt)]


def loan(reader: Reader, loan_id: int) -> dict[str, Any] | None:
    """One loan with its funder (``funder``, ``pledge_id``: None when not pledged)."""
    rows = reader.dicts(loans_with_funders().where(LOANS.c.loan_id == loan_id))
    return _loan(rows[0]) if rows else None


def loan_timeline(reader: Reader, loan_id: int) -> list[dict[str, Any]]:
    """Every event of the loan, in chain order."""
    stmt = (
        select(*HISTORY_COLUMNS)
        .where(EVENTS.c.loan_id == loan_id)
        .order_by(EVENTS.c.block_number, EVENTS.c.log_index)
    )
    return [event_row(r) for r in reader.rows(stmt)]
