"""`registry certificate verify FILE`: re-check a saved title certificate against the chain."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from registry.certificates import deployment_of, load_certificate, verify_certificate
from registry.client import RegistryClient
from registry.config import get_settings
from registry.contracts import read_deployments
from registry.rpc import connect


def register(cli: click.Group) -> None:
    """Adds this module's commands to ``cli``."""
    cli.add_command(certificate)


@click.group()
def certificate() -> None:
    """Title-check certificates."""


@certificate.command("verify")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--rpc-url", default=None, help="default: REGISTRY_RPC_URL")
def verify(file: Path, rpc_url: str | None) -> None:
    """Check every statement of a saved certificate against the chain at its block.

    Exit 0 when every statement holds, 1 when any fails.
    """
    settings = get_settings()
    doc = load_certificate(file)
    body = doc["certificate"]
    cert_deployment = deployment_of(body)
    known = read_deployments(settings.deployments_path).get(cert_deployment.chain_id)
    client = RegistryClient(connect(rpc_url or settings.rpc_url), cert_deployment)
    statements = verify_certificate(doc, client, known=known)
    click.echo(
        f"certificate {doc.get('certificate_id')} for {body.get('vin')} "
        f"at block {body.get('block', {}).get('number')}"
    )
    if known is None:
        click.secho(
            f"note: no known deployment for chain {cert_deployment.chain_id}; trusting the "
            "contract addresses the certificate names",
            fg="yellow",
        )
    for s in statements:
        mark = click.style("held  ", fg="green") if s.held else click.style("FAILED", fg="red")
        click.echo(f"  {mark} {s.text}" + (f"  ({s.found})" if s.found else ""))
    failed = sum(not s.held for s in statements)
    if failed:
        click.secho(f"{failed} of {len(statements)} statements failed", fg="red", bold=True)
        sys.exit(1)
    click.secho(f"all {len(statements)} statements hold", fg="green", bold=True)
