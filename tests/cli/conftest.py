"""The CLI suites' fixture: `registry ARGS…` in-process against the session chain."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from registry.cli.main import cli
from registry.config import get_settings
from registry.contracts import write_deployment
from tests.kit.chain import Registry


@pytest.fixture
def run(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Result]]:
    """Runs `registry ARGS…` against the session chain with a private data directory."""
    write_deployment(tmp_path / "deployments.json", registry.deployment)
    monkeypatch.setenv("REGISTRY_RPC_URL", registry.node.rpc_url)
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()
