"""Response shapes, for the OpenAPI document: each route declares the one it really sends.

Read routes send prebuilt JSON for speed, so nothing checks their answers at run time: the
schemathesis run of the test suite does (``additionalProperties: false`` everywhere, so an
undocumented field fails it too). Write routes return these models and FastAPI validates.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

R = TypeVar("R")


class Model(BaseModel):
    """A response object: exactly the fields listed."""

    model_config = ConfigDict(extra="forbid")


class Freshness(Model):
    """How fresh the answer is: the mirror's block against the chain head."""

    indexed_block: int | None
    head: int | None
    lag: int | None
    confirmations: int
    chain_reachable: bool
    stale: bool
    finalized_block: int | None = None


class Status(Model):
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


class EventOut(Model):
    event: str
    log_index: int
    args: dict[str, Any]


class TxOut(Model):
    """A mined transaction."""

    tx_hash: str
    block: int
    block_hash: str
    gas_used: int
    events: list[EventOut]


class WriteResult(Model, Generic[R]):
    """What a write did on chain, and the resulting record read at its block."""

    tx: TxOut
    record: R


class ErrorBody(Model):
    code: str
    message: str
    details: dict[str, Any]


class ErrorResponse(Model):
    error: ErrorBody
