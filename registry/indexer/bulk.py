"""Bulk writes straight through the DBAPI connection of the batch's transaction.

SQLAlchemy's per-row parameter processing costs more than the database itself at the
indexer's rates, so batches go to the driver directly: each statement is built with
SQLAlchemy's dialect constructs (``insert().on_conflict_do_update/do_nothing``), compiled once
(:func:`functools.lru_cache`) and executed by the driver: ``executemany`` on SQLite, ``COPY``
into a temporary staging table then one ``INSERT ... SELECT ... ON CONFLICT`` on PostgreSQL.
Rows are tuples in ``columns`` order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table, any_, bindparam, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable, DropTable

from registry.chunks import chunks

_SQLITE = sqlite.dialect(paramstyle="qmark")


@lru_cache(maxsize=1)
def _postgres() -> Any:
    """The psycopg dialect (imported on first use: a SQLite mirror never loads psycopg)."""
    from sqlalchemy.dialects.postgresql import psycopg

    return psycopg.dialect()


@lru_cache(maxsize=256)
def _select_in(table: Table, columns: tuple[str, ...], key: str, count: int) -> str:
    """``SELECT columns FROM table WHERE key IN (?, ...)`` (``count`` values), for SQLite."""
    stmt = select(*(table.c[c] for c in columns)).where(table.c[key].in_(list(range(count))))
    return str(stmt.compile(dialect=_SQLITE, compile_kwargs={"render_postcompile": True}))


@lru_cache(maxsize=64)
def _select_any(table: Table, columns: tuple[str, ...], key: str) -> str:
    """``SELECT columns FROM table WHERE key = ANY(%(keys)s)``, for PostgreSQL."""
    stmt = select(*(table.c[c] for c in columns)).where(table.c[key] == any_(bindparam("keys")))
    return str(stmt.compile(dialect=_postgres()))


def _upsert(insert: Any, conflict: tuple[str, ...], columns: tuple[str, ...], update: bool) -> Any:
    if not update:
        return insert.on_conflict_do_nothing(index_elements=list(conflict))
    sets = {c: insert.excluded[c] for c in columns if c not in conflict}
    return insert.on_conflict_do_update(index_elements=list(conflict), set_=sets)


@lru_cache(maxsize=64)
def _sqlite_write(
    table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], update: bool
) -> str:
    """The SQLite upsert of one row of ``columns`` (``?`` parameters in ``columns`` order)."""
    compiled = _upsert(sqlite.insert(table), conflict, columns, update).compile(
        dialect=_SQLITE, column_keys=list(columns)
    )
    assert tuple(compiled.positiontup or ()) == columns, "parameters out of column order"
    return str(compiled)


def _stage(table: Table, columns: tuple[str, ...]) -> Table:
    """A temporary table with ``table``'s ``columns``, dropped at commit."""
    return Table(
        f"_stage_{table.name}",
        MetaData(),
        *(Column(c, table.c[c].type) for c in columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


@dataclass(frozen=True)
class _Staged:
    """The PostgreSQL statements of an upsert of many rows."""

    copy: str  # COPY straight into the table (inserts only, when no row exists yet)
    create: str  # the staging table (replacing one left in the transaction)
    drop_stale: str
    copy_stage: str  # COPY into it
    upsert: str  # INSERT ... SELECT from it ... ON CONFLICT
    drop: str


def _copy(table: Table | Any, columns: tuple[str, ...]) -> str:
    """``COPY`` into ``table`` (the one statement SQLAlchemy has no construct for)."""
    quote = _postgres().identifier_preparer.quote
    return f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"


@lru_cache(maxsize=64)
def _postgres_write(
    table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], update: bool
) -> _Staged:
    from sqlalchemy.dialects import postgresql

    stage = _stage(table, columns)
    insert = postgresql.insert(table).from_select(list(columns), select(*stage.c))
    return _Staged(
        copy=_copy(table, columns),
        create=str(CreateTable(stage).compile(dialect=_postgres())),
        drop_stale=str(DropTable(stage, if_exists=True).compile(dialect=_postgres())),
        copy_stage=_copy(stage, columns),
        upsert=str(_upsert(insert, conflict, columns, update).compile(dialect=_postgres())),
        drop=str(DropTable(stage).compile(dialect=_postgres())),
    )


class BulkWriter:
    """Inserts-or-ignores and upserts many rows in the current transaction."""

    def __init__(self, conn: Connection) -> None:
        self.dialect = conn.dialect.name
        self.raw: Any = conn.connection.driver_connection

    def select_in(
        self, table: Table, columns: Sequence[str], key: str, values: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        """Rows of ``table`` whose ``key`` is one of ``values`` (``columns`` in order)."""
        cols = tuple(columns)
        if self.dialect == "postgresql":
            with self.raw.cursor() as cur:
                cur.execute(_select_any(table, cols, key), {"keys": list(values)})
                return list(cur.fetchall())
        out: list[tuple[Any, ...]] = []
        for chunk in chunks(values):
            out.extend(self.raw.execute(_select_in(table, cols, key, len(chunk)), chunk))
        return out

    def write(
        self,
        table: Table,
        columns: Sequence[str],
        conflict: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        *,
        update: bool,
    ) -> None:
        """Writes ``rows``; on a ``conflict`` key clash, updates the row (``update``) or keeps
        the existing one."""
        if not rows:
            return
        cols, keys = tuple(columns), tuple(conflict)
        if self.dialect == "postgresql":
            self._postgres(table, cols, keys, rows, update)
        else:
            self.raw.executemany(_sqlite_write(table, cols, keys, update), rows)

    def _postgres(
        self,
        table: Table,
        columns: tuple[str, ...],
        conflict: tuple[str, ...],
        rows: Sequence[tuple[Any, ...]],
        update: bool,
    ) -> None:
        from psycopg.errors import UniqueViolation

        sql = _postgres_write(table, columns, conflict, update)
        with self.raw.cursor() as cur:
            if not update:  # fast path: straight in, unless a row exists
                try:
                    with self.raw.transaction(), cur.copy(sql.copy) as copy:
                        for row in rows:
                            copy.write_row(row)
                    return
                except UniqueViolation:
                    pass  # a replay: stage, then insert what is missing
            cur.execute(sql.drop_stale)
            cur.execute(sql.create)
            with cur.copy(sql.copy_stage) as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(sql.upsert)
            cur.execute(sql.drop)
