"""The watches' tables: who watches what, and the notices the indexer wrote for them.

Conventions as in :mod:`registry.db.models` (lowercase addresses, unix seconds of chain time
in ``block_time``); wall-clock times are floats named ``*_ts``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Watch(SQLModel, table=True):
    """One watch of a participant: a VIN, or an address (its vehicles and its liens)."""

    __tablename__ = "watches"
    __table_args__ = (
        UniqueConstraint("watcher", "kind", "target", name="uq_watches_watcher_kind_target"),
        Index("ix_watches_kind_target", "kind", "target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    watcher: str = Field(index=True)  # lowercase address of the participant (its API key's)
    kind: str  # registry.enums.WatchKind
    target: str  # a VIN, or a lowercase address
    label: str = ""
    created_ts: float = 0.0


class Notice(SQLModel, table=True):
    """An event touching a watched vehicle, told to one watcher. ``key`` (watcher, tx hash,
    log index) keeps it unique: indexing the chain again, or replaying it after a reorg,
    never writes or sends one twice."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_watcher_id", "watcher", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    watcher: str
    vin: str = Field(index=True)
    event: str  # the contract event's name
    message: str = Field(sa_type=Text)  # the event in words
    block_number: int = Field(sa_type=BigInteger, index=True)
    block_time: int = Field(sa_type=BigInteger)
    tx_hash: str
    log_index: int
    matched: str  # which watches matched: "vin", "address:0x…" (comma-separated)
    args: str = Field(default="{}", sa_type=Text)  # the event's arguments, JSON
    state: str = Field(default="{}", sa_type=Text)  # the vehicle after the event, JSON
    created_ts: float = 0.0
