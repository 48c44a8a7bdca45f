"""The pledges projection: each loan's pledges to funders, as the loan ledger records them.

Conventions as in :mod:`registry.db.models`. One row per pledge (keyed by the chain's pledge
id); a release keeps the row (``active`` false, ``released_*`` and ``release_reason`` set), so
a loan's pledge history stays. A loan carries at most one active row: the contract refuses a
second pledge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel


def _big(**kw: Any) -> Any:
    return Field(sa_type=BigInteger, **kw)


class Pledge(SQLModel, table=True):
    """A loan pledged by its servicer to a funder (warehouse lender, securitisation trust)."""

    __tablename__ = "pledges"
    __table_args__ = (
        Index("ix_pledges_funder_active", "funder", "active"),
        Index("ix_pledges_loan", "loan_id"),
        Index("ix_pledges_vin", "vin"),
    )

    pledge_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    loan_id: int = _big()
    lien_id: int | None = _big(default=None)
    vin: str | None = None  # None only if the loan is not in the mirror
    lender: str  # the servicer that pledged it
    funder: str
    pledged_block: int = _big()
    pledged_log_index: int
    pledged_at: int = _big()
    released_block: int | None = _big(default=None)
    released_at: int | None = _big(default=None)
    release_reason: str | None = None  # PledgeReleaseReason value, e.g. REMITTANCE
    active: bool = True
