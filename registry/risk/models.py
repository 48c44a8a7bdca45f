"""The risk module's tables: schedules, loan standing, alerts, snapshots, webhooks, outbox.

Conventions as in :mod:`registry.db.models` (lowercase addresses, unix seconds of chain
time in ``*_at``/``*_time`` columns, amounts in cents). Wall-clock times (webhook delivery)
are floats named ``*_ts``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _big(**kw: Any) -> Any:
    return Field(sa_type=BigInteger, **kw)


class LoanSchedule(SQLModel, table=True):
    """A schedule revealed by its lender and checked against the committed hash.

    Keyed by (loan, hash): a restructured loan keeps its old schedule, and the one in force
    is the row whose hash equals ``loans.schedule_hash``. Off-chain data: never deleted on
    a reorg (a hash that no longer matches is simply not used).
    """

    __tablename__ = "risk_schedules"

    loan_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    schedule_hash: str = Field(primary_key=True)
    schedule_json: str = Field(sa_type=Text)  # canonical JSON (registry.schedules)
    dues: bytes = Field(sa_type=LargeBinary)  # DueSchedule.dumps(): packed int64 arrays
    principal_cents: int = _big()
    source: str = ""  # the record file it came from
    loaded_ts: float = 0.0


class LoanStatus(SQLModel, table=True):
    """Each loan's delinquency as of ``as_of`` (chain time), recomputed as blocks and days pass."""

    __tablename__ = "risk_loan_status"
    __table_args__ = (Index("ix_risk_loan_status_lender_bucket", "lender", "bucket"),)

    loan_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    lender: str
    vin: str = Field(index=True)
    lien_id: int = _big()
    state: str  # the loan's lifecycle state (loans.state)
    source: str  # schedule | lender_reported (no schedule known: the DPD the lender recorded)
    due_cents: int = _big(default=0)
    paid_cents: int = _big(default=0)
    past_due_cents: int = _big(default=0)
    dpd: int = 0
    bucket: str  # current | 1-29 | 30-59 | 60-89 | 90+ | closed
    oldest_unpaid_due: str | None = None  # ISO date
    exposure_cents: int = _big(default=0)  # principal outstanding (see registry.risk.portfolio)
    next_change_day: int | None = Field(default=None, index=True)  # date ordinal (see hooks)
    as_of: int = _big()  # chain time of the row's last change (risk_state 'as_of': of all)
    updated_block: int = _big(default=0)


class LoanPayment(SQLModel, table=True):
    """Payments per loan with their chain time: what "paid as of a month end" is summed from."""

    __tablename__ = "risk_payments"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index", name="uq_risk_payments_tx_log"),
        Index("ix_risk_payments_loan_time", "loan_id", "block_time"),
    )

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = _big()
    vin: str = Field(index=True)
    amount: int = _big()
    block_number: int = _big()
    block_time: int = _big()
    tx_hash: str
    log_index: int
    #: when the payment was made (the event's ``paidAt``: earlier than the block's time for an
    #: imported payment history); "paid as of a day" is summed by this time. Last, as
    #: 0005_import adds it
    effective_paid_at: int | None = Field(default=None, sa_type=BigInteger)


class Payoff(SQLModel, table=True):
    """Loans paid off, for the "lien not released within 30 days of payoff" rule."""

    __tablename__ = "risk_payoffs"

    loan_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    vin: str = Field(index=True)
    lender: str
    lien_id: int = _big()
    paid_off_at: int = Field(sa_type=BigInteger, index=True)
    block_number: int = _big()
    tx_hash: str
    log_index: int


class BucketSnapshot(SQLModel, table=True):
    """Each outstanding loan's bucket at a month end of chain time (for roll rates)."""

    __tablename__ = "risk_bucket_snapshots"
    __table_args__ = (Index("ix_risk_snapshots_lender_month", "lender", "month"),)

    month: str = Field(primary_key=True)  # YYYY-MM
    loan_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    lender: str
    bucket: str  # as BUCKETS, or paid_off / charged_off in the month the loan closed
    prev_bucket: str | None = None  # the bucket at the previous month end (None: new loan)
    dpd: int = 0
    exposure_cents: int = _big(default=0)


class RollCount(SQLModel, table=True):
    """Month-end transitions aggregated per lender (from the snapshots): the roll rates."""

    __tablename__ = "risk_roll_counts"

    month: str = Field(primary_key=True)  # the month ending in ``to_bucket``
    lender: str = Field(primary_key=True)
    from_bucket: str = Field(primary_key=True)
    to_bucket: str = Field(primary_key=True)
    loans: int = 0
    exposure_cents: int = _big(default=0)  # at the start of the month


class Alert(SQLModel, table=True):
    """A risk alert. ``key`` makes it idempotent: replaying the chain never duplicates one."""

    __tablename__ = "risk_alerts"
    __table_args__ = (Index("ix_risk_alerts_block", "block_number"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(
        unique=True, index=True
    )  # kind:tx_hash:log_index, or kind:loan:... for time rules
    kind: str = Field(index=True)
    severity: str  # info | warning | high | critical
    vin: str = Field(index=True)
    lenders: str  # ",0xabc,0xdef," (the lenders concerned; LIKE '%,0x..,%')
    lien_id: int | None = Field(default=None, sa_type=BigInteger)
    loan_id: int | None = Field(default=None, sa_type=BigInteger)
    block_number: int = _big()
    tx_hash: str | None = None
    log_index: int | None = None
    time: int = _big()  # chain time
    message: str = Field(sa_type=Text)
    details: str = Field(default="{}", sa_type=Text)  # JSON


class RiskState(SQLModel, table=True):
    """Small key/value state of the risk hooks (last recomputed day, last snapshot month)."""

    __tablename__ = "risk_state"

    key: str = Field(primary_key=True)
    value: str


class Webhook(SQLModel, table=True):
    """A participant's endpoint for its alerts and notices; the secret signs every delivery
    (Standard Webhooks, :mod:`registry.risk.signatures`)."""

    __tablename__ = "risk_webhooks"

    id: int | None = Field(default=None, primary_key=True)
    participant: str = Field(index=True)  # lowercase address (0009_watches: was ``lender``)
    url: str
    secret: str
    active: bool = True
    created_ts: float = 0.0


class Delivery(SQLModel, table=True):
    """The outbox: one row per (webhook, alert or notice), kept until acknowledged, and after.
    ``alert_key`` is the key of the alert or the notice."""

    __tablename__ = "risk_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "alert_key", name="uq_risk_deliveries_webhook_alert"),
        Index("ix_risk_deliveries_pending", "delivered_ts", "next_attempt_ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(
        unique=True, index=True
    )  # stable across retries: the receiver's dedup key
    webhook_id: int = Field(index=True)
    alert_id: int | None = None
    alert_key: str
    payload: str = Field(sa_type=Text)  # the JSON body, fixed at enqueue time
    attempts: int = 0
    next_attempt_ts: float = 0.0
    delivered_ts: float | None = None
    last_error: str | None = None
    created_ts: float = 0.0


#: Rows derived from chain events, deleted for the affected VINs on a reorg and rebuilt.
VIN_TABLES: tuple[type[SQLModel], ...] = (LoanStatus, LoanPayment, Payoff)
