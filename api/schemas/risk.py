"""What the risk routes answer: alerts, loan standing, the portfolio report, webhooks."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from api.schemas import Freshness, Model
from api.types import AlertKind, Bucket, LoanState, Severity, StandingBucket


class AlertRecord(Model):
    id: int
    key: str
    kind: AlertKind
    severity: Severity
    vin: str
    lenders: list[str] = Field(description="the lenders the alert concerns (lowercase)")
    lien_id: int | None
    loan_id: int | None
    block_number: int
    tx_hash: str | None
    log_index: int | None
    time: int
    message: str
    details: dict[str, Any]


class Alerts(Model):
    items: list[AlertRecord]
    kinds: dict[str, str] = Field(description="every alert kind, with what it means")
    freshness: Freshness


class LenderAlerts(Alerts):
    lender: str


class StandingRecord(Model):
    loan_id: int
    lender: str
    vin: str
    lien_id: int
    state: LoanState
    source: Literal["schedule", "lender_reported"]
    due_cents: int
    paid_cents: int
    past_due_cents: int
    dpd: int
    bucket: StandingBucket
    oldest_unpaid_due: str | None
    exposure_cents: int
    next_change_day: int | None
    as_of: int
    updated_block: int


class LenderStanding(Model):
    lender: str
    items: list[StandingRecord]
    freshness: Freshness


# ------------------------------------------------------------------ portfolio


class BucketFigures(Model):
    loans: int
    exposure_cents: int
    past_due_cents: int


class RollRow(Model):
    source: Literal["observed", "prior"]
    observations: int
    to: dict[str, float] = Field(description="probability of each next state")


class RollRates(Model):
    months: list[str]
    matrix: dict[Bucket, RollRow]
    monthly: dict[str, dict[str, dict[str, int]]]


class DealerExposure(Model):
    dealer: str
    name: str
    loans: int
    exposure_cents: int
    floor_plan_liens: int
    share: float


class BrandExposure(Model):
    loans: int
    exposure_cents: int


class BrandedCollateral(BrandExposure):
    by_brand: dict[str, BrandExposure]


class StressResult(Model):
    factor: float
    expected_default_cents: int
    expected_loss_cents: int
    loss_rate: float
    projected_cents: dict[str, int]


class Stress(Model):
    lgd: float
    horizon_months: int
    baseline: StressResult
    stressed: StressResult


class Portfolio(Model):
    lender: str
    as_of: int
    definitions: dict[str, str]
    loans: int
    exposure_cents: int
    buckets: dict[Bucket, BucketFigures]
    roll_rates: RollRates
    dealers: list[DealerExposure]
    branded_collateral: BrandedCollateral
    stress: Stress
    freshness: Freshness


# ------------------------------------------------------------------- webhooks


class WebhookRecord(Model):
    id: int
    lender: str
    url: str
    active: bool
    created_ts: float
    pending: int
    delivered: int


class Webhooks(Model):
    lender: str
    items: list[WebhookRecord]


class WebhookCreated(Model):
    id: int
    lender: str
    url: str
    secret: str = Field(description="shown once: sign-checks every delivery")
    active: bool
    created_ts: float


class WebhookRemoved(Model):
    removed: int
