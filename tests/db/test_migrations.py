"""Migrations: a database created by the first schema version upgrades with its data intact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from registry.db import alembic_config, make_engine, migrate
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
