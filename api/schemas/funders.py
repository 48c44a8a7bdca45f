"""What the API answers a funder: its pool of pledged loans and its alerts."""

from __future__ import annotations

from pydantic import Field

from api.schemas import Freshness, Model
from api.schemas.risk import Alerts
from api.types import Brand, Bucket, LienStatus, LoanState, TitleStatus


class PooledLoan(Model):
    """A loan pledged to the funder, with its state, its lien and its collateral's title."""

    pledge_id: int
    loan_id: int
    vin: str | None
    lien_id: int | None
    lender: str = Field(description="the loan's servicer now")
    pledged_block: int
    pledged_at: int
    state: LoanState
    days_past_due: int
    delinquency_bucket: Bucket
    disbursed_amount: int
    total_paid: int
    charged_off_amount: int
    lien_status: LienStatus | None
    lien_priority: int | None = Field(description="the lien's rank (1 = first; 0 if ended)")
    title_status: TitleStatus | None
    brands: list[Brand]
    active_liens: int | None = Field(description="active liens on the vehicle, this one included")


class FunderPool(Model):
    funder: str
    total: int = Field(description="loans pledged to the funder now (all pages)")
    items: list[PooledLoan]
    freshness: Freshness


class FunderAlerts(Alerts):
    funder: str
