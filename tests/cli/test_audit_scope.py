"""`registry audit verify` says exactly what it checked, and `--full` re-reads every VIN."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from registry import audit
from registry.cli import audit as audit_cli
from registry.cli.main import cli
from registry.config import get_settings
from registry.contracts import write_deployment
from registry.db import make_engine
from tests.kit.books import populate
from tests.kit.chain import Registry


@pytest.fixture
def mirror(
    tmp_path: Path, fresh_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Engine, dict[str, list[Any]]]]:
    """A populated chain indexed into SQLite; yields the engine and populate's ids."""
    url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    write_deployment(tmp_path / "deployments.json", fresh_registry.deployment)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", url)
    monkeypatch.setenv("REGISTRY_RPC_URL", fresh_registry.node.rpc_url)
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    ids = populate(fresh_registry)
    indexed = CliRunner().invoke(cli, ["index", "--until-head", "--quiet", "--core-only"])
    assert indexed.exit_code == 0, indexed.output
    engine = make_engine(url)
    yield engine, ids
    engine.dispose()
    get_settings.cache_clear()


def _verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["audit", "verify", *args])
    return result.exit_code, result.output


def test_the_report_counts_both_derivations(mirror: tuple[Engine, dict[str, list[Any]]]) -> None:
    _, ids = mirror
    vins, liens, loans = len(ids["vins"]), len(ids["liens"]), len(ids["loans"])
    assert (vins, liens, loans) == (14, 8, 6)  # what populate() made: the oracle
    code, out = _verify("--sample", "5")
    assert code == 0, out
    assert f"({vins} VINs, {liens} liens, {loans} loans)" in out  # the fresh index: all of it
    assert f"contract reads (a random sample): 5 of {vins} VINs" in out
    assert f"{vins - 5} VINs were not re-read from the contracts (--full reads every VIN)" in out
    code, out = _verify("--full")
    assert code == 0, out
    assert f"contract reads: {vins} of {vins} VINs, {liens} liens, {loans} loans" in out
    assert "not re-read" not in out
    code, out = _verify("--full", "--json")
    report = json.loads(out)
    everything = {"vins": vins, "liens": liens, "loans": loans}
    assert report["fresh_index"] == report["contract_reads"] == everything
    assert report["vins_total"] == vins and report["vins_not_read"] == 0
    code, out = _verify("--sample", "0", "--json")
    assert json.loads(out)["contract_reads"] == {"vins": 0, "liens": 0, "loans": 0}
    assert json.loads(out)["vins_not_read"] == vins


def test_only_contract_reads_catch_an_indexer_that_is_wrong_twice(
    mirror: tuple[Engine, dict[str, list[Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in the indexer's code would be in the fresh index too: the contracts are the
    independent witness, so what they did not read must be said, and --full must read it."""
    engine, ids = mirror
    vin = ids["vins"][3]
    with engine.begin() as conn:
        conn.execute(text("UPDATE titles SET odometer = 1 WHERE vin = :v"), {"v": vin})
    monkeypatch.setattr(audit, "fresh_index", lambda *_: engine)  # "re-derived" the same way
    code, out = _verify("--sample", "0")
    assert code == 0 and f"{len(ids['vins'])} VINs were not re-read" in out
    code, out = _verify("--full")
    assert code == 1
    assert f"titles [{vin}]: changed (odometer: chain=1003 sql=1)" in out


def test_the_cli_default_sample_is_the_librarys() -> None:
    assert audit_cli.DEFAULT_SAMPLE == audit.DEFAULT_SAMPLE
