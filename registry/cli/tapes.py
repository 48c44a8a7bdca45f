"""`registry tape check` (a lender's loan tape against the registry) and `registry pool report`
(a funder's pool), both read from the SQL mirror."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from registry.cli.common import database_option, mirror_engine
from registry.cli.main import ExitCode


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def _address(value: str | None, what: str) -> str | None:
    from registry.addresses import checksum_address

    return None if value is None else checksum_address(value, what).lower()


@click.group()
def tape() -> None:
    """Loan tapes: check a lender's list of pool loans against the registry."""


@tape.command("check")
@click.argument("tape_file", metavar="TAPE.csv",
                type=click.Path(path_type=Path, dir_okay=False, exists=True))  # fmt: skip
@click.option("--lender", default=None, help="The tape's lender (default: each loan's servicer).")
@click.option(
    "--funder",
    default=None,
    help="The funder the pool is pledged to (without it, pledges are not checked).",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Write the result as JSON to this file.")  # fmt: skip
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Write the exceptions as CSV to this file.")  # fmt: skip
@click.option("--dpd-tolerance", type=click.IntRange(0, 10_000), default=5, show_default=True,
              help="Days the tape's DPD may differ from the chain's.")  # fmt: skip
@click.option("--balance-tolerance", type=click.FloatRange(0, 1), default=0.01,
              show_default=True, help="Share of the chain's balance the tape's may differ by "
              "(at least 1.00).")  # fmt: skip
@database_option
def check(
    tape_file: Path,
    lender: str | None,
    funder: str | None,
    json_path: Path | None,
    csv_path: Path | None,
    dpd_tolerance: int,
    balance_tolerance: float,
    database_url: str | None,
) -> None:
    """Check TAPE.csv row by row: every exception, a summary per kind (exit 1 if any).

    The tape has a header and the columns loan_id (or loan_ref), vin, balance and dpd.
    """
    from registry.queries import snapshot_connection
    from registry.tapes import Tolerance, check_tape, read_tape

    who, pool = _address(lender, "lender address"), _address(funder, "funder address")
    rows = read_tape(tape_file)
    tolerance = Tolerance(dpd_days=dpd_tolerance, balance_ratio=balance_tolerance)
    with snapshot_connection(mirror_engine(database_url)) as conn:
        result = check_tape(conn, rows, lender=who, funder=pool, tolerance=tolerance)
    result.write(json_path, csv_path)
    _print_result(result.body)
    if result.exception_count:
        click.get_current_context().exit(ExitCode.REFUSED)


def _print_result(body: dict[str, Any]) -> None:
    s = body["summary"]
    click.secho(f"Tape {body['source'] or body['tape']['sha256'][:12]}: {s['rows']:,} rows, "
                f"balance {_money(s['balance_cents'])}, as of block {body['block']}",
                bold=True)  # fmt: skip
    click.echo(f"  result id {body['id']}")
    click.echo(f"  {s['clean_rows']:,} clean rows; {s['rows_with_exceptions']:,} rows with "
               f"{s['exceptions']:,} exceptions "
               f"({_money(s['balance_with_exceptions_cents'])})")  # fmt: skip
    for kind, k in s["by_kind"].items():
        if k["count"]:
            click.echo(f"  {kind:<20} {k['count']:>7,} {_money(k['balance_cents']):>18}")
    for e in body["exceptions"][:20]:
        click.echo(f"  {e['kind']}: {e['message']}")
    if len(body["exceptions"]) > 20:
        click.echo(f"  … {len(body['exceptions']) - 20:,} more (--json / --csv for all)")


@click.group()
def pool() -> None:
    """Funders' pools: how the loans pledged to a funder perform."""


@pool.command("report")
@click.argument("funder")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@database_option
def report(funder: str, as_json: bool, database_url: str | None) -> None:
    """FUNDER's pool: balance, delinquency steps, payoffs, losses, concentration, trend."""
    from registry.queries import snapshot_connection
    from registry.risk.pool import pool_report

    address = _address(funder, "funder address")
    assert address is not None
    with snapshot_connection(mirror_engine(database_url)) as conn:
        data = pool_report(conn, address)
    if as_json:
        click.echo(json.dumps(data, indent=1))
        return
    _print_pool(data)


def _print_pool(d: dict[str, Any]) -> None:
    out = d["outstanding"]
    click.secho(f"Pool of {d['funder']}: {d['loans']:,} loans pledged", bold=True)
    click.echo(f"  original balance {_money(d['original_balance_cents'])}; outstanding "
               f"{out['loans']:,} loans, {_money(out['balance_cents'])}")  # fmt: skip
    click.echo("  days past due      loans           balance")
    for step, s in d["delinquency"].items():
        click.echo(f"  {step:<12} {s['loans']:>10,} {_money(s['balance_cents']):>17}")
    p, pre, c = d["payoffs"], d["prepayments"], d["charge_offs"]
    click.echo(f"  payoffs {p['loans']:,} ({pre['loans']:,} prepaid); charge-offs "
               f"{c['loans']:,} {_money(c['amount_cents'])}; "
               f"net loss ratio {d['net_loss_ratio']:.2%}")  # fmt: skip
    e = d["collateral_events"]
    click.echo(f"  collateral: {e['total_losses']} total losses, {e['brands']} brands, "
               f"{e['repossessions']} repossessions")  # fmt: skip
    for kind in ("lenders", "dealers"):
        for g in d["concentration"][kind][:5]:
            who = g.get("lender") or g.get("dealer")
            click.echo(f"  {kind[:-1]} {who} {g['name']}: {g['loans']} loans, "
                       f"{_money(g['balance_cents'])} ({g['share']:.1%})")  # fmt: skip
    for m in d["trend"]:
        click.echo(f"  {m['month']}: {m['loans']} open, {_money(m['balance_cents'])}, 30+ "
                   f"{_money(m['delinquent_30_plus_cents'])}, {m['paid_off']} paid off, "
                   f"{m['charged_off']} charged off")  # fmt: skip
