"""`registry lien …`: register, release, assign, show."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli.common import (
    AT_HELP,
    client_for,
    echo_record,
    echo_tx,
    mirror_snapshot,
    with_signer,
)
from registry.enums import LienStatus


@click.group()
def lien() -> None:
    """Liens (security interests): lenders register, release and assign them."""


@lien.command("register")
@click.argument("vin")
@click.option("--floor-plan", is_flag=True, help="A dealer inventory (floor-plan) lien.")
@with_signer
def register_cmd(
    vin: str, floor_plan: bool, dev_account: int | None, keystore: Path | None
) -> None:
    """Register the signer's lien on VIN."""
    client = client_for(dev_account, keystore)
    lien_id = client.register_lien(vin, floor_plan=floor_plan).id
    record = client.lien(lien_id)
    click.echo(f"lien {lien_id} registered on {record.vin}: priority {record.priority}")
    if record.priority > 1:
        click.secho(
            f"note: {record.priority - 1} earlier lien(s) stand on this vehicle", fg="yellow"
        )


@lien.command("release")
@click.argument("lien_id", type=int)
@with_signer
def release(lien_id: int, dev_account: int | None, keystore: Path | None) -> None:
    """Release LIEN_ID (its holder only)."""
    echo_tx(client_for(dev_account, keystore).release_lien(lien_id), "lien released")


@lien.command("assign")
@click.argument("lien_id", type=int)
@click.option("--to", "to", required=True, help="The lender the lien is assigned to.")
@click.option(
    "--funder-consent",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="The funder's consent file (`registry pledge consent`), when the loan is pledged.",
)
@with_signer
def assign(
    lien_id: int,
    to: str,
    funder_consent: Path | None,
    dev_account: int | None,
    keystore: Path | None,
) -> None:
    """Assign LIEN_ID to another lender (a loan sale); its priority is unchanged."""
    from registry.cli.pledges import load_funder_consent

    consent = load_funder_consent(funder_consent) if funder_consent else None
    client = client_for(dev_account, keystore)
    echo_tx(client.assign_lien(lien_id, to, consent), "lien assigned")


@lien.command("show")
@click.argument("lien_id", type=int)
def show(lien_id: int) -> None:
    """LIEN_ID as the chain holds it now."""
    record = client_for(None, None, sign=False).lien(lien_id)
    if record.status is LienStatus.NONE:
        raise click.ClickException(f"lien {lien_id} does not exist")
    echo_record(record)


@lien.command("list")
@click.argument("vin")
@click.option("--at", "at", default=None, help=AT_HELP)
@click.option("--database-url", default=None, help="SQLAlchemy URL of the mirror (with --at).")
def list_cmd(vin: str, at: str | None, database_url: str | None) -> None:
    """Every lien ever registered on VIN, with status and priority (--at: as they stood then)."""
    if at:
        from registry.queries.asof import liens_at, resolve
        from registry.vin import validate_vin

        v = validate_vin(vin)
        with mirror_snapshot(database_url) as (reader, state, _deployment):
            asof = resolve(reader, state, at)
            rows = liens_at(reader, v, asof)
        click.echo(f"liens on {v} at block {asof.block:,} (as of {asof.requested}):")
        for r in rows:
            rank = f"priority {r['priority']}" if r["priority"] else "-"
            click.echo(
                f"{r['lien_id']:>8}  {r['status']:<12} {rank:<11} "
                f"{'floor plan' if r['floor_plan'] else '':<10} {r['holder']}"
            )
        return
    client = client_for(None, None, sign=False)
    for lien_id in client.liens_of(vin):
        r = client.lien(lien_id)
        rank = f"priority {r.priority}" if r.priority else "-"
        click.echo(
            f"{lien_id:>8}  {r.status:<12} {rank:<11} "
            f"{'floor plan' if r.floor_plan else '':<10} {r.holder}"
        )
