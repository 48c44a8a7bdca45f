"""`registry title …`: issue, transfer, odometer, brands, dealer sales, lienholder consents."""

from __future__ import annotations

import json
from pathlib import Path

import click

from registry.cli.common import (
    AT_HELP,
    client_for,
    consent_deadline,
    echo_record,
    echo_tx,
    mirror_snapshot,
    read_consent,
    reference,
    settings_for,
    with_consent_file,
    with_signer,
    write_consent,
)
from registry.domain import LienConsent
from registry.errors import InvalidInput


def _load_consents(paths: tuple[Path, ...]) -> list[LienConsent]:
    return [read_consent(path, "title consent", lambda raw: LienConsent(
        int(raw["lien_id"]), bool(raw["release"]), int(raw["deadline"]), raw["signature"]
    )) for path in paths]  # fmt: skip


@click.group()
def title() -> None:
    """Vehicle titles: issue, transfer, odometer, brands, sales."""


@title.command("show")
@click.argument("vin")
def show(vin: str) -> None:
    """The title of VIN as the chain holds it now, with its active liens in priority order."""
    client = client_for(None, None, sign=False)
    record = client.title(vin)
    if not record.exists:
        raise click.ClickException(f"VIN {record.vin} has no title")
    echo_record(record)
    for rank, lien_id in enumerate(client.active_liens(vin), start=1):
        lien = client.lien(lien_id)
        kind = "floor plan" if lien.floor_plan else "consumer"
        click.echo(f"  lien {lien_id} (priority {rank}, {kind}) held by {lien.holder}")


@title.command("check")
@click.argument("vin")
@click.option("--at", "at", default=None, help=AT_HELP)
@click.option("--database-url", default=None, help="SQLAlchemy URL of the mirror.")
@click.option("--json", "as_json", is_flag=True, help="The whole certificate as JSON.")
def check(vin: str, at: str | None, database_url: str | None, as_json: bool) -> None:
    """The title check of VIN from the SQL mirror: now, or as of --at (naming the block)."""
    from registry.certificates import seal
    from registry.queries.asof import resolve, title_certificate_at
    from registry.queries.vehicles import title_certificate
    from registry.vin import validate_vin

    v = validate_vin(vin)
    with mirror_snapshot(database_url) as (reader, state, deployment):
        asof = resolve(reader, state, at) if at else None
        body = (
            title_certificate(reader, v, state, deployment)
            if asof is None
            else title_certificate_at(reader, v, asof, deployment)
        )
    doc = seal(body)
    if as_json:
        click.echo(json.dumps(doc | ({"as_of": asof.as_json()} if asof else {}), indent=2))
        return
    blk = body["block"]
    asked = f" (as of {asof.requested})" if asof else ""
    click.echo(f"{v}: {body['summary']['verdict']} at block {blk['number']:,}{asked}")
    click.echo(f"  block hash {blk['hash']}, time {blk['timestamp']}")
    click.echo(f"  owner {body['title']['owner']}, status {body['title']['status']}, "
               f"odometer {body['odometer']['reading']:,}")  # fmt: skip
    for b in body["brands"]:
        click.echo(f"  brand {b['brand']} (block {b['block']}, by {b['applied_by']})")
    for lien in body["liens"]:
        kind = "floor plan" if lien["floor_plan"] else "consumer"
        name = f" ({lien['holder_name']})" if lien["holder_name"] else ""
        click.echo(f"  lien {lien['lien_id']} priority {lien['priority']} ({kind}) held by "
                   f"{lien['holder']}{name}")  # fmt: skip
    if not body["liens"]:
        click.echo("  no active liens")


@title.command("history")
@click.argument("vin")
@click.option("--at", "at", default=None, help=AT_HELP)
@click.option("--kind", "kinds", multiple=True, help="Only events of this kind (repeatable): "
              "title, lien, sale, participant, loan, insurance.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text",
              show_default=True)  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to this file (default: standard output).")  # fmt: skip
@click.option("--database-url", default=None, help="SQLAlchemy URL of the mirror.")
def history_cmd(
    vin: str,
    at: str | None,
    kinds: tuple[str, ...],
    fmt: str,
    out: Path | None,
    database_url: str | None,
) -> None:
    """Every event of VIN in words, from the SQL mirror: now, or up to --at; CSV or JSON too."""
    from registry.enums import EventKind
    from registry.queries.asof import resolve
    from registry.queries.vehicles import LATEST, full_history
    from registry.timeline import explained, explanations, to_csv
    from registry.vin import validate_vin

    v = validate_vin(vin)
    try:
        wanted = [EventKind(k.lower()) for k in kinds]
    except ValueError as exc:
        raise InvalidInput(f"{exc}: one of {', '.join(EventKind)}") from None
    with mirror_snapshot(database_url) as (reader, state, _deployment):
        asof = resolve(reader, state, at) if at else None
        items = full_history(reader, v, until=asof.block if asof else LATEST, kinds=wanted)
        if items:
            last = int(str(items[-1]["block"]))
            items = explained(items, explanations(reader, v, last))
        block = asof.block if asof else state.indexed_block
    if fmt == "csv":
        text = to_csv(items)
    elif fmt == "json":
        doc = {"vin": v, "block": block, "events": items,
               "as_of": asof.as_json() if asof else None}  # fmt: skip
        text = json.dumps(doc, indent=2, default=str) + "\n"
    else:
        lines = [f"{v}: {len(items)} events up to block {block:,}"]
        lines += [f"  block {i['block']} log {i['log_index']}  {i['summary']}" for i in items]
        text = "\n".join(lines) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text)
        click.echo(f"{len(items)} events of {v} written to {out}")


@title.command("issue")
@click.argument("vin")
@click.option("--owner", required=True)
@click.option("--odometer", type=int, default=0, show_default=True)
@with_signer
def issue(
    vin: str, owner: str, odometer: int, dev_account: int | None, keystore: Path | None
) -> None:
    """Issue the title of VIN (registrar)."""
    echo_tx(client_for(dev_account, keystore).issue_title(vin, owner, odometer), "title issued")


@title.command("transfer")
@click.argument("vin")
@click.option("--to", "to", required=True)
@click.option(
    "--consent",
    "consents",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="A lienholder's consent file (one per active lien).",
)
@with_signer
def transfer(
    vin: str, to: str, consents: tuple[Path, ...], dev_account: int | None, keystore: Path | None
) -> None:
    """Transfer the title of VIN to a new owner (the owner signs)."""
    client = client_for(dev_account, keystore)
    if consents:
        result = client.transfer_title_with_consent(vin, to, _load_consents(consents))
    else:
        result = client.transfer_title(vin, to)
    echo_tx(result, "title transferred")


@title.command("consent")
@click.argument("vin")
@click.option("--lien", "lien_id", type=int, required=True)
@click.option("--from", "from_owner", required=True, help="The current owner.")
@click.option("--to", "to", required=True, help="The new owner.")
@click.option("--release/--keep", default=True, help="Release the lien at the transfer (payoff).")
@with_consent_file
@with_signer
def consent(
    vin: str,
    lien_id: int,
    from_owner: str,
    to: str,
    release: bool,
    valid_hours: float,
    out: Path,
    dev_account: int | None,
    keystore: Path | None,
) -> None:
    """Sign, as lienholder, consent to one transfer of VIN; write it to --out."""
    client = client_for(dev_account, keystore)
    deadline = consent_deadline(valid_hours)
    signed = client.sign_transfer_consent(
        vin, lien_id, from_owner, to, release=release, deadline=deadline
    )
    record = {"vin": vin, "lien_id": lien_id, "release": release, "deadline": deadline}
    write_consent(out, record, signed.signature)
    click.echo(f"consent for lien {lien_id} written to {out} (valid {valid_hours:g} h)")


@title.command("sale")
@click.argument("vin")
@click.option("--buyer", required=True)
@click.option("--ref", "ref", required=True, help="The sale contract's reference (kept private).")
@click.option("--consent", "consents", multiple=True, type=click.Path(path_type=Path, exists=True))
@with_signer
def sale(
    vin: str,
    buyer: str,
    ref: str,
    consents: tuple[Path, ...],
    dev_account: int | None,
    keystore: Path | None,
) -> None:
    """Record a dealer's sale of VIN (the title passes when no lien stands)."""
    settings = settings_for(dev_account, keystore)
    client = client_for(dev_account, keystore)
    result = client.record_sale(
        vin, buyer, reference(ref, settings, "sale"), _load_consents(consents)
    )
    echo_tx(result, "sale recorded")
    ev = result.event("SaleRecorded").args
    if ev["floorPlanLienId"]:
        click.secho(
            f"warning: floor-plan lien {ev['floorPlanLienId']} still stands: "
            "this sale is out of trust",
            fg="yellow",
        )


@title.command("odometer")
@click.argument("vin")
@click.argument("reading", type=int)
@click.option("--correct", is_flag=True, help="Registrar: record a lower reading (brands it).")
@with_signer
def odometer(
    vin: str, reading: int, correct: bool, dev_account: int | None, keystore: Path | None
) -> None:
    """Record an odometer reading for VIN."""
    client = client_for(dev_account, keystore)
    result = (
        client.correct_odometer(vin, reading) if correct else client.record_odometer(vin, reading)
    )
    echo_tx(result, "odometer recorded")


@title.command("brand")
@click.argument("vin")
@click.argument("brand")
@with_signer
def brand(vin: str, brand: str, dev_account: int | None, keystore: Path | None) -> None:
    """Brand the title of VIN (registrar): salvage, rebuilt, flood, junk, stolen, …"""
    echo_tx(client_for(dev_account, keystore).apply_brand(vin, brand), "brand applied")
