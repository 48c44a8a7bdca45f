"""Handler registries are passed, never registered by importing a module: extensions loaded
by ``registry index --extension MODULE`` through their factory, risk settings per indexer."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli.index import index_handlers
from registry.cli.main import cli
from registry.config import Settings, get_settings
from registry.contracts import write_deployment
from registry.errors import ConfigurationError
from registry.indexer import load_extension
from registry.indexer.pledges import PLEDGE_HANDLERS
from registry.indexer.pledges import rollback as rollback_pledges
from registry.indexer.projections import CORE_HANDLERS
from tests.kit.chain import Registry
from tests.kit.vins import fresh_vins

EXAMPLE = "tests.indexer.extension_example"


@pytest.fixture
def env(tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    deployments = tmp_path / "deployments.json"
    write_deployment(deployments, registry.deployment)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", f"sqlite:///{tmp_path / 'mirror.sqlite'}")
    monkeypatch.setenv("REGISTRY_RPC_URL", registry.node.rpc_url)
    monkeypatch.setenv("REGISTRY_DEPLOYMENTS_FILE", str(deployments))
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_importing_an_extension_registers_nothing(tmp_path: Path) -> None:
    sys.modules.pop(EXAMPLE, None)
    importlib.import_module(EXAMPLE)
    importlib.import_module("registry.risk.hooks")
    core = index_handlers(Settings(data_dir=tmp_path), core_only=True)
    assert [set(r.handlers) for r in core] == [set(CORE_HANDLERS) | set(PLEDGE_HANDLERS)]
    assert not core[0].after_batch_hooks
    assert core[0].rollback_hooks == [rollback_pledges]  # the pledges projection's own


def test_the_default_handlers_are_the_core_the_risk_and_the_funder_rules(tmp_path: Path) -> None:
    core, risk, funders = index_handlers(Settings(data_dir=tmp_path, funder_payoff_days=5))
    assert set(core.handlers) == set(CORE_HANDLERS) | set(PLEDGE_HANDLERS)
    assert {"LoanOriginated", "LoanPaymentRecorded", "LienRegistered"} <= set(risk.handlers)
    assert {"LoanPledged", "LienReleased", "LienAssigned"} <= set(funders.handlers)
    assert funders.after_batch_hooks and funders.rollback_hooks
    assert risk.after_batch_hooks and risk.rollback_hooks and risk.after_apply_hooks
    # each call builds its own registries, bound to its settings: nothing shared
    again = index_handlers(Settings(data_dir=tmp_path / "other"))
    assert again[1] is not risk
    assert again[1].handlers["LoanOriginated"][0] is not risk.handlers["LoanOriginated"][0]


def test_a_module_without_the_factory_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"registry\.vin is not an indexer extension"):
        load_extension("registry.vin", Settings(data_dir=tmp_path))


def test_index_runs_an_extension_through_its_factory(env: Path, registry: Registry) -> None:
    new = fresh_vins(3)
    registry.registrar.issue_titles_batch(new, [registry.cast.owner.address] * 3, [1, 2, 3])
    registry.client(registry.cast.lender).register_lien(new[0])
    result = CliRunner().invoke(
        cli, ["index", "--until-head", "--quiet", "--core-only", "--extension", EXAMPLE]
    )
    assert result.exit_code == 0, result.output
    seen = json.loads((env / "seen.json").read_text())  # the factory was given the settings
    assert seen["TitleIssued"] >= 3 and seen["LienRegistered"] >= 1
    assert set(seen) == {"TitleIssued", "LienRegistered"}


def test_an_unknown_extension_fails_with_its_name(env: Path) -> None:
    result = CliRunner().invoke(cli, ["index", "--until-head", "--extension", "no_such_module"])
    assert result.exit_code != 0
    assert "no_such_module" in str(result.exception) + result.output
