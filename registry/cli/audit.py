"""`registry audit verify`: does the SQL mirror match the chain?"""

from __future__ import annotations

import json
import sys

import click

from registry.audit import verify as verify_mirror
from registry.config import get_settings
from registry.contracts import load_deployment
from registry.db import make_engine
from registry.rpc import connect
from registry.vin import validate_vin


def register(cli: click.Group) -> None:
    """Adds `registry audit` to ``cli``."""
    cli.add_command(audit)


@click.group()
def audit() -> None:
    """Check the SQL mirror against the chain."""


@audit.command("verify")
@click.option("--vin", default=None, help="Only this vehicle's rows.")
@click.option("--database-url", default=None, help="SQLAlchemy URL (default: settings).")
@click.option("--rpc-url", default=None, help="Chain node (default: settings).")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def verify(vin: str | None, database_url: str | None, rpc_url: str | None, as_json: bool) -> None:
    """Re-derive the state from the chain alone and report every difference from SQL.

    Exits 1 when any row was changed, deleted or added; 0 when the mirror is exact.
    """
    settings = get_settings()
    rpc = connect(rpc_url or settings.rpc_url)
    deployment = load_deployment(settings.deployments_path, rpc.chain_id())
    engine = make_engine(database_url or settings.db_url)
    report = verify_mirror(engine, rpc, deployment, vin=validate_vin(vin) if vin else None)
    engine.dispose()
    if as_json:
        click.echo(json.dumps({
            "indexed_block": report.indexed_block,
            "rows_compared": report.rows_compared,
            "chain_reads": report.chain_reads,
            "differences": [
                {"table": d.table, "key": list(d.key), "kind": d.kind,
                 "fields": {k: list(v) for k, v in d.fields.items()}}
                for d in report.differences
            ],
        }, default=str))  # fmt: skip
    else:
        scope = f"VIN {vin}" if vin else "all rows"
        click.echo(
            f"compared {report.rows_compared:,} rows and {report.chain_reads:,} contract reads "
            f"({scope}) at block {report.indexed_block:,}"
        )
        for d in report.differences:
            click.secho(str(d), fg="red")
        if report.clean:
            click.secho("the SQL mirror matches the chain", fg="green")
        else:
            click.secho(f"{len(report.differences)} difference(s)", fg="red", bold=True)
    sys.exit(0 if report.clean else 1)
