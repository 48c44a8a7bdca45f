"""`registry watch`: add, list and remove watches, and read the notices they produced."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli.common import database_option, echo_items, mirror_engine

participant_option = click.option(
    "--participant", required=True, help="The watcher: the participant address hearing notices."
)


@click.group()
def watch() -> None:
    """Watches: notices of every event touching chosen VINs, or an address's cars and liens."""


@watch.command("add")
@click.argument("vins", nargs=-1)
@participant_option
@click.option(
    "--file",
    "vin_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of VINs: one per line, or a CSV whose first column is the VIN.",
)
@click.option(
    "--address",
    "addresses",
    multiple=True,
    help="Watch every vehicle this address owns and every lien it holds (repeatable).",
)
@click.option("--label", default="", help="A note kept with the watches.")
@database_option  # fmt: skip
def add(
    vins: tuple[str, ...],
    participant: str,
    vin_file: Path | None,
    addresses: tuple[str, ...],
    label: str,
    database_url: str | None,
) -> None:
    """Watch VINS (and a --file of VINs, or --address ADDRESS) for PARTICIPANT."""
    from registry.watches.store import add_watches, parse_vin_file

    listed = list(vins)
    if vin_file is not None:
        listed += parse_vin_file(vin_file.read_text(encoding="utf-8-sig"))
    with mirror_engine(database_url).begin() as conn:
        added = add_watches(conn, participant, vins=listed, addresses=addresses, label=label)
    click.echo(f"{len(added)} watches for {participant.lower()}")


@watch.command("list")
@participant_option
@click.option("--json", "as_json", is_flag=True)
@database_option
def list_cmd(participant: str, as_json: bool, database_url: str | None) -> None:
    """PARTICIPANT's watches."""
    from registry.watches.store import list_watches

    with mirror_engine(database_url).connect() as conn:
        items = list_watches(conn, participant)
    echo_items(items, as_json, lambda w: f"{w['id']}: {w['kind']} {w['target']}"
               + (f"  ({w['label']})" if w["label"] else ""), "no watches")  # fmt: skip


@watch.command("remove")
@click.argument("watch_id", type=int)
@participant_option
@database_option
def remove(watch_id: int, participant: str, database_url: str | None) -> None:
    """Stop watch WATCH_ID of PARTICIPANT (its notices stay)."""
    from registry.watches.store import remove_watch

    with mirror_engine(database_url).begin() as conn:
        remove_watch(conn, watch_id, participant)
    click.echo(f"watch {watch_id} removed")


@watch.command("notices")
@participant_option
@click.option("--vin", default=None, help="Only notices about this VIN.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@database_option
def notices(
    participant: str, vin: str | None, limit: int, as_json: bool, database_url: str | None
) -> None:
    """PARTICIPANT's latest notices (the indexer writes them; `registry webhooks deliver`
    sends them)."""
    from registry.watches.store import list_notices

    with mirror_engine(database_url).connect() as conn:
        items = list_notices(conn, participant, vin=vin, limit=limit)
    echo_items(items, as_json, lambda n: f"{n['id']}: block {n['block_number']} tx "
               f"{n['tx_hash'][:12]}… log {n['log_index']}: {n['message']}",
               "no notices")  # fmt: skip
