"""`registry up`: the whole registry on this machine, in one command.

Starts the local chain (kept across restarts), deploys the contracts and builds the demo book
the first time, runs the indexer beside it, and serves the API and web page until Ctrl-C.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from registry.config import Settings


def _deployed(settings: Settings) -> bool:
    """Whether the deployments file names contracts that exist on the running chain."""
    from registry.contracts import read_deployments
    from registry.rpc import connect

    rpc = connect(settings.rpc_url)
    deployment = read_deployments(settings.deployments_path).get(rpc.chain_id())
    if deployment is None:
        return False
    return rpc.request("eth_getCode", [deployment.registry, "latest"]) != "0x"


def _registry_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "registry.cli", *args]


@click.command()
@click.option("--vehicles", type=int, default=2000, show_default=True, help="Demo book size.")
@click.option("--no-demo", is_flag=True, help="Deploy without demo data.")
def up(vehicles: int, no_demo: bool) -> None:
    """Chain, contracts, demo data, indexer and API/web page: everything, in the foreground."""
    from registry import chain as chain_mod
    from registry.accounts import dev_account
    from registry.config import get_settings
    from registry.rpc import connect

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if chain_mod.status(settings).running:
        click.echo(f"chain already running at {settings.rpc_url}")
    else:
        from registry.demo_clock import genesis_timestamp

        # a new chain for the demo starts years back, so that the book spreads over them
        since = None if no_demo else genesis_timestamp()
        process = chain_mod.start(settings, genesis_timestamp=since)
        click.echo(f"chain started at {process.rpc_url} (state in {process.state_file})")
    if not _deployed(settings):
        click.echo("deploying the contracts (registrar: dev account 0)…")
        from registry.deploy import deploy

        deploy(connect(settings.rpc_url), dev_account(0), record_in=settings.deployments_path)
        if not no_demo:
            subprocess.run(_registry_cmd("demo", "--vehicles", str(vehicles)), check=True)
    log = open(settings.data_dir / "indexer.log", "a")  # noqa: SIM115 - lives as long as the child
    indexer = subprocess.Popen(_registry_cmd("index"), stdout=log, stderr=subprocess.STDOUT)
    click.echo(f"indexer following the chain (pid {indexer.pid}, log {log.name})")
    api: subprocess.Popen[bytes] | None = None
    try:
        api = subprocess.Popen(_registry_cmd("serve"))
        while api.poll() is None:
            if indexer.poll() is not None:
                click.secho(
                    f"the indexer stopped (exit {indexer.returncode}); see {log.name}",
                    fg="red",
                    err=True,
                )
                break
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for child in (indexer, api):
            if child is not None and child.poll() is None:
                child.send_signal(signal.SIGINT)
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()
        log.close()
        click.echo(
            "stopped the API and the indexer; the chain keeps running "
            "(`registry chain down` stops it)"
        )
