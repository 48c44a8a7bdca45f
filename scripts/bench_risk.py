"""Benchmark: full DPD/bucket recomputation of a 100,000-loan book, and one lender's report.

Builds the book straight into a fresh SQLite mirror (titles, liens, loans, sales, revealed
schedules, payment histories, 12 month-end bucket snapshots) through the table definitions,
then times :func:`registry.risk.standing.recompute` over every loan (inside one transaction,
commit included) and :func:`registry.risk.portfolio.portfolio` for the largest lender.

Targets: recompute <= 10 s, report <= 500 ms. The last line printed is one JSON object.

    .venv/bin/python scripts/bench_risk.py [--loans 100000] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

from registry.db import make_engine, migrate
from registry.db.models import Lien, Loan, Participant, Sale, Title
from registry.risk.delinquency import DueSchedule, month_key, next_month
from registry.risk.models import LoanPayment, LoanSchedule
from registry.risk.portfolio import portfolio
from registry.risk.standing import recompute, snapshot_month
from registry.schedules import LoanTerms, ScheduleKind, build_schedule, canonical_json, due_date

LENDERS = [f"0x{'1' * 39}{i}" for i in range(3)]
DEALERS = [f"0x{'d' * 39}{i}" for i in range(5)]
CHUNK = 20_000


def _t(model: Any) -> Any:
    return model.__table__


def _bulk(engine: Engine, model: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(_t(model)), rows[i : i + CHUNK])


def _templates(today: date, rng: random.Random) -> list[tuple[DueSchedule, str, int, date]]:
    """Schedules per (terms, first-due month): 20 loan shapes x 30 months."""
    shapes = [
        (Decimal(rng.randrange(80, 600) * 100), Decimal(rng.choice(["0.0399", "0.0649", "0.0799"])),
         rng.choice([36, 48, 60, 72]), rng.choice(list(ScheduleKind)))
        for _ in range(20)
    ]  # fmt: skip
    out = []
    for principal, rate, months, kind in shapes:
        for back in range(1, 31):
            first = due_date(date(today.year, today.month, min(today.day, 28)), -back)
            s = build_schedule(LoanTerms(principal, rate, months, first, kind))
            out.append((DueSchedule.from_schedule(s), canonical_json(s).decode(), back, first))
    return out


def build_book(engine: Engine, n: int, now: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    today = date.fromtimestamp(now)
    templates = _templates(today, rng)
    titles, liens, loans, schedules, payments, sales = [], [], [], [], [], []
    pay_id = 0
    for i in range(n):
        vin = f"BENCH{i:012d}"
        lender = LENDERS[i % 3] if i % 10 else LENDERS[0]
        due, sched_json, _back, first = templates[rng.randrange(len(templates))]
        start = int(time.mktime(first.timetuple())) - 30 * 86400
        brands = 4 if rng.random() < 0.02 else 0
        titles.append({"vin": vin, "owner": f"0x{i:040x}", "status": "ACTIVE", "brands": brands,
                       "odometer": 10_000, "active_liens": 1, "transfers": 1,
                       "issuer": DEALERS[0], "issued_block": 1, "issued_at": start,
                       "issued_tx": "0x", "updated_block": 1})  # fmt: skip
        liens.append({"lien_id": i + 1, "vin": vin, "holder": lender, "original_holder": lender,
                      "status": "ACTIVE", "floor_plan": False, "priority": 1,
                      "registered_block": 1, "registered_at": start, "registered_tx": "0x",
                      "updated_block": 1})  # fmt: skip
        today_ord = today.toordinal()
        k = sum(1 for d in due.days if d <= today_ord)
        behaviour = rng.random()
        paid_n = k if behaviour < 0.8 else max(0, k - rng.randrange(1, 5))
        paid = due.cum_total[paid_n - 1] if paid_n else 0
        if rng.random() < 0.05:
            paid -= rng.randrange(1, 5000)  # partial
        state = "ACTIVE"
        if rng.random() < 0.03:
            state = "PAID_OFF"
        elif paid_n < k - 3 and rng.random() < 0.3:
            state = "DEFAULTED"
        shash = f"0x{i:064x}"
        loans.append({"loan_id": i + 1, "lien_id": i + 1, "vin": vin, "lender": lender,
                      "state": state, "loan_ref": "0x", "terms_hash": "0x", "schedule_hash": shash,
                      "disbursed_amount": due.principal, "total_paid": max(0, paid),
                      "payments_count": paid_n, "last_payment_at": None, "days_past_due": 0,
                      "charged_off_amount": 0, "originated_block": 1, "originated_at": start,
                      "updated_block": 1})  # fmt: skip
        schedules.append({"loan_id": i + 1, "schedule_hash": shash, "schedule_json": sched_json,
                          "dues": due.dumps(), "principal_cents": due.principal, "source": "bench",
                          "loaded_ts": 0.0})  # fmt: skip
        prev = 0
        for j in range(paid_n):
            pay_id += 1
            day_ts = (due.days[j] - date(1970, 1, 1).toordinal()) * 86400 + 36_000
            payments.append({"id": pay_id, "loan_id": i + 1, "vin": vin,
                             "amount": due.cum_total[j] - prev, "block_number": 1,
                             "block_time": day_ts, "tx_hash": f"0x{pay_id:x}",
                             "log_index": 0})  # fmt: skip
            prev = due.cum_total[j]
        if rng.random() < 0.3:
            sales.append({"vin": vin, "dealer": DEALERS[rng.randrange(5)], "buyer": f"0x{i:040x}",
                          "sale_ref": "0x", "floor_plan_lien_id": None, "title_transferred": True,
                          "block_number": 1, "block_time": start, "tx_hash": f"0xs{i:x}",
                          "log_index": 0})  # fmt: skip
    _bulk(engine, Participant, [
        {"address": d, "role": "DEALER", "name": f"Dealer {k}", "active": True,
         "admitted_block": 1, "admitted_at": 0, "updated_block": 1}
        for k, d in enumerate(DEALERS)
    ])  # fmt: skip
    for model, rows in ((Title, titles), (Lien, liens), (Loan, loans), (LoanSchedule, schedules),
                        (LoanPayment, payments), (Sale, sales)):  # fmt: skip
        _bulk(engine, model, rows)
    print(f"book: {n} loans, {len(payments)} payments, {len(sales)} dealer sales", flush=True)


def snapshots(engine: Engine, now: int, months: int = 12) -> None:
    key = month_key(date.fromtimestamp(now).toordinal())
    for _ in range(months):  # back to the oldest month
        y, m = int(key[:4]), int(key[5:7])
        key = f"{y - (m == 1):04d}-{12 if m == 1 else m - 1:02d}"
    for _ in range(months):
        with engine.begin() as conn:
            snapshot_month(conn, key)
        key = next_month(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = args.db or Path(tmp.name) / "bench.sqlite"
    if path.exists():
        path.unlink()
    url = f"sqlite:///{path}"
    migrate(url)
    engine = make_engine(url)
    now = int(time.time())
    t0 = time.perf_counter()
    build_book(engine, args.loans, now)
    snapshots(engine, now)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"built in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        n = recompute(conn, now, block=1, alerts=True)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with engine.begin() as conn:  # again, over existing rows (the steady state)
        recompute(conn, now, block=1, alerts=True)
    recompute_s = time.perf_counter() - t0
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        with engine.connect() as conn:
            report = portfolio(conn, LENDERS[0], stress=1.5)
        times.append((time.perf_counter() - t0) * 1000)
    print(
        f"recomputed {n} loans: first {first_s:.2f} s (with alerts), again {recompute_s:.2f} s; "
        f"report for {report['loans']} loans: {statistics.median(times):.0f} ms "
        f"(first {times[0]:.0f} ms); buckets "
        + ", ".join(f"{b} {v['loans']}" for b, v in report["buckets"].items()),
        flush=True,
    )
    # exactly the keys: the slower of the two recomputations, the median report
    result = {
        "loans": n,
        "recompute_s": round(max(first_s, recompute_s), 2),
        "report_ms": round(statistics.median(times), 1),
    }
    engine.dispose()
    tmp.cleanup()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
