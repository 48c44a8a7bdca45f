"""Deploy the registry's contracts and record their addresses in the deployments file.

Runs as ``ape run deploy`` (ape finds ``cli``) and as a plain script:

    python scripts/deploy.py [--rpc-url URL] [--keystore FILE | --dev-account N]

The network is the configured one (``REGISTRY_RPC_URL``, default the local chain); the key
is an encrypted keystore (``REGISTRY_KEYSTORE`` + ``REGISTRY_KEY_PASSWORD``) or, on the local
chain only, a dev account (default 0).
"""

from __future__ import annotations

from pathlib import Path

import click

from registry.accounts import signer_from_settings
from registry.config import get_settings
from registry.deploy import deploy
from registry.rpc import connect


@click.command()
@click.option("--rpc-url", default=None, help="JSON-RPC URL (default: REGISTRY_RPC_URL).")
@click.option("--keystore", type=click.Path(path_type=Path), default=None)
@click.option("--dev-account", type=int, default=None, help="Local chain only.")
@click.option("--registrar", default=None, help="Address to hold the registrar role.")
def cli(
    rpc_url: str | None, keystore: Path | None, dev_account: int | None, registrar: str | None
) -> None:
    """Deploy CollateralRegistry, LoanLedger and InsuranceLedger."""
    settings = get_settings()
    updates: dict[str, object] = {}
    if rpc_url:
        updates["rpc_url"] = rpc_url
    if keystore:
        updates["keystore"] = keystore
    if dev_account is not None or (keystore is None and settings.keystore is None):
        updates["dev_account"] = 0 if dev_account is None else dev_account
    settings = settings.model_copy(update=updates)
    rpc = connect(settings.rpc_url)
    signer = signer_from_settings(settings, rpc.chain_id())
    d = deploy(rpc, signer, registrar=registrar, record_in=settings.deployments_path)
    click.echo(
        f"chain {d.chain_id}: registry {d.registry}, loans {d.loan_ledger}, "
        f"insurance {d.insurance_ledger} (block {d.block}) -> {settings.deployments_path}"
    )


if __name__ == "__main__":
    cli()
