"""Bulk import speed and cost (a benchmark): a fresh anvil, then, through the import code a
user runs (:func:`registry.imports.importer.run_import`, what ``registry import`` calls),
100,000 titles, 100,000 liens, then 20,000 loans with 12 past payments each.

Prints a table and, as its last line, one JSON object with exactly: titles_per_s,
liens_per_s, loans_per_s, gas_per_lien. ``--scale 0.2`` runs a fifth of it (a loaded machine).

    python scripts/bench_import.py [--scale S]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from registry.accounts import dev_account
from registry.chain import ephemeral_anvil
from registry.client import RegistryClient
from registry.deploy import deploy
from registry.imports.importer import Summary, run_import
from registry.imports.pipeline import Progress
from registry.rpc import connect
from registry.schedules import LoanTerms, ScheduleKind, build_schedule, due_date
from registry.vin import generate_vin

TITLES, LIENS, LOANS, PAYMENTS = 100_000, 100_000, 20_000, 12
TARGETS = {"titles_per_s": 1_700, "liens_per_s": 1_700, "loans_per_s": 300}
GAS_TARGET = 55_000


def _files(directory: Path, scale: float, owner: str) -> dict[str, Path]:
    rng = random.Random(11)
    vins: set[str] = set()
    while len(vins) < int(TITLES * scale):
        vins.add(generate_vin(rng))
    ordered = sorted(vins)
    brands = ["", "", "", "", "SALVAGE;REBUILT", "FLOOD", "", "ODOMETER_NOT_ACTUAL"]
    titles = directory / "titles.csv"
    with titles.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["VIN", "Owner", "Odometer", "Brands"])
        for i, vin in enumerate(ordered):
            w.writerow([vin, owner, 5_000 + i % 150_000, brands[i % len(brands)]])
    liens = directory / "liens.csv"
    with liens.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["vin", "floor_plan"])
        for i, vin in enumerate(ordered[: int(LIENS * scale)]):
            w.writerow([vin, "yes" if i % 10 == 0 else "no"])
    loans = directory / "loans.csv"
    today = date.today()
    start = due_date(today.replace(day=min(today.day, 28)), -13)
    first = due_date(start, 1)
    with loans.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["vin", "loan_ref", "principal", "rate", "term", "kind", "first_due",
                    "disbursed_on", "payments"])  # fmt: skip
        for i, vin in enumerate(ordered[: int(LOANS * scale)]):
            principal = f"{12_000 + i % 9_000}.{i % 100:02d}"  # every loan its own schedule
            terms = LoanTerms(_d(principal), _d("0.0649"), 60, first, ScheduleKind.ANNUITY)
            paid = build_schedule(terms).instalments[:PAYMENTS]
            history = ";".join(f"{p.due.isoformat()}:{p.total}:PMT-{i}-{p.number}" for p in paid)
            w.writerow([vin, f"BENCH-{i:06d}", principal, "0.0649", 60, "annuity",
                        first.isoformat(), start.isoformat(), history])  # fmt: skip
    return {"titles": titles, "liens": liens, "loans": loans}


def _d(text: str) -> Decimal:
    return Decimal(text)


def measure(scale: float) -> tuple[dict[str, float], list[Summary]]:
    registrar, lender, owner = dev_account(0), dev_account(1), dev_account(5)
    summaries: list[Summary] = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp, ephemeral_anvil() as node:
        directory = Path(tmp)
        rpc = connect(node.rpc_url)
        reg = RegistryClient(rpc, deploy(rpc, registrar), registrar)
        reg.admit_participant(lender.address, "lender", "First Auto Bank")
        files = _files(directory, scale, owner.address)
        for kind, client in (("titles", reg), ("liens", reg.as_(lender)),
                             ("loans", reg.as_(lender))):  # fmt: skip
            summary = run_import(client, kind, files[kind], data_dir=directory / "data",
                                 progress=Progress(0))  # fmt: skip
            if summary.rejected:
                raise SystemExit(f"{kind}: {summary.rejected} rows rejected: {summary.rejects[:3]}")
            summaries.append(summary)
    titles, liens, loans = summaries
    figures = {
        "titles_per_s": round(titles.imported / titles.seconds, 1),
        "liens_per_s": round(liens.imported / liens.seconds, 1),
        "loans_per_s": round(loans.imported / loans.seconds, 1),
        "gas_per_lien": round(liens.gas / liens.imported),
    }
    return figures, summaries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes")
    scale = parser.parse_args().scale
    figures, summaries = measure(scale)
    sizes = f"titles {int(TITLES * scale):,}, liens {int(LIENS * scale):,}, loans "
    print(f"\nbulk import, scale {scale:g} ({sizes}{int(LOANS * scale):,} x {PAYMENTS} payments)")
    print(f"{'kind':<8} {'rows':>8} {'txs':>5} {'gas':>15} {'seconds':>8} {'rows/s':>8} "
          f"{'target':>8}")  # fmt: skip
    for s, key in zip(summaries, ("titles_per_s", "liens_per_s", "loans_per_s"), strict=True):
        print(f"{s.kind:<8} {s.imported:>8,} {s.transactions:>5,} {s.gas:>15,} "
              f"{s.seconds:>8.1f} {figures[key]:>8,.0f} {TARGETS[key]:>8,}")  # fmt: skip
    print(f"gas per lien: {figures['gas_per_lien']:,} (target <= {GAS_TARGET:,})")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
