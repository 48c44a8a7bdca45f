"""What the tape routes answer: a tape check's result and a funder's pool report."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas import Freshness, Model
from registry.enums import DelinquencyStep, TapeException


class TapeFinding(Model):
    row: int = Field(description="the tape's line number (the header is 1)")
    loan: str = Field(description="the loan as the row names it (id or reference)")
    vin: str
    kind: TapeException
    balance_cents: int = Field(description="the row's balance as the tape states it")
    message: str
    details: dict[str, Any]


class KindTotal(Model):
    count: int
    balance_cents: int = Field(description="the tape balance of the rows of this kind")


class TapeSummary(Model):
    rows: int
    balance_cents: int
    rows_with_exceptions: int
    balance_with_exceptions_cents: int
    clean_rows: int
    exceptions: int
    by_kind: dict[TapeException, KindTotal]


class TapeInfo(Model):
    sha256: str
    rows: int


class Tolerances(Model):
    dpd_days: int
    balance_cents: int
    balance_ratio: float


class TapeCheck(Model):
    id: str = Field(description="0x + SHA-256 of the result's canonical JSON (without id, source)")
    source: str = Field(description="the uploaded file's name, if given")
    chain_id: int
    registry: str
    block: int = Field(description="the block the result reflects")
    block_hash: str | None
    finalized_block: int
    tape: TapeInfo
    lender: str | None
    funder: str | None
    tolerance: Tolerances
    summary: TapeSummary
    exceptions: list[TapeFinding]
    freshness: Freshness


class LoanBalance(Model):
    loans: int
    balance_cents: int


class StepTotal(LoanBalance):
    """The loans in one delinquency step."""


class Outstanding(LoanBalance):
    """The loans not paid off nor charged off."""


class Payoffs(Model):
    loans: int
    paid_cents: int


class ChargeOffs(Model):
    loans: int
    amount_cents: int


class CollateralEvents(Model):
    total_losses: int
    brands: int
    repossessions: int


class Share(Model):
    name: str
    loans: int
    balance_cents: int
    share: float


class LenderShare(Share):
    lender: str


class DealerShare(Share):
    dealer: str


class Concentration(Model):
    lenders: list[LenderShare]
    dealers: list[DealerShare]


class TrendMonth(Model):
    month: str = Field(description="YYYY-MM, a month end of chain time")
    loans: int
    balance_cents: int
    delinquent_30_plus_cents: int
    paid_off: int
    charged_off: int


class PoolReport(Model):
    funder: str
    as_of: int
    loans: int
    original_balance_cents: int
    outstanding: Outstanding
    delinquency: dict[DelinquencyStep, StepTotal]
    payoffs: Payoffs
    prepayments: Payoffs
    charge_offs: ChargeOffs
    net_loss_ratio: float
    collateral_events: CollateralEvents
    concentration: Concentration
    trend: list[TrendMonth]
    freshness: Freshness
