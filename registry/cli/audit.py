"""`registry audit verify|digest|compare`: does the SQL mirror match the chain, and another
participant's mirror?"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from registry.audit import Coverage, Report

#: registry.audit.DEFAULT_SAMPLE, written out so that `--help` imports nothing heavy
#: (tests/cli/test_audit_scope.py keeps the two equal).
DEFAULT_SAMPLE = 200


@click.group()
def audit() -> None:
    """Check the SQL mirror against the chain."""


@audit.command("verify")
@click.option("--vin", default=None, help="Only this vehicle's rows.")
@click.option("--full", is_flag=True, help="Re-read every VIN from the contracts.")
@click.option(
    "--sample",
    type=click.IntRange(min=0),
    default=DEFAULT_SAMPLE,
    show_default=True,
    help="VINs re-read from the contracts, chosen at random (without --full or --vin).",
)
@click.option("--database-url", default=None, help="SQLAlchemy URL (default: settings).")
@click.option("--rpc-url", default=None, help="Chain node (default: settings).")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def verify(
    vin: str | None,
    full: bool,
    sample: int,
    database_url: str | None,
    rpc_url: str | None,
    as_json: bool,
) -> None:
    """Re-derive the state from the chain alone and report every difference from SQL.

    Every row of every table is compared with a fresh index of the chain's logs; titles,
    liens and loans are also re-read from the contracts at the same block, for --vin, for
    every VIN with --full, else for a random sample of --sample VINs (the report says how
    many were not read). Exits 1 when any row was changed, deleted or added; 0 when the
    mirror is exact.
    """
    from registry.audit import verify as verify_mirror
    from registry.config import get_settings
    from registry.contracts import load_deployment
    from registry.db import make_engine
    from registry.rpc import connect
    from registry.vin import validate_vin

    settings = get_settings()
    rpc = connect(rpc_url or settings.rpc_url)
    deployment = load_deployment(settings.deployments_path, rpc.chain_id())
    engine = make_engine(database_url or settings.db_url)
    try:
        report = verify_mirror(
            engine,
            rpc,
            deployment,
            vin=validate_vin(vin) if vin else None,
            sample=None if full else sample,
        )
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(_as_json(report), default=str))
    else:
        _print(report, f"VIN {vin}" if vin else "all rows")
    sys.exit(0 if report.clean else 1)


def _counts(c: Coverage) -> dict[str, int]:
    return {"vins": c.vins, "liens": c.liens, "loans": c.loans}


def _as_json(report: Report) -> dict[str, Any]:
    return {
        "indexed_block": report.indexed_block,
        "rows_compared": report.rows_compared,
        "chain_reads": report.chain_reads,
        "fresh_index": _counts(report.indexed),
        "contract_reads": _counts(report.read),
        "vins_total": report.vins_total,
        "vins_not_read": report.vins_not_read,
        "differences": [
            {
                "table": d.table,
                "key": list(d.key),
                "kind": d.kind,
                "fields": {k: list(v) for k, v in d.fields.items()},
            }
            for d in report.differences
        ],
    }


def _print(report: Report, scope: str) -> None:
    ix, rd = report.indexed, report.read
    click.echo(f"audit of the SQL mirror at block {report.indexed_block:,} ({scope}):")
    click.echo(
        f"  fresh index of the chain's logs: {report.rows_compared:,} rows compared "
        f"({ix.vins:,} VINs, {ix.liens:,} liens, {ix.loans:,} loans)"
    )
    sampled = " (a random sample)" if report.vins_not_read else ""
    click.echo(
        f"  contract reads{sampled}: {rd.vins:,} of {report.vins_total:,} VINs, "
        f"{rd.liens:,} liens, {rd.loans:,} loans ({report.chain_reads:,} calls)"
    )
    if report.vins_not_read:
        click.secho(
            f"  {report.vins_not_read:,} VINs were not re-read from the contracts "
            "(--full reads every VIN)",
            fg="yellow",
        )
    for d in report.differences:
        click.secho(str(d), fg="red")
    if report.clean:
        click.secho("the SQL mirror matches the chain", fg="green")
    else:
        click.secho(f"{len(report.differences)} difference(s)", fg="red", bold=True)


@audit.command("digest")
@click.option(
    "--block", type=click.IntRange(min=0), default=None, help="Default: the indexed block."
)
@click.option("--database-url", default=None, help="SQLAlchemy URL (default: settings).")
@click.option("--json", "as_json", is_flag=True, help="The digest and each table's, as JSON.")
def digest(block: int | None, database_url: str | None, as_json: bool) -> None:
    """Print a digest of the mirror's state at a block, equal on every correct mirror.

    Events and projections as they stood at --block, in a canonical order, without local-only
    columns: the same on SQLite and PostgreSQL and on any participant's mirror of the chain.
    """
    from registry.config import get_settings
    from registry.db import make_engine
    from registry.digest import mirror_digest

    engine = make_engine(database_url or get_settings().db_url)
    try:
        found = mirror_digest(engine, block)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(found.as_json()))
        return
    click.echo(f"digest of the mirror at block {found.block:,}: {found.digest}")
    for name, t in found.tables.items():
        click.echo(f"  {name:<18} {t.rows:>10,} rows  {t.digest}")


@audit.command("compare")
@click.argument("other")
@click.option("--block", type=click.IntRange(min=0), default=None,
              help="Default: the highest block both have indexed.")  # fmt: skip
@click.option("--database-url", default=None, help="This mirror (default: settings).")
@click.option("--api-key", envvar="REGISTRY_COMPARE_API_KEY", default=None,
              help="An auditor's API key at OTHER (an API URL), to name the rows.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="The comparison as JSON.")
def compare(
    other: str, block: int | None, database_url: str | None, api_key: str | None, as_json: bool
) -> None:
    """Compare this mirror with OTHER (a database URL, or another instance's API URL).

    Digests both at the block; if they differ, bisects to the first block at which they do
    and names the rows that block wrote that differ. Exits 1 when they differ.
    """
    from registry.compare import ApiSource, DatabaseSource, Source
    from registry.compare import compare as compare_mirrors
    from registry.config import get_settings
    from registry.db import make_engine

    engine = make_engine(database_url or get_settings().db_url)
    engines = [engine]
    there: Source
    if other.startswith(("http://", "https://")):
        there = ApiSource(other, other, api_key)
    else:
        engines.append(make_engine(other))
        there = DatabaseSource(engines[-1], other)
    try:
        result = compare_mirrors(DatabaseSource(engine, "this mirror"), there, block)
    finally:
        for e in engines:
            e.dispose()
    if as_json:
        click.echo(json.dumps({
            "block": result.block, "equal": result.equal, "here": result.here.as_json(),
            "there": result.there.as_json(), "first_block": result.first_block,
            "tables": result.tables, "probes": result.probes,
            "rows": [{"table": d.table, "key": list(d.key), "kind": d.kind,
                      "fields": {k: list(v) for k, v in d.fields.items()}} for d in result.rows],
        }, default=str))  # fmt: skip
    elif result.equal:
        click.secho(
            f"the mirrors agree at block {result.block:,}: {result.here.digest}", fg="green"
        )
    else:
        click.secho(
            f"the mirrors differ at block {result.block:,}; first at block "
            f"{result.first_block:,} (tables {', '.join(result.tables)}; {result.probes} probes)",
            fg="red",
            bold=True,
        )
        for d in result.rows:
            click.secho(f"  {d}", fg="red")
    sys.exit(0 if result.equal else 1)
