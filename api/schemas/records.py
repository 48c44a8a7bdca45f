"""What the mirror answers about vehicles, liens, loans and participants."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas import Freshness, Model
from api.types import (
    Brand,
    Bucket,
    EventKind,
    LienStatus,
    LoanState,
    ReleaseReason,
    TitleStatus,
    Verdict,
)

# ---------------------------------------------------------------- title check


class Cite(Model):
    block: int | None = None
    time: int | None = None
    tx_hash: str | None = None
    log_index: int | None = None


class BrandEntry(Cite):
    brand: Brand
    applied_by: str


class OdometerEntry(Cite):
    reading: int
    not_actual: bool = False


class LienEntry(Model):
    lien_id: int
    priority: int
    holder: str
    holder_name: str | None
    floor_plan: bool
    registered_block: int
    registered_at: int
    tx_hash: str
    log_index: int | None
    loan_id: int | None = Field(None, description="the loan the lien secures")
    pledged_to: str | None = Field(None, description="the funder that loan is pledged to")


class TotalLossEntry(Cite):
    claim_id: int
    policy_id: int
    insurer: str
    loss_payee: str
    flood: bool


class BlockRef(Model):
    number: int
    hash: str | None
    timestamp: int | None


class Summary(Model):
    verdict: Verdict
    clean: bool
    encumbered: bool
    branded: bool
    total_loss: bool


class Contracts(Model):
    registry: str
    loan_ledger: str
    insurance_ledger: str
    deployed_at_block: int


class TitleState(Model):
    owner: str
    status: TitleStatus


class Certificate(Model):
    type: str
    version: int
    vin: str
    chain_id: int
    contracts: Contracts
    block: BlockRef
    title: TitleState
    odometer: OdometerEntry
    brands: list[BrandEntry]
    liens: list[LienEntry]
    total_loss: TotalLossEntry | None
    summary: Summary


class VehicleDescription(Model):
    """What the VIN's characters say (decoded by vininfo): beside the certificate, not in it."""

    wmi: str
    manufacturer: str  # "unknown" when the maker is not in vininfo's table
    region: str
    country: str
    model_year_position: int
    model_year_code: str
    model_years: list[int]  # every year the code can stand for (30-year cycle), newest first
    model_year_note: str
    source: str


class AsOfRef(Model):
    """The block an as-of answer reflects: the last block at or before the moment asked for
    in which the registry recorded anything."""

    requested: str
    block: int
    hash: str
    time: int


class TitleCheck(Model):
    certificate_id: str
    certificate: Certificate
    vehicle: VehicleDescription
    as_of: AsOfRef | None = None
    freshness: Freshness


# -------------------------------------------------------------------- history


class Detail(Model):
    label: str
    value: str


class HistoryEvent(Model):
    kind: EventKind
    event: str
    contract: str
    block: int
    log_index: int
    block_hash: str
    time: int
    tx_hash: str
    actor: str | None
    lien_id: int | None
    loan_id: int | None
    policy_id: int | None
    claim_id: int | None
    args: dict[str, Any]
    summary: str  # the event in words (registry.timeline)
    details: list[Detail]


class HistoryPage(Model):
    vin: str
    events: list[HistoryEvent]
    next_cursor: str | None
    as_of: AsOfRef | None = None
    freshness: Freshness


class HistoryExport(Model):
    """A VIN's whole history, explained (the JSON download)."""

    vin: str
    block: int
    events: list[HistoryEvent]
    as_of: AsOfRef | None


class OdometerPoint(Model):
    reading: int
    not_actual: bool
    block: int
    time: int
    tx_hash: str


class OdometerSeries(Model):
    vin: str
    readings: list[OdometerPoint]
    as_of: AsOfRef | None = None
    freshness: Freshness


# ---------------------------------------------------------------------- liens


class LienRecord(Model):
    lien_id: int
    vin: str
    holder: str
    holder_name: str | None
    original_holder: str
    status: LienStatus
    floor_plan: bool
    priority: int
    registered_block: int
    registered_at: int
    registered_tx: str
    released_block: int | None
    released_at: int | None
    release_reason: ReleaseReason | None
    updated_block: int


class VinLiens(Model):
    vin: str
    items: list[LienRecord]
    as_of: AsOfRef | None = None
    freshness: Freshness


class HolderLiens(Model):
    holder: str
    items: list[LienRecord]
    freshness: Freshness


class OneLien(Model):
    record: LienRecord
    freshness: Freshness


# ---------------------------------------------------------------------- loans


class LoanRecord(Model):
    loan_id: int
    lien_id: int
    vin: str
    lender: str
    state: LoanState
    loan_ref: str
    terms_hash: str
    schedule_hash: str
    disbursed_amount: int
    total_paid: int
    payments_count: int
    last_payment_at: int | None
    days_past_due: int
    charged_off_amount: int
    originated_block: int
    originated_at: int
    #: when it was originated and disbursed (earlier than the blocks' times when imported)
    effective_originated_at: int | None
    effective_disbursed_at: int | None
    updated_block: int
    delinquency_bucket: Bucket
    funder: str | None = Field(None, description="the funder the loan is pledged to now")
    pledge_id: int | None = None


class LenderLoans(Model):
    lender: str
    items: list[LoanRecord]
    freshness: Freshness


class Timeline(Model):
    loan: LoanRecord
    events: list[HistoryEvent]
    freshness: Freshness


# --------------------------------------------------------------- participants


class ParticipantRecord(Model):
    address: str
    role: str  # a role name (REGISTRAR, LENDER, ...), or the role id if the registry has none
    name: str
    active: bool
    admitted_block: int
    admitted_at: int
    removed_block: int | None
    removed_at: int | None
    updated_block: int


class Participants(Model):
    items: list[ParticipantRecord]
    freshness: Freshness


class ParticipantRoles(Model):
    address: str
    items: list[ParticipantRecord]
    freshness: Freshness
