"""The SQL mirror of the chain: an append-only events table and projections built from it.

Conventions, for every table:

* addresses are lowercase ``0x`` hex, hashes ``0x`` hex, VINs their 17 characters;
* enum values are stored by name (``ACTIVE``, ``RELEASED``...), as in :mod:`registry.contracts`;
* ``*_block`` columns are block numbers and ``*_at`` columns block timestamps (unix seconds);
* ``updated_block`` is the block of the last event that changed the row. A row is **final**
  when ``updated_block`` (``block_number`` for events) is at or below
  ``indexer_state.finalized_block`` (see :func:`registry.db.final_clause`): reorgs can only
  change rows above it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def _big(**kw: Any) -> Any:
    return Field(sa_type=BigInteger, **kw)


def _pk() -> Any:
    """An id assigned by the chain (not by the database)."""
    return Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})


class Event(SQLModel, table=True):
    """Every registry event, in chain order; never updated, rows above a reorg are deleted."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index", name="uq_events_tx_log"),
        Index("ix_events_vin_order", "vin", "block_number", "log_index"),
        Index("ix_events_block", "block_number", "log_index"),
    )

    id: int | None = Field(default=None, primary_key=True)
    block_number: int = _big()
    block_hash: str
    block_time: int = _big()  # unix seconds
    tx_hash: str
    log_index: int
    contract: str  # CollateralRegistry | LoanLedger | InsuranceLedger
    event: str  # the Solidity event name, e.g. LienRegistered
    actor: str | None = None  # who acted, when the event names it
    vin: str | None = None  # the vehicle concerned (resolved through lien/loan/policy/claim)
    lien_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    loan_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    policy_id: int | None = Field(default=None, sa_type=BigInteger)
    claim_id: int | None = Field(default=None, sa_type=BigInteger)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Title(SQLModel, table=True):
    """One row per VIN: the title as the registry holds it now."""

    __tablename__ = "titles"

    vin: str = Field(primary_key=True)
    owner: str = Field(index=True)
    status: str  # ACTIVE | TOTAL_LOSS | STOLEN | SCRAPPED
    brands: int = 0  # bitmask of BRANDS (registry.contracts.brand_names decodes it)
    odometer: int = _big(default=0)  # latest reading
    active_liens: int = 0
    transfers: int = 0
    issuer: str
    issued_block: int = _big()
    issued_at: int = _big()
    issued_tx: str
    updated_block: int = _big()


class BrandRecord(SQLModel, table=True):
    """Each brand applied to a title (brands are permanent history)."""

    __tablename__ = "brand_history"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index", name="uq_brand_history_tx_log"),)

    id: int | None = Field(default=None, primary_key=True)
    vin: str = Field(index=True)
    brand: str  # name, e.g. SALVAGE
    brands: int  # the mask after this brand
    actor: str
    block_number: int = _big()
    block_time: int = _big()
    tx_hash: str
    log_index: int


class OdometerReading(SQLModel, table=True):
    """Odometer readings of a VIN (the first comes with the title), for the chart."""

    __tablename__ = "odometer_readings"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index", name="uq_odometer_tx_log"),
        Index("ix_odometer_vin_order", "vin", "block_number", "log_index"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vin: str
    reading: int = _big()
    not_actual: bool = False  # a registrar correction below an earlier reading
    recorder: str
    block_number: int = _big()
    block_time: int = _big()
    tx_hash: str
    log_index: int


class Lien(SQLModel, table=True):
    """A security interest. ``priority`` is its rank among the VIN's active liens (0 if ended)."""

    __tablename__ = "liens"

    lien_id: int = _pk()
    vin: str = Field(index=True)
    holder: str = Field(index=True)  # current holder (after assignments)
    original_holder: str
    status: str  # ACTIVE | RELEASED | REPOSSESSED
    floor_plan: bool = False
    priority: int = 0
    registered_block: int = _big()
    registered_at: int = _big()
    registered_tx: str
    released_block: int | None = Field(default=None, sa_type=BigInteger)
    released_at: int | None = Field(default=None, sa_type=BigInteger)
    release_reason: str | None = None  # VOLUNTARY | PAYOFF | TRANSFER_CONSENT | REPOSSESSION
    updated_block: int = _big()


class Loan(SQLModel, table=True):
    """A loan anchored on chain; its event history is ``events WHERE loan_id = ...``."""

    __tablename__ = "loans"

    loan_id: int = _pk()
    lien_id: int = Field(sa_type=BigInteger, index=True)
    vin: str = Field(index=True)
    lender: str = Field(index=True)  # current lender (servicing follows lien assignment)
    state: str  # ORIGINATED | ACTIVE | DELINQUENT | DEFAULTED | PAID_OFF | ...
    loan_ref: str = Field(index=True)  # how a loan tape may name the loan
    terms_hash: str
    schedule_hash: str
    disbursed_amount: int = _big(default=0)  # cents
    total_paid: int = _big(default=0)  # cents
    payments_count: int = 0
    last_payment_at: int | None = Field(default=None, sa_type=BigInteger)
    days_past_due: int = 0  # as last recorded on chain by the lender
    charged_off_amount: int = _big(default=0)
    originated_block: int = _big()
    originated_at: int = _big()
    updated_block: int = _big()
    #: when the loan was originated and disbursed (the events' own times: earlier than the
    #: block's for an imported book); the delinquency history is taken at these times. Last,
    #: as 0005_import adds them (a new database gets the columns in the migrations' order)
    effective_originated_at: int | None = Field(default=None, sa_type=BigInteger)
    effective_disbursed_at: int | None = Field(default=None, sa_type=BigInteger)


class Policy(SQLModel, table=True):
    """An insurance policy naming a loss payee."""

    __tablename__ = "policies"

    policy_id: int = _pk()
    vin: str = Field(index=True)
    insurer: str = Field(index=True)
    loss_payee: str
    policy_ref: str
    expires_at: int = _big()
    status: str  # ACTIVE | CANCELLED
    recorded_block: int = _big()
    recorded_at: int = _big()
    updated_block: int = _big()


class Claim(SQLModel, table=True):
    """A claim against a policy."""

    __tablename__ = "claims"

    claim_id: int = _pk()
    policy_id: int = Field(sa_type=BigInteger, index=True)
    vin: str = Field(index=True)
    insurer: str
    claim_ref: str
    amount: int = _big()  # claimed, cents
    status: str  # OPEN | SETTLED | DENIED
    settled_amount: int | None = Field(default=None, sa_type=BigInteger)
    total_loss: bool = False
    filed_block: int = _big()
    filed_at: int = _big()
    updated_block: int = _big()


class TotalLoss(SQLModel, table=True):
    """A total loss declared by an insurer (the title is branded salvage)."""

    __tablename__ = "total_losses"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index", name="uq_total_losses_tx_log"),)

    id: int | None = Field(default=None, primary_key=True)
    vin: str = Field(index=True)
    claim_id: int = _big()
    policy_id: int = _big()
    insurer: str
    loss_payee: str
    flood: bool = False
    block_number: int = _big()
    block_time: int = _big()
    tx_hash: str
    log_index: int


class Sale(SQLModel, table=True):
    """A dealer sale; ``floor_plan_lien_id`` non-null means sold out of trust."""

    __tablename__ = "sales"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index", name="uq_sales_tx_log"),)

    id: int | None = Field(default=None, primary_key=True)
    vin: str = Field(index=True)
    dealer: str = Field(index=True)
    buyer: str
    sale_ref: str
    floor_plan_lien_id: int | None = Field(default=None, sa_type=BigInteger)
    title_transferred: bool
    block_number: int = _big()
    block_time: int = _big()
    tx_hash: str
    log_index: int


class Participant(SQLModel, table=True):
    """One row per (address, role) ever admitted; ``active`` false once removed."""

    __tablename__ = "participants"

    address: str = Field(primary_key=True)
    role: str = Field(primary_key=True)  # REGISTRAR | LENDER | DEALER | INSURER
    name: str = ""
    active: bool = True
    admitted_block: int = _big()
    admitted_at: int = _big()
    removed_block: int | None = Field(default=None, sa_type=BigInteger)
    removed_at: int | None = Field(default=None, sa_type=BigInteger)
    updated_block: int = _big()


class Block(SQLModel, table=True):
    """Headers of the recent (unfinalised) blocks, to detect reorgs."""

    __tablename__ = "blocks"

    number: int = _pk()
    hash: str
    parent_hash: str
    timestamp: int = _big()


class IndexerState(SQLModel, table=True):
    """The indexer's checkpoint for one deployment; committed with each batch."""

    __tablename__ = "indexer_state"

    key: str = Field(primary_key=True)  # "<chain_id>:<registry address>"
    chain_id: int
    registry_address: str
    start_block: int = _big()
    indexed_block: int = _big()  # everything up to here is in SQL
    indexed_hash: str | None = None
    finalized_block: int = _big()  # rows at or below this block are final
    head_block: int = _big(default=0)  # the node's head when last seen
    confirmations: int = 0
    updated_at: float = 0.0  # wall-clock unix time of the last commit


#: Projection tables rebuilt from events (in dependency-free order) on a reorg or an audit.
PROJECTIONS: tuple[type[SQLModel], ...] = (
    Title,
    BrandRecord,
    OdometerReading,
    Lien,
    Loan,
    Policy,
    Claim,
    TotalLoss,
    Sale,
    Participant,
)
