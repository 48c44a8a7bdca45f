"""Pledges from the SQL mirror: each loan's funder, a funder's pool of pledged loans."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, select

from registry.contracts import brand_names
from registry.db.models import Lien, Loan, Title
from registry.db.pledges import Pledge
from registry.queries import Reader, table
from registry.risk.delinquency import bucket_of

PLEDGES = table(Pledge)
LOANS = table(Loan)
TITLES = table(Title)
LIENS = table(Lien)


def loans_with_funders() -> Select[Any]:
    """Loan rows, each with its active pledge's ``pledge_id`` and ``funder`` (None: not
    pledged): add the ``where`` clause."""
    return select(LOANS, PLEDGES.c.pledge_id, PLEDGES.c.funder).outerjoin(
        PLEDGES, and_(PLEDGES.c.loan_id == LOANS.c.loan_id, PLEDGES.c.active.is_(True))
    )


def funder_pool(
    reader: Reader, funder: str, *, offset: int = 0, limit: int = 100
) -> tuple[list[dict[str, Any]], int]:
    """The loans pledged to ``funder`` now, oldest pledge first, with their state, lien and
    collateral; and how many there are in all."""
    active = (PLEDGES.c.funder == funder.lower(), PLEDGES.c.active.is_(True))
    stmt = (
        select(
            PLEDGES.c.pledge_id, PLEDGES.c.loan_id, PLEDGES.c.vin, PLEDGES.c.lien_id,
            PLEDGES.c.pledged_block, PLEDGES.c.pledged_at, LOANS.c.lender, LOANS.c.state,
            LOANS.c.days_past_due, LOANS.c.disbursed_amount, LOANS.c.total_paid,
            LOANS.c.charged_off_amount, LIENS.c.status.label("lien_status"),
            LIENS.c.priority.label("lien_priority"), TITLES.c.status.label("title_status"),
            TITLES.c.brands, TITLES.c.active_liens,
        )
        .join(LOANS, LOANS.c.loan_id == PLEDGES.c.loan_id)
        .outerjoin(LIENS, LIENS.c.lien_id == PLEDGES.c.lien_id)
        .outerjoin(TITLES, TITLES.c.vin == PLEDGES.c.vin)
        .where(*active)
        .order_by(PLEDGES.c.pledge_id)
        .offset(offset)
        .limit(limit)
    )  # fmt: skip
    items = []
    for r in reader.dicts(stmt):
        r["delinquency_bucket"] = bucket_of(int(r["days_past_due"]))
        r["brands"] = [b.value for b in brand_names(int(r["brands"] or 0))]
        items.append(r)
    total = reader.first(select(func.count()).select_from(PLEDGES).where(*active))
    return items, int(total[0]) if total else 0
