"""The real `registry` command's exit status: 0 done, 1 refused, 2 usage, 3 node unreachable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from registry.chain import free_port
from registry.cli.main import ExitCode
from registry.contracts import write_deployment
from tests.kit.chain import Registry
from tests.kit.cli import registry_env, run_registry


@pytest.fixture
def env(registry: Registry, tmp_path: Path) -> dict[str, str]:
    """Settings for the session chain, with a private data directory."""
    write_deployment(tmp_path / "deployments.json", registry.deployment)
    return registry_env(rpc_url=registry.node.rpc_url, data_dir=tmp_path)


def test_success_exits_0(
    env: dict[str, str], registry: Registry, tmp_path: Path, new_vin: Callable[[], str]
) -> None:
    vin = new_vin()
    registry.registrar.issue_title(vin, registry.cast.owner.address, 10)
    shown = run_registry("title", "show", vin, env=env, cwd=tmp_path)
    assert shown.returncode == ExitCode.OK == 0, shown.stderr
    assert vin in shown.stdout


def test_a_refusal_by_the_chain_exits_1_with_one_line(
    env: dict[str, str], registry: Registry, tmp_path: Path, new_vin: Callable[[], str]
) -> None:
    vin = new_vin()
    registry.registrar.issue_title(vin, registry.cast.owner.address, 10)
    refused = run_registry("lien", "register", vin, "--dev-account", "7", env=env, cwd=tmp_path)
    assert refused.returncode == ExitCode.REFUSED == 1
    assert refused.stderr.startswith("error: ")
    assert "does not have the lender role" in refused.stderr
    assert "Traceback" not in refused.stderr and refused.stderr.count("\n") == 1


def test_a_refusal_by_validation_exits_1(env: dict[str, str], tmp_path: Path) -> None:
    bad = run_registry("title", "show", "1HGCM82633A00435O", env=env, cwd=tmp_path)
    assert bad.returncode == 1
    assert "I, O and Q never appear" in bad.stderr and "Traceback" not in bad.stderr
    fraction = run_registry(
        "loan", "pay", "1", "1.001", "--dev-account", "1", env=env, cwd=tmp_path
    )
    assert fraction.returncode == 1 and "whole cents" in fraction.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("title", "show"),  # missing argument
        ("title", "show", "1HGCM82633A004352", "--no-such-option"),
        ("no-such-command",),
        ("loan", "pay", "not-a-number", "10"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], env: dict[str, str], tmp_path: Path) -> None:
    misused = run_registry(*args, env=env, cwd=tmp_path)
    assert misused.returncode == ExitCode.USAGE == 2, misused.stderr
    assert "Usage:" in misused.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("title", "show", "1HGCM82633A004352"),
        ("lien", "register", "1HGCM82633A004352", "--dev-account", "1"),
        ("audit", "verify"),
        ("chain", "status"),
    ],
)
def test_an_unreachable_node_exits_3(args: tuple[str, ...], tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    env = registry_env(rpc_url=closed, chain_port=closed.rsplit(":", 1)[1], data_dir=tmp_path)
    down = run_registry(*args, env=env, cwd=tmp_path, timeout=120)
    assert down.returncode == ExitCode.UNREACHABLE == 3, down.stdout + down.stderr
    assert closed in down.stdout + down.stderr
    assert "Traceback" not in down.stderr
