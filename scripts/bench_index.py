"""Benchmark of the indexer: raw eth_getLogs ceiling vs end-to-end backfill (SQLite, PostgreSQL).

Generates ``--events`` events on a fresh anvil through the batch entry points (titles, liens,
loans, disbursements, payments), then measures over the same block range:

* ``raw_fetch_eps``: raw ``eth_getLogs`` (``provider.make_request``), the ceiling;
* ``sqlite_eps`` / ``postgres_eps``: the indexer's backfill in this process, events and
  projections committed, with the default handlers (the core projections and the risk
  module's, as ``registry index`` runs them); the table also shows the core-only backfill;
* ``cli_eps``: the whole ``registry index --until-head`` process into a fresh SQLite file:
  start-up (imports), migrations and the backfill, timed from outside.

The raw fetch and the backfills run side by side in ``--rounds`` rounds (after a warm-up pass
of the raw fetch); the best raw round is the ceiling and the median round of each backfill
is reported; PostgreSQL runs once.

Prints a table, then as its last line one JSON object with exactly the keys ``events``,
``raw_fetch_eps``, ``sqlite_eps``, ``postgres_eps``, ``cli_eps``.

    .venv/bin/python scripts/bench_index.py --events 100000
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from registry.accounts import dev_account
from registry.chain import AnvilNode
from registry.client import RegistryClient
from registry.contracts import Deployment, read_deployments, write_deployment
from registry.db import make_engine, migrate
from registry.db.scratch import scratch_database
from registry.deploy import deploy
from registry.indexer import HandlerRegistry, Indexer, core_handlers
from registry.indexer.fetch import ChainReader
from registry.risk.hooks import RiskSettings, risk_handlers
from registry.rpc import Transport, connect
from registry.vin import generate_vin


class BenchAnvil(AnvilNode):
    """anvil without a block gas limit, so one transaction can carry 500 registrations."""

    def command(self) -> list[str]:
        return [*super().command(), "--disable-block-gas-limit"]


def _h(tag: str, i: int) -> bytes:
    return f"{tag}{i}".encode().ljust(32, b"\0")[:32]


def generate(rpc: Transport, deployment: Deployment, events: int, batch: int) -> int:
    """Titles, liens, loans, disbursements and payments: about ``events`` events in all."""
    registrar = RegistryClient(rpc, deployment, dev_account(0))
    lender = registrar.as_(dev_account(1))
    owner = dev_account(5).address
    registrar.admit_participant(lender.address, "lender", "Bench Bank")
    rng = random.Random(1)
    per_kind = max(1, events // 5)
    vins: list[str] = []
    seen: set[str] = set()
    while len(vins) < per_kind:
        v = generate_vin(rng)
        if v not in seen:
            seen.add(v)
            vins.append(v)
    made = 0
    lien_ids: list[int] = []
    loan_ids: list[int] = []
    for i in range(0, per_kind, batch):
        chunk = vins[i : i + batch]
        made += len(
            registrar.issue_titles_batch(chunk, [owner] * len(chunk), [1000] * len(chunk)).events
        )
        res = lender.register_liens_batch(chunk, [i % 7 == 0 for i in range(len(chunk))])
        made += len(res.events)
        ids = [int(e.args["lienId"]) for e in res.all("LienRegistered")]
        lien_ids += ids
        res = lender.originate_loans_batch(
            ids, [_h("r", x) for x in ids], [_h("t", x) for x in ids], [_h("s", x) for x in ids]
        )
        made += len(res.events)
        loans = [int(e.args["loanId"]) for e in res.all("LoanOriginated")]
        loan_ids += loans
        made += len(lender.record_disbursements_batch(loans, [10_000_00] * len(loans)).events)
    remaining = max(0, events - made)
    for i in range(0, remaining, batch):
        n = min(batch, remaining - i)
        loans = [loan_ids[(i + j) % len(loan_ids)] for j in range(n)]
        res = lender.record_payments_batch(loans, [250_00] * n, [_h("p", i + j) for j in range(n)])
        made += len(res.events)
    return made


def raw_fetch(reader: ChainReader, start: int, end: int) -> tuple[int, float]:
    """Raw eth_getLogs over start..end in the indexer's block ranges: (logs, seconds)."""
    t0 = time.perf_counter()
    count = 0
    block = start
    while block <= end:
        stop = min(end, block + reader.max_range - 1)
        count += len(reader.raw_logs(block, stop))
        block = stop + 1
    return count, time.perf_counter() - t0


def index_into(
    url: str,
    rpc: Transport,
    deployment: Deployment,
    batch_blocks: int,
    registries: list[HandlerRegistry],
) -> tuple[int, float]:
    """Backfills ``url`` from scratch: (events, seconds of indexing, migrations excluded)."""
    migrate(url)
    engine = make_engine(url)
    indexer = Indexer(engine, rpc, deployment, confirmations=2, batch_blocks=batch_blocks,
                      registries=registries)  # fmt: skip
    t0 = time.perf_counter()
    indexer.run(until_head=True)
    seconds = time.perf_counter() - t0
    engine.dispose()
    return indexer.total_events, seconds


def cli_index(rpc_url: str, deployments: Path, batch_blocks: int) -> tuple[int, float]:
    """``registry index --until-head`` as a user runs it, into a fresh SQLite file: (events,
    seconds of the whole process, start-up and migrations included)."""
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        db = Path(tmp) / "registry.sqlite"
        env = {**os.environ, "REGISTRY_DATA_DIR": tmp,
               "REGISTRY_DEPLOYMENTS_FILE": str(deployments)}  # fmt: skip
        command = [str(Path(sys.executable).with_name("registry")), "index", "--until-head",
                   "--rpc-url", rpc_url, "--database-url", f"sqlite:///{db}",
                   "--batch-blocks", str(batch_blocks)]  # fmt: skip
        t0 = time.perf_counter()  # progress display on (to a pipe), as a user runs it
        subprocess.run(command, env=env, check=True, capture_output=True)
        seconds = time.perf_counter() - t0
        with sqlite3.connect(db) as conn:
            (events,) = conn.execute("SELECT count(*) FROM events").fetchone()
        return int(events), seconds


def _median(runs: list[tuple[int, float]]) -> tuple[int, float]:
    """The run with the median rate (events, seconds)."""
    ordered = sorted(runs, key=lambda r: r[0] / r[1])
    return ordered[len(ordered) // 2]


def _rates(runs: list[tuple[int, float]]) -> str:
    return ", ".join(f"{n / s:,.0f}" for n, s in runs) + " events/s"


@click.command()
@click.option("--events", default=100_000, show_default=True, help="Events to generate.")
@click.option("--batch", default=500, show_default=True, help="Entries per batch transaction.")
@click.option("--batch-blocks", default=5000, show_default=True, help="Indexer block range.")
@click.option(
    "--rounds",
    default=3,
    show_default=True,
    type=click.IntRange(1),
    help="Rounds of raw fetch, backfills and CLI process, side by side: the best raw round "
    "(the ceiling) and the median round of each backfill are reported.",
)
@click.option("--skip-postgres", is_flag=True, help="Only SQLite (postgres_eps = 0).")
@click.option(
    "--state",
    "state_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the generated chain in this directory and reuse it on the next run "
    "(generation is skipped when it holds a chain made with the same --events/--batch).",
)
def main(
    events: int,
    batch: int,
    batch_blocks: int,
    rounds: int,
    skip_postgres: bool,
    state_dir: Path | None,
) -> None:
    """Generates the events, then measures the fetch ceiling, the backfills and the CLI."""
    records = tempfile.TemporaryDirectory(prefix="bench-records-")
    risk = RiskSettings(records_dir=Path(records.name))  # no loan records: no schedules

    def core_only() -> list[HandlerRegistry]:
        return [core_handlers()]

    def default() -> list[HandlerRegistry]:  # what `registry index` runs
        return [core_handlers(), risk_handlers(risk)]

    meta_file = state_dir / "bench.json" if state_dir else None
    want = {"events": events, "batch": batch}
    reuse = False
    if state_dir is not None and meta_file is not None and meta_file.exists():
        meta = json.loads(meta_file.read_text())
        reuse = {k: meta.get(k) for k in want} == want and (state_dir / "anvil.json").exists()
    node = BenchAnvil(
        state_file=state_dir / "anvil.json" if state_dir else None, state_interval=None
    )
    node.start()
    try:
        rpc = connect(node.rpc_url, timeout=300)
        if reuse and state_dir is not None and meta_file is not None:
            deployment = read_deployments(state_dir / "deployments.json")[node.chain_id]
            made, gen_s = int(json.loads(meta_file.read_text())["made"]), 0.0
        else:
            deployment = deploy(rpc, dev_account(0))
            t0 = time.perf_counter()
            made = generate(rpc, deployment, events, batch)
            gen_s = time.perf_counter() - t0
            if state_dir is not None and meta_file is not None:
                write_deployment(state_dir / "deployments.json", deployment)
                meta_file.write_text(json.dumps({**want, "made": made}))
        deployments = Path(records.name) / "deployments.json"
        write_deployment(deployments, deployment)
        reader = ChainReader(rpc, deployment.addresses, max_range=batch_blocks)
        head = reader.head()
        # side by side, in rounds (the machines are shared and noisy): each round reads the
        # range raw, backfills new SQLite mirrors (core only, then with the default
        # handlers) and runs the CLI. The ceiling is the best raw round, each backfill its
        # median round. A first raw pass warms the node up (fresh from its state file or
        # from generating, it answers the first passes slower).
        raw_fetch(reader, deployment.block, head)
        runs: dict[str, list[tuple[int, float]]] = {"raw": [], "core": [], "risk": [], "cli": []}
        for _ in range(rounds):
            runs["raw"].append(raw_fetch(reader, deployment.block, head))
            for kind, registries in (("core", core_only), ("risk", default)):
                with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
                    url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
                    runs[kind].append(index_into(url, rpc, deployment, batch_blocks, registries()))
            runs["cli"].append(cli_index(node.rpc_url, deployments, batch_blocks))
        raw_count, raw_s = max(runs["raw"], key=lambda r: r[0] / r[1])  # a ceiling: the best
        medians = {kind: _median(runs[kind]) for kind in ("core", "risk", "cli")}
        pg_count, pg_s = 0, 0.0
        if not skip_postgres:
            with scratch_database("bench") as pg_url:
                pg_count, pg_s = index_into(pg_url, rpc, deployment, batch_blocks, default())
    finally:
        node.close()
    click.echo(f"rounds: raw eth_getLogs {_rates(runs['raw'])}")
    click.echo(f"        indexer -> SQLite, core only {_rates(runs['core'])}")
    click.echo(f"        indexer -> SQLite, with risk {_rates(runs['risk'])}")
    click.echo(f"        registry index --until-head {_rates(runs['cli'])}")
    rows = [
        ("generate (batch txs)" + (" [reused]" if reuse else ""), made, gen_s),
        (f"raw eth_getLogs (best/{rounds})", raw_count, raw_s),
        (f"SQLite, core only (median/{rounds})", *medians["core"]),
        (f"SQLite, with risk (median/{rounds}) [sqlite_eps]", *medians["risk"]),
        ("PostgreSQL, with risk [postgres_eps]", pg_count, pg_s),
        (f"registry index CLI (median/{rounds}) [cli_eps]", *medians["cli"]),
    ]
    click.echo(f"{'stage':<48}{'events':>10}{'seconds':>10}{'events/s':>12}{'x raw':>8}")
    raw_eps = raw_count / raw_s
    for name, n, s in rows:
        eps = n / s if s else 0
        click.echo(f"{name:<48}{n:>10,}{s:>10.2f}{eps:>12,.0f}{eps / raw_eps:>8.2f}")
    click.echo(f"blocks {deployment.block}..{head}; handlers: 'with risk' = the core projections "
               "and the risk module's (what `registry index` runs by default)")  # fmt: skip
    records.cleanup()
    result = {
        "events": raw_count,
        "raw_fetch_eps": round(raw_eps),
        "sqlite_eps": round(medians["risk"][0] / medians["risk"][1]),
        "postgres_eps": round(pg_count / pg_s) if pg_s else 0,
        "cli_eps": round(medians["cli"][0] / medians["cli"][1]),
    }
    click.echo(json.dumps(result))


if __name__ == "__main__":
    main()
