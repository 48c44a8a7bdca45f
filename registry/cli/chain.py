"""`registry chain up|down|status` and `registry deploy`."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli.common import settings_for, with_signer


@click.group("chain")
def chain_group() -> None:
    """The local chain (anvil), its state kept in the data directory across restarts."""


@chain_group.command("up")
def chain_up() -> None:
    """Start the local chain in the background."""
    from registry import chain as chain_mod
    from registry.config import get_settings

    process = chain_mod.start(get_settings())
    click.echo(f"local chain running at {process.rpc_url} (pid {process.pid})")
    click.echo(f"state: {process.state_file}  log: {process.log_file}")


@chain_group.command("down")
def chain_down() -> None:
    """Stop the local chain (its blocks and logs are kept for the next `up`)."""
    from registry import chain as chain_mod
    from registry.config import get_settings

    if chain_mod.stop(get_settings()):
        click.echo("local chain stopped; state saved")
    else:
        click.echo("the local chain was not running")


@chain_group.command("status")
def chain_status() -> None:
    """Whether the chain answers, its id and height (exit 3 when nothing answers)."""
    from registry import chain as chain_mod
    from registry.cli.main import ExitCode
    from registry.config import get_settings

    st = chain_mod.status(get_settings())
    if not st.running:
        click.echo(f"no chain answers at {st.rpc_url}")
        raise SystemExit(ExitCode.UNREACHABLE)
    click.echo(
        f"chain {st.chain_id} at {st.rpc_url}: block {st.block_number}"
        + (f", managed pid {st.pid}" if st.pid else ", not managed by this project")
    )


@click.command("deploy")
@with_signer
@click.option(
    "--registrar", default=None, help="Address to hold the registrar role (default: signer)."
)
def deploy_cmd(dev_account: int | None, keystore: Path | None, registrar: str | None) -> None:
    """Deploy the contracts to the configured network and record them in the deployments file."""
    from registry.accounts import signer_from_settings
    from registry.deploy import deploy
    from registry.rpc import connect

    settings = settings_for(
        0 if dev_account is None and keystore is None else dev_account, keystore
    )
    rpc = connect(settings.rpc_url)
    signer = signer_from_settings(settings, rpc.chain_id())
    deployment = deploy(rpc, signer, registrar=registrar, record_in=settings.deployments_path)
    click.echo(f"deployed on chain {deployment.chain_id} at block {deployment.block}:")
    click.echo(f"  CollateralRegistry {deployment.registry}")
    click.echo(f"  LoanLedger         {deployment.loan_ledger}")
    click.echo(f"  InsuranceLedger    {deployment.insurance_ledger}")
    click.echo(f"recorded in {settings.deployments_path}")
