"""Bulk writes straight through the DBAPI connection of the batch's transaction.

SQLAlchemy's per-row parameter processing costs more than the database itself at the
indexer's rates, so batches go to the driver directly: ``executemany`` with a prepared upsert
on SQLite, ``COPY`` into a temporary staging table then one ``INSERT ... SELECT ... ON
CONFLICT`` on PostgreSQL. Rows are tuples in ``columns`` order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.errors import UniqueViolation
from sqlalchemy import Connection


class BulkWriter:
    """Inserts-or-ignores and upserts many rows in the current transaction."""

    def __init__(self, conn: Connection) -> None:
        self.dialect = conn.dialect.name
        self.raw: Any = conn.connection.driver_connection

    def select_in(
        self, table: str, columns: Sequence[str], key: str, values: Sequence[Any]
    ) -> list[tuple[Any, ...]]:
        """Rows of ``table`` whose ``key`` is one of ``values`` (``columns`` in order)."""
        cols = ", ".join(columns)
        out: list[tuple[Any, ...]] = []
        if self.dialect == "postgresql":
            with self.raw.cursor() as cur:
                cur.execute(f"SELECT {cols} FROM {table} WHERE {key} = ANY(%s)", (list(values),))
                out.extend(cur.fetchall())
            return out
        for i in range(0, len(values), 900):  # SQLite's historic parameter limit is 999
            chunk = values[i : i + 900]
            marks = ", ".join("?" for _ in chunk)
            cur = self.raw.execute(f"SELECT {cols} FROM {table} WHERE {key} IN ({marks})", chunk)
            out.extend(cur.fetchall())
        return out

    def write(
        self,
        table: str,
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
        cols = ", ".join(columns)
        on_conflict = f"ON CONFLICT ({', '.join(conflict)}) DO "
        if update:
            sets = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in conflict)
            on_conflict += f"UPDATE SET {sets}"
        else:
            on_conflict += "NOTHING"
        if self.dialect == "postgresql":
            self._postgres(table, columns, cols, on_conflict, rows)
        else:
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({cols}) VALUES ({marks}) {on_conflict}"
            self.raw.executemany(sql, rows)

    def _postgres(
        self,
        table: str,
        columns: Sequence[str],
        cols: str,
        on_conflict: str,
        rows: Sequence[tuple[Any, ...]],
    ) -> None:
        stage = f"_stage_{table}"
        with self.raw.cursor() as cur:
            if on_conflict.endswith("NOTHING"):  # fast path: straight in, unless a row exists
                try:
                    with (
                        self.raw.transaction(),
                        cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
                    ):
                        for row in rows:
                            copy.write_row(row)
                    return
                except UniqueViolation:
                    pass  # a replay: stage, then insert what is missing
            cur.execute(f"DROP TABLE IF EXISTS {stage}")
            cur.execute(
                f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS "
                f"SELECT {cols} FROM {table} WITH NO DATA"
            )
            with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} {on_conflict}")
            cur.execute(f"DROP TABLE {stage}")
