"""Database access for everyone: engines, sessions and migrations.

``make_engine(url)`` gives an engine with the right settings for SQLite (the newest driver at
hand, :mod:`registry.db.sqlite`; WAL, ``synchronous=NORMAL``, busy timeout) or PostgreSQL (``postgresql+psycopg://``);
``session_scope(engine)`` a transactional session; ``migrate(url)`` brings a database to the
latest schema (Alembic, ``registry/migrations``): an empty database gets the models' tables
in one step, stamped with the head revision (what the migrations build, as
tests/db/test_migrations.py checks), instead of every migration replayed in turn.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    Select,
    String,
    Table,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import make_url
from sqlmodel import Session

from registry.db import sqlite
from registry.db.models import IndexerState
from registry.db.wal import autocheckpoint_pages

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
#: The modules whose models make up the schema the migrations build (a new model module is
#: listed here; tests/db/test_migrations.py checks that these tables equal the migrations').
MODEL_MODULES = (
    "registry.db.models",
    "registry.db.auth_models",
    "registry.db.pledges",
    "registry.risk.models",
    "registry.watches.models",
)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # 8 KiB pages for a new database (a no-op on an existing one): ~15% cheaper bulk inserts
    # into the indexed events table than the default 4 KiB
    cur.execute("PRAGMA page_size=8192")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-65536")
    _record.info["page_size"] = cur.execute("PRAGMA page_size").fetchone()[0]
    cur.close()


def _autocheckpoint(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """A checkout listener keeping the connection's automatic WAL checkpoints as
    :func:`registry.db.wal.autocheckpoint_pages` says: every ~40 MB of WAL (fewer, larger
    checkpoints than SQLite's default), or none while a :class:`WalCheckpointer` runs."""

    def apply(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        pages = autocheckpoint_pages(engine, record.info.get("page_size", 8192))
        if record.info.get("autocheckpoint") != pages:
            dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={pages}")
            record.info["autocheckpoint"] = pages

    return apply


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL and their directory is created."""
    if is_sqlite(url):
        db = make_url(url).database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        kwargs.setdefault("module", sqlite.driver)
        sqlite.bind_none_quickly()
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkout", _autocheckpoint(engine))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str) -> Any:
    """The Alembic configuration for ``url`` (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def schema_tables() -> list[Table]:
    """The tables of :data:`MODEL_MODULES`' models (the schema at the head revision), in
    dependency order."""
    from sqlmodel import SQLModel

    mine: set[Table] = set()
    for name in MODEL_MODULES:
        module = importlib.import_module(name)
        mine.update(
            value.__table__
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, SQLModel)
            and value.__module__ == name
            and hasattr(value, "__table__")
        )
    return [t for t in SQLModel.metadata.sorted_tables if t in mine]


#: Alembic's version table, as Alembic creates it (tests/db/test_migrations.py compares).
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def head_revisions() -> set[str]:
    """The head revision(s) of the migrations, read from the version files' ``revision`` and
    ``down_revision`` (what Alembic's ``ScriptDirectory.get_heads()`` answers, as the tests
    check) without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        values: dict[str, Any] = {}
        for node in ast.parse(path.read_text()).body:  # `name = ...` or `name: type = ...`
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                values[target.id] = ast.literal_eval(value)
        revisions.add(values["revision"])
        down = values.get("down_revision")
        parents.update([down] if isinstance(down, str) else down or ())
    return revisions - parents


def migrate(url: str, revision: str = "head") -> None:
    """Upgrades the database at ``url`` to ``revision`` (default: the latest schema).

    Brought to the head, an empty database gets the models' tables in one step, stamped with
    the head revision (what the migrations build, in a fraction of the time), and a database
    already at the head is left as it is; anything else goes through Alembic's upgrade."""
    if revision == "head" and _at_head(url):
        return
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def _at_head(url: str) -> bool:
    """Whether the database at ``url`` is at the (single) head revision, after creating the
    head schema in one transaction if it had no table at all."""
    heads = head_revisions()
    if len(heads) != 1:
        return False  # unmerged branches: Alembic says what to do
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            tables = inspect(conn).get_table_names()
            if not tables:
                schema = schema_tables()
                schema[0].metadata.create_all(conn, tables=[*schema, VERSION_TABLE])
                conn.execute(VERSION_TABLE.insert(), [{"version_num": next(iter(heads))}])
                return True
            if VERSION_TABLE.name not in tables:
                return False
            current = {v for (v,) in conn.execute(select(VERSION_TABLE.c.version_num))}
            return current == heads
    finally:
        engine.dispose()


def dialect_insert(conn: Connection, table: Table) -> Any:
    """An ``INSERT`` into ``table`` in ``conn``'s dialect (PostgreSQL or SQLite), so that it
    has ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def newest_first(stmt: Select[Any], table: Table, before_id: int | None, limit: int) -> Select[Any]:
    """``stmt`` paged by ``table``'s id: the ``limit`` newest rows older than ``before_id``."""
    if before_id is not None:
        stmt = stmt.where(table.c.id < before_id)
    return stmt.order_by(table.c.id.desc()).limit(limit)


def final_clause(block_column: Any) -> ColumnElement[bool]:
    """SQL that is true when a row's block is final, e.g. ``final_clause(Lien.updated_block)``."""
    state: Any = IndexerState.__table__  # type: ignore[attr-defined]
    finalized = select(state.c.finalized_block).limit(1).scalar_subquery()
    result: ColumnElement[bool] = block_column <= finalized
    return result


__all__ = [
    "Session",
    "alembic_config",
    "dialect_insert",
    "final_clause",
    "head_revisions",
    "is_sqlite",
    "make_engine",
    "migrate",
    "schema_tables",
    "session_scope",
]
