"""`registry certificate save|verify`: title-check certificates, saved and re-checked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from registry.cli.common import AT_HELP, mirror_snapshot


@click.group()
def certificate() -> None:
    """Title-check certificates: save one from the mirror, verify one against the chain."""


@certificate.command("save")
@click.argument("vin")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--at", "at", default=None, help=AT_HELP)
@click.option(
    "--database-url", default=None, help="SQLAlchemy URL of the mirror (default: settings)."
)
def save(vin: str, out: Path, at: str | None, database_url: str | None) -> None:
    """Write the title check of VIN, as the SQL mirror answers it now, to a certificate file.

    The same certificate as the API's title check: it names the block the mirror reflects,
    and `registry certificate verify FILE` re-checks every statement against the chain.
    With --at, the title as it stood then (the certificate names the block it reflects).
    """
    from registry.certificates import seal
    from registry.queries.asof import resolve, title_certificate_at
    from registry.queries.vehicles import title_certificate
    from registry.vin import validate_vin

    checked = validate_vin(vin)
    with mirror_snapshot(database_url) as (reader, state, deployment):
        if at:
            asof = resolve(reader, state, at)
            doc = seal(title_certificate_at(reader, checked, asof, deployment))
            doc["as_of"] = asof.as_json()
        else:
            doc = seal(title_certificate(reader, checked, state, deployment))
    out.write_text(json.dumps(doc, indent=2) + "\n")
    verdict = doc["certificate"]["summary"]["verdict"]
    click.echo(
        f"certificate {doc['certificate_id']} for {checked} at block "
        f"{doc['certificate']['block']['number']:,} ({verdict}) written to {out}"
    )


@certificate.command("verify")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--rpc-url", default=None, help="default: REGISTRY_RPC_URL")
def verify(file: Path, rpc_url: str | None) -> None:
    """Check every statement of a saved certificate against the chain at its block.

    Exit 0 when every statement holds, 1 when any fails.
    """
    from registry.certificates import deployment_of, load_certificate, verify_certificate
    from registry.client import RegistryClient
    from registry.config import get_settings
    from registry.contracts import read_deployments
    from registry.rpc import connect

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
