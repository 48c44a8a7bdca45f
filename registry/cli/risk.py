"""`registry risk` (alerts, portfolio report, schedules) and `registry webhooks` commands."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import click

from registry.cli.common import database_option, echo_items, mirror_engine


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


@click.group()
def risk() -> None:
    """Loan risk: delinquency, alerts and the portfolio report (from the SQL mirror)."""


@risk.command("report")
@click.option("--lender", required=True, help="The lender's address (0x...).")
@click.option("--stress", type=float, default=1.5, show_default=True,
              help="Factor applied to worsening roll rates in the stress scenario.")  # fmt: skip
@click.option("--lgd", type=float, default=0.5, show_default=True, help="Loss given default.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@database_option
def report(lender: str, stress: float, lgd: float, as_json: bool, database_url: str | None) -> None:
    """LENDER's portfolio: exposure, buckets, roll rates, dealers, brands and a stress test."""
    from registry.addresses import checksum_address
    from registry.risk.portfolio import portfolio

    if stress <= 0 or not 0 <= lgd <= 1:
        raise click.BadParameter("--stress must be positive and --lgd between 0 and 1")
    address = checksum_address(lender, "lender address").lower()
    with mirror_engine(database_url).connect() as conn:
        data = portfolio(conn, address, stress=stress, lgd=lgd)
    if as_json:
        click.echo(json.dumps(data, indent=1, default=str))
        return
    _print_report(data)


def _print_report(data: dict[str, Any]) -> None:
    click.secho(f"Portfolio of {data['lender']}", bold=True)
    click.echo(f"  loans outstanding {data['loans']:,}   exposure {_money(data['exposure_cents'])}")
    click.echo("  bucket      loans        exposure        past due")
    for bucket, b in data["buckets"].items():
        click.echo(f"  {bucket:<8} {b['loans']:>8,} {_money(b['exposure_cents']):>15} "
                   f"{_money(b['past_due_cents']):>15}")  # fmt: skip
    rolls = data["roll_rates"]
    click.echo(f"  roll rates ({len(rolls['months'])} months of snapshots; prior where thin):")
    for frm, row in rolls["matrix"].items():
        cells = ", ".join(f"{to} {p:.1%}" for to, p in sorted(row["to"].items()))
        click.echo(f"    {frm:<8} [{row['source']}, n={row['observations']}] -> {cells}")
    click.echo("  dealer concentration:")
    for d in data["dealers"][:10]:
        click.echo(f"    {d['dealer']} {d['name'] or ''}: {d['loans']} loans, "
                   f"{_money(d['exposure_cents'])} ({d['share']:.1%}), "
                   f"{d['floor_plan_liens']} floor-plan liens")  # fmt: skip
    b = data["branded_collateral"]
    click.echo(f"  branded collateral: {b['loans']} loans, {_money(b['exposure_cents'])} "
               f"({', '.join(b['by_brand']) or 'none'})")  # fmt: skip
    s = data["stress"]
    for name in ("baseline", "stressed"):
        x = s[name]
        loss = _money(x["expected_loss_cents"])
        click.echo(f"  {name:<8} (x{x['factor']:g}): expected loss {loss} "
                   f"({x['loss_rate']:.2%}) over {s['horizon_months']} months, "
                   f"LGD {s['lgd']:.0%}")  # fmt: skip


@risk.command("alerts")
@click.option("--lender", default=None, help="Only alerts concerning this lender.")
@click.option("--kind", default=None, help="Only this kind (e.g. double_pledge).")
@click.option("--vin", default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@database_option
def alerts_cmd(lender: str | None, kind: str | None, vin: str | None, limit: int,
               as_json: bool, database_url: str | None) -> None:  # fmt: skip
    """Risk alerts, newest first."""
    from registry.risk.alerts import list_alerts

    with mirror_engine(database_url).connect() as conn:
        items = list_alerts(conn, lender=lender, kind=kind, vin=vin, limit=limit)
    echo_items(items, as_json, lambda a: f"#{a['id']} [{a['severity']}] {a['kind']} block "
               f"{a['block_number']}: {a['message']}", "no alerts")  # fmt: skip


@risk.command("import-schedules")
@click.argument("directory", required=False, type=click.Path(path_type=Path, file_okay=False))
@database_option
def import_schedules(directory: Path | None, database_url: str | None) -> None:
    """Import loan records (schedule + salt) from DIRECTORY (default: <data_dir>/loans/<chain>).

    Each schedule is kept only if it opens the loan's committed schedule hash; the loans'
    delinquency is recomputed at once.
    """
    from registry.config import get_settings
    from registry.risk import standing
    from registry.risk.records import import_records, record_files

    engine = mirror_engine(database_url)
    with engine.begin() as conn:
        chain_id = standing.chain_id(conn)
        base = directory or get_settings().data_dir / "loans"
        files = record_files(base, chain_id)
        result = import_records(conn, files)
    click.echo(f"{len(files)} records in {base}: {result.summary()}")
    if result.mismatched:
        click.secho(f"not matching: loans {result.mismatched[:20]}", fg="red", err=True)


@risk.command("recompute")
@database_option
def recompute_cmd(database_url: str | None) -> None:
    """Recompute every loan's delinquency at the mirror's chain time."""
    from registry.risk import standing

    with mirror_engine(database_url).begin() as conn:
        _, now = standing.chain_now(conn)
        n = standing.recompute(conn, now)
    click.echo(f"{n} loans recomputed")


# ------------------------------------------------------------------ webhooks


def _private_urls() -> bool:
    from registry.config import get_settings

    return get_settings().webhook_private_urls


@click.group()
def webhooks() -> None:
    """Participants' webhook endpoints for alerts and notices, and the delivery worker."""


@webhooks.command("add")
@click.argument("url")
@click.option("--participant", "--lender", "participant", required=True,
              help="The participant whose alerts and notices go to URL.")  # fmt: skip
@click.option("--secret", default=None, help="whsec_ secret (default: generated, shown once).")
@database_option
def add(url: str, participant: str, secret: str | None, database_url: str | None) -> None:
    """Send PARTICIPANT's alerts and notices to URL (Standard Webhooks signatures)."""
    from registry.risk.webhooks import add_webhook

    with mirror_engine(database_url).begin() as conn:
        hook = add_webhook(conn, participant, url, secret, allow_private=_private_urls())
    click.echo(f"webhook {hook['id']} for {hook['participant']} -> {hook['url']}")
    if secret is None:
        click.echo(f"secret (shown once): {hook['secret']}")


@webhooks.command("list")
@click.option("--participant", "--lender", "participant", default=None)
@click.option("--json", "as_json", is_flag=True)
@database_option
def list_cmd(participant: str | None, as_json: bool, database_url: str | None) -> None:
    """Registered webhooks with their delivered and pending counts."""
    from registry.risk.webhooks import list_webhooks

    with mirror_engine(database_url).connect() as conn:
        items = list_webhooks(conn, participant)
    echo_items(items, as_json, lambda h: f"{h['id']}: {h['participant']} -> {h['url']} "
               f"({h['delivered']} delivered, {h['pending']} pending)", "no webhooks")  # fmt: skip


@webhooks.command("remove")
@click.argument("webhook_id", type=int)
@database_option
def remove(webhook_id: int, database_url: str | None) -> None:
    """Stop sending to webhook WEBHOOK_ID (its pending deliveries are dropped)."""
    from registry.risk.webhooks import remove_webhook

    with mirror_engine(database_url).begin() as conn:
        remove_webhook(conn, webhook_id)
    click.echo(f"webhook {webhook_id} removed")


@webhooks.command("deliver")
@click.option("--once", is_flag=True, help="One round of due deliveries, then exit.")
@click.option("--interval", type=float, default=2.0, show_default=True,
              help="Seconds between polls of the outbox.")  # fmt: skip
@database_option
def deliver(once: bool, interval: float, database_url: str | None) -> None:
    """Deliver pending alerts and notices from the outbox (retries with backoff until 2xx)."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    if not once:  # first: a Ctrl-C while it starts up stops it as cleanly as later
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

    from registry.risk.webhooks import RoundResult, run_worker

    engine = mirror_engine(database_url)

    def report_round(r: RoundResult) -> None:
        click.echo(f"delivered {r.delivered}, failed {r.failed} (will retry)")

    total = run_worker(engine, once=once, poll_interval=interval, stop=stop, on_round=report_round,
                       allow_private=_private_urls())  # fmt: skip
    click.echo(f"done: {total.delivered} delivered, {total.failed} failed attempts")
