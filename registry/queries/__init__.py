"""Read queries over the SQL mirror, for the API and the CLI (SQL lives here, not in api/).

Every answer is read inside one :func:`read_snapshot`, so the rows and the indexer
checkpoint that says which block they reflect come from the same database snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, select

from registry.db.models import Block, IndexerState


def table(model: Any) -> Table:
    """The Core table of a SQLModel class (Core rows are several times cheaper than ORM)."""
    return cast(Table, model.__table__)


STATE = table(IndexerState)
BLOCKS = table(Block)


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one snapshot of the database.

    SQLite (pysqlite) does not open a transaction before a SELECT, so each statement would
    see its own snapshot: an explicit ``BEGIN`` pins one. PostgreSQL gets REPEATABLE READ.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            yield conn
        finally:
            conn.rollback()


@dataclass(frozen=True, slots=True)
class MirrorState:
    """Where the mirror is: the block it reflects (and that block's hash), what is final."""

    chain_id: int
    registry_address: str
    start_block: int
    indexed_block: int
    indexed_hash: str | None
    finalized_block: int
    head_block: int
    confirmations: int
    updated_at: float


_STATE_SQL = (
    select(
        STATE.c.chain_id,
        STATE.c.registry_address,
        STATE.c.start_block,
        STATE.c.indexed_block,
        STATE.c.indexed_hash,
        STATE.c.finalized_block,
        STATE.c.head_block,
        STATE.c.confirmations,
        STATE.c.updated_at,
    )
    .order_by(STATE.c.updated_at.desc())
    .limit(1)
)


def mirror_state(conn: Connection) -> MirrorState | None:
    """The indexer's checkpoint (the most recently updated one), None before the first run."""
    row = conn.execute(_STATE_SQL).first()
    return MirrorState(*row) if row is not None else None


def block_time(conn: Connection, number: int) -> int | None:
    """The timestamp of block ``number`` if the mirror still holds its header."""
    stmt = select(BLOCKS.c.timestamp).where(BLOCKS.c.number == number)
    value = conn.execute(stmt).scalar()
    return int(value) if value is not None else None
