"""Migrations: a database created by the first schema version upgrades with its data intact;
an empty one gets the head schema in one step, the same as the migrations build."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from registry.db import alembic_config, head_revisions, make_engine, migrate
from registry.db.scratch import scratch_database


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite'}"
        return
    with scratch_database("test") as pg:  # fails (not skips) if unreachable
        yield pg


def test_first_revision_is_0001_initial() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert "0001_initial" in {r.revision for r in script.walk_revisions()}
    assert script.get_revision("0001_initial").down_revision is None


def test_upgrade_from_0001_keeps_data(url: str) -> None:
    migrate(url, "0001_initial")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO titles (vin, owner, status, brands, odometer, active_liens, "
                "transfers, issuer, issued_block, issued_at, issued_tx, updated_block) VALUES "
                "('1HGCM82633A004352', '0xabc', 'ACTIVE', 4, 1200, 1, 0, '0xreg', 5, 1700000000,"
                " '0xtx', 5)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO events (block_number, block_hash, block_time, tx_hash, log_index, "
                "contract, event, actor, vin, args) VALUES (5, '0xb', 1700000000, '0xtx', 0, "
                "'CollateralRegistry', 'TitleIssued', '0xreg', '1HGCM82633A004352', '{\"a\": 1}')"
            )
        )
    migrate(url)  # to head, whatever later revisions add
    with engine.connect() as conn:
        title = conn.execute(text("SELECT owner, brands, odometer FROM titles")).one()
        assert tuple(title) == ("0xabc", 4, 1200)
        assert conn.execute(text("SELECT event, vin FROM events")).one() == (
            "TitleIssued",
            "1HGCM82633A004352",
        )
        heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() in heads
    assert {"events", "titles", "liens", "loans", "indexer_state"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def _schema(url: str) -> dict[str, Any]:
    """Every table of the database as the inspector describes it, with the stamped revision."""
    engine = make_engine(url)
    try:
        found = inspect(engine)
        described: dict[str, Any] = {}
        for name in sorted(found.get_table_names()):
            described[name] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                    for c in found.get_columns(name)
                ],
                "primary_key": found.get_pk_constraint(name),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in found.get_indexes(name)
                ),
                "unique": sorted(
                    (u["name"], tuple(u["column_names"]))
                    for u in found.get_unique_constraints(name)
                ),
                "checks": sorted(str(c["sqltext"]) for c in found.get_check_constraints(name)),
                "foreign_keys": found.get_foreign_keys(name),
            }
        with engine.connect() as conn:
            described["revision"] = conn.execute(
                text("SELECT version_num FROM alembic_version")
            ).all()
        return described
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def url_pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases of one kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'a.sqlite'}", f"sqlite:///{tmp_path / 'b.sqlite'}"
        return
    with scratch_database("test") as a, scratch_database("test") as b:
        yield a, b


def test_empty_database_gets_what_the_migrations_build(url_pair: tuple[str, str]) -> None:
    """migrate() creates an empty database's schema in one step: the same tables, columns,
    types, defaults, keys, indexes and constraints as every migration run in turn, and the
    same revision stamped."""
    replayed, created = url_pair
    command.upgrade(alembic_config(replayed), "head")  # every migration, one by one
    migrate(created)
    engine = make_engine(created)
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()
    expected = _schema(replayed)
    assert {"events", "titles", "risk_loan_status", "api_keys"} <= set(expected)
    assert _schema(created) == expected


def test_head_revisions_are_alembics() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert head_revisions() == set(script.get_heads())


def test_migrate_leaves_a_database_at_head_as_it_is(sqlite_url: str) -> None:
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO risk_state (key, value) VALUES ('k', 'v')"))
    migrate(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM risk_state")).scalar() == "v"
    engine.dispose()
