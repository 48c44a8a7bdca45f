"""Read queries over the SQL mirror, for the API and the CLI (SQL lives here, not in api/).

Every answer is read inside one :func:`read_snapshot`, so the rows and the indexer
checkpoint that says which block they reflect come from the same database snapshot.

Queries are SQLAlchemy Core statements compiled once per dialect (:class:`Query`) and run on
the raw DB-API connection: a title check is a handful of indexed lookups, and SQLAlchemy's
per-execution machinery would otherwise cost more than the lookups themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, Select, Table, bindparam, select
from sqlalchemy.engine.interfaces import Dialect

from registry.db.models import Block, IndexerState


def table(model: Any) -> Table:
    """The Core table of a SQLModel class."""
    return cast(Table, model.__table__)


STATE = table(IndexerState)
BLOCKS = table(Block)


class Query:
    """A Core statement compiled once per dialect; run with :meth:`Reader.rows`."""

    __slots__ = ("_compiled", "stmt")

    def __init__(self, stmt: Select[Any]) -> None:
        self.stmt = stmt
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def compiled(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        entry = self._compiled.get(dialect.name)
        if entry is None:
            c = self.stmt.compile(dialect=dialect)
            order = tuple(c.positiontup) if dialect.positional and c.positiontup else None
            entry = (c.string, order, dict(c.params))
            self._compiled[dialect.name] = entry
        return entry


class Reader:
    """One read snapshot on a raw DB-API connection; rows come back as plain tuples."""

    def __init__(self, dbapi_conn: Any, dialect: Dialect) -> None:
        self._conn = dbapi_conn
        self.dialect = dialect

    @classmethod
    def of(cls, conn: Connection) -> Reader:
        """A reader on the DB-API connection under ``conn`` (so in ``conn``'s snapshot)."""
        return cls(conn.connection, conn.dialect)

    def rows(self, query: Query | Select[Any], **params: Any) -> list[Sequence[Any]]:
        q = query if isinstance(query, Query) else Query(query)
        sql, order, defaults = q.compiled(self.dialect)
        values = {**defaults, **params} if defaults else params
        cur = self._conn.cursor()
        try:
            cur.execute(sql, tuple(values[n] for n in order) if order is not None else values)
            return cast(list[Sequence[Any]], cur.fetchall())
        finally:
            cur.close()

    def dicts(self, query: Query | Select[Any], **params: Any) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column label."""
        q = query if isinstance(query, Query) else Query(query)
        names = [str(c.key) for c in q.stmt.selected_columns]
        return [dict(zip(names, row, strict=True)) for row in self.rows(q, **params)]

    def first(self, query: Query | Select[Any], **params: Any) -> Sequence[Any] | None:
        found = self.rows(query, **params)
        return found[0] if found else None


def as_json(value: Any) -> Any:
    """A JSON column's value (SQLite hands back text, PostgreSQL the decoded object)."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Reader]:
    """A reader whose queries all see one snapshot of the database.

    SQLite (pysqlite) opens no transaction before a SELECT, so each statement would see its
    own snapshot: an explicit ``BEGIN`` pins one. PostgreSQL gets REPEATABLE READ.
    """
    raw = engine.raw_connection()
    try:
        dbapi = raw.dbapi_connection
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            if not getattr(dbapi, "in_transaction", False):
                cur.execute("BEGIN")
        else:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.close()
        yield Reader(raw, engine.dialect)
    finally:
        try:
            raw.rollback()
        finally:
            raw.close()


@contextmanager
def snapshot_connection(engine: Engine) -> Iterator[Connection]:
    """A SQLAlchemy connection whose statements all see one snapshot, as :func:`read_snapshot`
    (for code written against SQLAlchemy Core, such as the risk module's reads)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
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


_STATE = Query(
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
_BLOCK_TIME = Query(select(BLOCKS.c.timestamp).where(BLOCKS.c.number == bindparam("number")))


def mirror_state(reader: Reader) -> MirrorState | None:
    """The indexer's checkpoint (the most recently updated one), None before the first run."""
    row = reader.first(_STATE)
    return MirrorState(*row) if row is not None else None


def block_time(reader: Reader, number: int) -> int | None:
    """The timestamp of block ``number`` if the mirror still holds its header."""
    row = reader.first(_BLOCK_TIME, number=number)
    return int(row[0]) if row is not None else None
