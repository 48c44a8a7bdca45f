"""Response shapes, for the OpenAPI document (routes send prebuilt JSON for speed)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Freshness(BaseModel):
    indexed_block: int | None
    head: int | None
    lag: int | None
    confirmations: int
    chain_reachable: bool
    stale: bool
    finalized_block: int | None = None


class Cite(BaseModel):
    block: int | None = None
    time: int | None = None
    tx_hash: str | None = None
    log_index: int | None = None


class BrandEntry(Cite):
    brand: str
    applied_by: str


class OdometerEntry(Cite):
    reading: int
    not_actual: bool = False


class LienEntry(BaseModel):
    lien_id: int
    priority: int
    holder: str
    holder_name: str | None
    floor_plan: bool
    registered_block: int
    registered_at: int
    tx_hash: str
    log_index: int | None


class TotalLossEntry(Cite):
    claim_id: int
    policy_id: int
    insurer: str
    loss_payee: str
    flood: bool


class BlockRef(BaseModel):
    number: int
    hash: str | None
    timestamp: int | None


class Summary(BaseModel):
    verdict: str  # clean | encumbered | branded | total_loss | stolen | scrapped
    clean: bool
    encumbered: bool
    branded: bool
    total_loss: bool


class Certificate(BaseModel):
    type: str
    version: int
    vin: str
    chain_id: int
    contracts: dict[str, Any]
    block: BlockRef
    title: dict[str, str]
    odometer: OdometerEntry
    brands: list[BrandEntry]
    liens: list[LienEntry]
    total_loss: TotalLossEntry | None
    summary: Summary


class VehicleDescription(BaseModel):
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


class TitleCheck(BaseModel):
    certificate_id: str
    certificate: Certificate
    vehicle: VehicleDescription
    freshness: Freshness


class HistoryEvent(BaseModel):
    kind: str  # title | lien | sale | loan | insurance | participant
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


class HistoryPage(BaseModel):
    vin: str
    events: list[HistoryEvent]
    next_cursor: str | None
    freshness: Freshness


class OdometerPoint(BaseModel):
    reading: int
    not_actual: bool
    block: int
    time: int
    tx_hash: str


class OdometerSeries(BaseModel):
    vin: str
    readings: list[OdometerPoint]
    freshness: Freshness


class Listing(BaseModel):
    """A list answer (liens, loans, participants): items plus freshness."""

    items: list[dict[str, Any]]
    freshness: Freshness


class Record(BaseModel):
    """One record (a lien, a loan) plus freshness."""

    record: dict[str, Any]
    freshness: Freshness


class Timeline(BaseModel):
    loan: dict[str, Any]
    events: list[HistoryEvent]
    freshness: Freshness


class Status(BaseModel):
    chain_id: int | None
    registry: str | None
    indexed_block: int | None
    indexed_hash: str | None
    finalized_block: int | None
    head: int | None
    lag: int | None
    confirmations: int
    chain_reachable: bool
    stale: bool
    indexer_updated_at: float | None
    freshness: Freshness


class WriteResult(BaseModel):
    """What a write did on chain, and the resulting record read at its block."""

    tx: dict[str, Any]
    record: dict[str, Any]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any]


class ErrorResponse(BaseModel):
    error: ErrorBody
