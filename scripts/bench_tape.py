"""Benchmark: checking a 100,000-row loan tape against a mirror of 100,000 loans.

Builds the mirror straight into a fresh SQLite file through the table definitions (titles,
liens, loans, the risk standing, pledges to a funder, participants, the indexer checkpoint),
writes a tape of the same loans with 1% of its rows wrong on purpose (every kind of
exception), then times the check end to end as ``registry tape check`` runs it: read the
file, check it in one snapshot, write the JSON and CSV reports.

Target: check_s <= 5, found == planted (and the findings are exactly the planted ones: a
difference is printed and the exit status is 1). The last line printed is one JSON object.

    .venv/bin/python scripts/bench_tape.py [--loans 100000] [--db PATH | --postgres]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from registry.db import make_engine, migrate
from registry.db.models import IndexerState, Lien, Loan, Participant, Title
from registry.db.pledges import Pledge
from registry.db.scratch import scratch_database
from registry.enums import Brand, TapeException
from registry.queries import snapshot_connection
from registry.risk.models import LoanStatus
from registry.tapes import check_tape, read_tape

LENDER, OTHER_LENDER = "0x" + "1" * 40, "0x" + "2" * 40
FUNDER, OTHER_FUNDER = "0x" + "f" * 40, "0x" + "e" * 40
CHUNK = 20_000
NOW = 1_790_000_000
K = TapeException


def _vin(i: int) -> str:
    return f"WBA{i:014d}"  # a European WMI: the check digit is optional


def _bulk(engine: Engine, model: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(model.__table__), rows[i : i + CHUNK])


class Book:
    """The mirror's rows and the tape's, planted exceptions recorded as (row index, kind)."""

    def __init__(self, n: int) -> None:
        self.titles: list[dict[str, Any]] = []
        self.liens: list[dict[str, Any]] = []
        self.loans: list[dict[str, Any]] = []
        self.status: list[dict[str, Any]] = []
        self.pledges: list[dict[str, Any]] = []
        self.tape: list[list[Any]] = []
        self.planted: set[tuple[int, TapeException]] = set()
        for i in range(1, n + 1):
            self.loan(i, _vin(i))

    def loan(self, i: int, vin: str, lien_id: int | None = None) -> None:
        lien_id = lien_id or i
        amount = 1_000_000 + 13 * i
        if lien_id == i:
            self.titles.append({"vin": vin, "owner": f"0x{i:040x}", "status": "ACTIVE",
                                "brands": 0, "odometer": 1, "active_liens": 1, "transfers": 0,
                                "issuer": "0x" + "a" * 40, "issued_block": 1, "issued_at": NOW,
                                "issued_tx": "0x", "updated_block": 1})  # fmt: skip
        self.liens.append({"lien_id": lien_id, "vin": vin, "holder": LENDER,
                           "original_holder": LENDER, "status": "ACTIVE", "floor_plan": False,
                           "priority": 1, "registered_block": 1, "registered_at": NOW,
                           "registered_tx": "0x", "updated_block": 1})  # fmt: skip
        self.loans.append({"loan_id": i, "lien_id": lien_id, "vin": vin, "lender": LENDER,
                           "state": "ACTIVE", "loan_ref": f"0x{i:064x}", "terms_hash": "0x",
                           "schedule_hash": "0x", "disbursed_amount": amount, "total_paid": 0,
                           "payments_count": 0, "days_past_due": 0, "charged_off_amount": 0,
                           "originated_block": 1, "originated_at": NOW,
                           "updated_block": 1})  # fmt: skip
        self.status.append({"loan_id": i, "lender": LENDER, "vin": vin, "lien_id": lien_id,
                            "state": "ACTIVE", "source": "lender_reported", "dpd": 0,
                            "bucket": "current", "exposure_cents": amount, "as_of": NOW,
                            "updated_block": 1})  # fmt: skip
        self.pledges.append({"pledge_id": i, "loan_id": i, "lien_id": lien_id, "vin": vin,
                             "lender": LENDER, "funder": FUNDER, "pledged_block": 1,
                             "pledged_log_index": 0, "pledged_at": NOW,
                             "active": True})  # fmt: skip
        self.tape.append([i, vin.lower(), f"{amount / 100:.2f}", 0])

    def plant(self, rng: random.Random, share: float) -> None:
        """Changes ``share`` of the rows (or their loans), one kind after another."""
        n = len(self.tape)
        rows = rng.sample(range(n), int(n * share))
        plants = list(_PLANTS.items())
        for j, row in enumerate(rows):
            _, plant = plants[j % len(plants)]
            self.planted |= {(row, k) for k in plant(self, row, n + 1 + j)}


def _set(rows: list[dict[str, Any]], index: int, **values: Any) -> None:
    rows[index].update(values)


def _unknown(b: Book, r: int, extra: int) -> list[K]:
    b.tape[r][0] = 10**9 + extra
    b.tape[r][1] = _vin(10**8 + extra).lower()
    return [K.LOAN_UNKNOWN]


def _vin_mismatch(b: Book, r: int, extra: int) -> list[K]:
    b.tape[r][1] = _vin(10**8 + extra).lower()
    return [K.VIN_MISMATCH]


def _no_lien(b: Book, r: int, _extra: int) -> list[K]:
    _set(b.liens, r, status="RELEASED", priority=0)
    _set(b.titles, r, active_liens=0)
    return [K.NO_ACTIVE_LIEN]


def _behind(b: Book, r: int, extra: int) -> list[K]:
    _set(b.liens, r, priority=2)
    _set(b.titles, r, active_liens=2)
    b.liens.append({**b.liens[r], "lien_id": extra, "holder": OTHER_LENDER,
                    "original_holder": OTHER_LENDER, "priority": 1})  # fmt: skip
    return [K.NOT_FIRST_PRIORITY, K.OTHER_LENDER_LIEN]


def _other_lien(b: Book, r: int, extra: int) -> list[K]:
    _set(b.titles, r, active_liens=2)
    b.liens.append({**b.liens[r], "lien_id": extra, "holder": OTHER_LENDER,
                    "original_holder": OTHER_LENDER, "priority": 2})  # fmt: skip
    return [K.OTHER_LENDER_LIEN]


def _title(status: str, brand: Brand, kind: K) -> Callable[[Book, int, int], list[K]]:
    def plant(b: Book, r: int, _extra: int) -> list[K]:
        _set(b.titles, r, status=status, brands=1 << brand.chain_index)
        return [kind]

    return plant


def _repossessed(b: Book, r: int, _extra: int) -> list[K]:
    _set(b.loans, r, state="REPOSSESSED")
    _set(b.liens, r, status="REPOSSESSED", priority=0)
    _set(b.titles, r, active_liens=0)
    return [K.REPOSSESSED]


def _closed(b: Book, r: int, _extra: int) -> list[K]:
    _set(b.loans, r, state="PAID_OFF")
    _set(b.liens, r, status="RELEASED", priority=0)
    _set(b.titles, r, active_liens=0)
    _set(b.status, r, state="PAID_OFF", bucket="closed", exposure_cents=0)
    return [K.CLOSED_ON_CHAIN]


def _dpd(b: Book, r: int, _extra: int) -> list[K]:
    b.tape[r][3] = 45
    return [K.DPD_MISMATCH]


def _balance(b: Book, r: int, _extra: int) -> list[K]:
    b.tape[r][2] = f"{float(b.tape[r][2]) * 0.8:.2f}"
    return [K.BALANCE_MISMATCH]


def _pledged(b: Book, r: int, _extra: int) -> list[K]:
    _set(b.pledges, r, funder=OTHER_FUNDER)
    return [K.PLEDGED_ELSEWHERE]


_PLANTS: dict[K, Callable[[Book, int, int], list[K]]] = {
    K.LOAN_UNKNOWN: _unknown,
    K.VIN_MISMATCH: _vin_mismatch,
    K.NO_ACTIVE_LIEN: _no_lien,
    K.NOT_FIRST_PRIORITY: _behind,
    K.OTHER_LENDER_LIEN: _other_lien,
    K.TITLE_BRANDED: _title("ACTIVE", Brand.FLOOD, K.TITLE_BRANDED),
    K.TITLE_TOTAL_LOSS: _title("TOTAL_LOSS", Brand.SALVAGE, K.TITLE_TOTAL_LOSS),
    K.TITLE_STOLEN: _title("STOLEN", Brand.STOLEN, K.TITLE_STOLEN),
    K.TITLE_JUNK: _title("SCRAPPED", Brand.JUNK, K.TITLE_JUNK),
    K.REPOSSESSED: _repossessed,
    K.CLOSED_ON_CHAIN: _closed,
    K.DPD_MISMATCH: _dpd,
    K.BALANCE_MISMATCH: _balance,
    K.PLEDGED_ELSEWHERE: _pledged,
}


def _duplicates(b: Book, rng: random.Random, pairs: int) -> None:
    """``pairs`` rows repeated over other rows (the same loan twice), and ``pairs`` second
    loans of the lender on a vehicle already in the tape (one VIN, two loans)."""
    taken = {r for r, _ in b.planted}
    free = [r for r in range(len(b.tape)) if r not in taken]
    picks = rng.sample(free, 4 * pairs)
    for a, c in zip(picks[:pairs], picks[pairs : 2 * pairs], strict=True):
        b.tape[c] = list(b.tape[a])
        b.planted |= {(a, K.DUPLICATE_LOAN), (c, K.DUPLICATE_LOAN)}
    for a, c in zip(picks[2 * pairs : 3 * pairs], picks[3 * pairs :], strict=True):
        loan_id = b.tape[c][0]  # this row's loan leaves the mirror: a second loan on a's VIN
        vin = b.loans[a]["vin"]
        second = {"lien_id": 10**7 + loan_id, "vin": vin, "priority": 2}
        b.liens[c].update(second)
        b.loans[c].update(lien_id=second["lien_id"], vin=vin)
        b.status[c].update(vin=vin, lien_id=second["lien_id"])
        b.pledges[c].update(vin=vin, lien_id=second["lien_id"])
        b.titles[c] = None  # type: ignore[call-overload]
        b.titles[a]["active_liens"] = 2
        b.tape[c][1] = vin.lower()
        b.planted |= {(a, K.DUPLICATE_VIN), (c, K.DUPLICATE_VIN)}


def build(engine: Engine, n: int, tape: Path, seed: int = 9) -> set[tuple[int, K]]:
    rng = random.Random(seed)
    b = Book(n)
    plants = int(n * 0.01)
    b.plant(rng, (plants - 4 * (plants // 40)) / n)
    _duplicates(b, rng, plants // 40)
    _bulk(engine, Title, [t for t in b.titles if t is not None])
    _bulk(engine, Lien, b.liens)
    _bulk(engine, Loan, b.loans)
    _bulk(engine, LoanStatus, b.status)
    _bulk(engine, Pledge, b.pledges)
    _bulk(engine, Participant, [
        {"address": who, "role": "LENDER", "name": name, "admitted_block": 1, "admitted_at": NOW,
         "updated_block": 1}
        for who, name in ((LENDER, "Bench Bank"), (OTHER_LENDER, "Other Bank"))
    ])  # fmt: skip
    _bulk(engine, IndexerState, [{"key": "31337:bench", "chain_id": 31337,
                                  "registry_address": "0x" + "b" * 40, "start_block": 1,
                                  "indexed_block": 1, "indexed_hash": "0x1", "finalized_block": 1,
                                  "head_block": 1, "confirmations": 0}])  # fmt: skip
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:  # a mirror at rest: its WAL checkpointed
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with engine.connect() as conn:  # as autovacuum would, once the rows are in
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    with tape.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Loan ID", "VIN", "Current Balance", "Days Past Due"])
        w.writerows(b.tape)
    return b.planted


def run(url: str, loans: int, work: Path) -> int:
    """Builds the mirror at ``url`` (an empty database) and the tape, then times the check."""
    migrate(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    planted = build(engine, loans, work / "tape.csv")
    print(f"mirror and tape built in {time.perf_counter() - t0:.1f} s ({work})", flush=True)

    start, cpu = time.perf_counter(), time.process_time()
    tape = read_tape(work / "tape.csv")
    with snapshot_connection(engine) as conn:
        result = check_tape(conn, tape, lender=LENDER, funder=FUNDER)
    result.write(work / "result.json", work / "result.csv")
    check_s = time.perf_counter() - start
    print(
        f"check ({engine.dialect.name}): {check_s:.2f} s wall, "
        f"{time.process_time() - cpu:.2f} s of this process's CPU "
        f"(the machine's load average: {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    engine.dispose()

    found = {(f.row - 2, f.kind) for f in result.findings}
    if found != planted:
        print(f"missed {sorted(planted - found)[:10]}, extra {sorted(found - planted)[:10]}",
              file=sys.stderr)  # fmt: skip
    print(json.dumps({"rows": len(tape.rows), "check_s": round(check_s, 3),
                      "planted": len(planted), "found": len(result.findings)}))  # fmt: skip
    return 0 if found == planted else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None, help="the SQLite file (default: new)")
    parser.add_argument("--postgres", action="store_true",
                        help="a scratch PostgreSQL database (the local server)")  # fmt: skip
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_tape_"))
    if args.postgres:
        with scratch_database("bench_tape") as url:
            return run(url, args.loans, work)
    with_db = args.db or work / "mirror.sqlite"
    return run(f"sqlite:///{with_db}", args.loans, work)


if __name__ == "__main__":
    sys.exit(main())
