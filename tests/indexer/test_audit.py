"""`registry audit verify`: exit 0 on an exact mirror, 1 with every tampered row reported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from registry.cli.main import cli
from registry.config import get_settings
from registry.contracts import write_deployment
from registry.db import make_engine
from registry.indexer.lock import indexer_lock
from tests.kit.books import populate
from tests.kit.chain import Registry


@pytest.fixture
def env(tmp_path: Path, fresh_registry: Registry, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    deployments = tmp_path / "deployments.json"
    write_deployment(deployments, fresh_registry.deployment)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url)
    monkeypatch.setenv("REGISTRY_RPC_URL", fresh_registry.node.rpc_url)
    monkeypatch.setenv("REGISTRY_DEPLOYMENTS_FILE", str(deployments))
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_audit_reports_tampered_rows(env: str, fresh_registry: Registry) -> None:
    ids = populate(fresh_registry)
    runner = CliRunner()
    indexed = runner.invoke(cli, ["index", "--until-head", "--quiet", "--core-only"])
    assert indexed.exit_code == 0, indexed.output
    clean = runner.invoke(cli, ["audit", "verify"])
    assert clean.exit_code == 0, clean.output
    assert "matches the chain" in clean.output

    vin = ids["vins"][0]
    engine = make_engine(env)
    with engine.begin() as conn:
        conn.execute(text("UPDATE titles SET owner = '0xdead' WHERE vin = :v"), {"v": vin})
        conn.execute(text("DELETE FROM liens WHERE lien_id = :i"), {"i": ids["liens"][-1]})
        conn.execute(
            text(
                "INSERT INTO sales (vin, dealer, buyer, sale_ref, floor_plan_lien_id, "
                "title_transferred, block_number, block_time, tx_hash, log_index) VALUES "
                "(:v, '0x1', '0x2', '0x3', NULL, 1, 1, 1, '0xfeed', 0)"
            ),
            {"v": vin},
        )
        conn.execute(text("DELETE FROM events WHERE id = (SELECT max(id) FROM events)"))
    engine.dispose()
    dirty = runner.invoke(cli, ["audit", "verify"])
    assert dirty.exit_code == 1, dirty.output
    out = dirty.output
    assert f"titles [{vin}]: changed (owner" in out
    assert f"liens [{ids['liens'][-1]}]: deleted" in out
    assert "sales [0xfeed, 0]: added" in out
    assert "events [" in out and ": deleted" in out

    one = runner.invoke(cli, ["audit", "verify", "--vin", vin])
    assert one.exit_code == 1 and f"titles [{vin}]" in one.output
    assert "liens [" not in one.output  # the deleted lien is on another VIN
    other = runner.invoke(cli, ["audit", "verify", "--vin", ids["vins"][5]])
    assert other.exit_code == 0, other.output


def test_second_index_command_exits_with_a_clear_message(env: str) -> None:
    engine = make_engine(env)
    with indexer_lock(engine):
        result = CliRunner().invoke(cli, ["index", "--until-head", "--quiet", "--core-only"])
    assert result.exit_code == 1  # a refusal (IndexerLocked), not a usage error
    assert "another indexer is already writing" in result.output
    engine.dispose()
