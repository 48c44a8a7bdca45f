"""Imported loans behave like loans entered as they happened: back-dated payments give the
same days past due and bucket (today and at a past month's end), and `registry loan
verify-schedule` passes on an imported loan's record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from registry.risk.standing import snapshot_month
from registry.schedules import due_date
from tests.kit.chain import Registry, private_registry
from tests.kit.imports import LOAN_HEADER, Importer, write_csv
from tests.kit.mirror import Mirror
from tests.kit.vins import fresh_vins

PRINCIPAL, RATE, TERM = "9000.00", "0.0725", 24
#: how each loan was paid: instalments paid, days late, instalments skipped before paying on
PATTERNS = [(12, 0, 0), (10, 0, 0), (12, 20, 0), (6, 0, 0), (9, 45, 0), (11, 3, 1)]


@pytest.fixture(scope="module")
def chain() -> Iterator[Registry]:
    with private_registry() as reg:
        yield reg


def _dates(start: date, paid: int, late: int, skip: int) -> list[date]:
    first = due_date(start, 1)
    return [due_date(first, i + skip) + timedelta(days=late) for i in range(paid)]


def _cli(importer: Importer, *args: str) -> str:
    from tests.kit.cli import run_registry

    done = run_registry(*args, "--dev-account", "1", env=importer.env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_back_dated_payments_match_payments_made_as_they_happened(
    chain: Registry, tmp_path: Path
) -> None:
    importer = Importer(chain, tmp_path / "data")
    start = chain.today()
    first = due_date(start, 1)
    live_vins, imported_vins = fresh_vins(len(PATTERNS)), fresh_vins(len(PATTERNS))
    owner = chain.cast.owner.address
    chain.registrar.issue_titles_batch(live_vins + imported_vins, [owner] * 12, [7] * 12)
    chain.lender.register_liens_batch(live_vins + imported_vins, [False] * 12)
    # one by one, as it happens: originate and disburse today, pay on each payment's day
    live: list[int] = []
    for vin in live_vins:
        lien = chain.reader.liens_held_on([vin], chain.cast.lender.address)[0]
        out = _cli(importer, "loan", "originate", str(lien), "--ref", f"LIVE-{vin}",
                   "--principal", PRINCIPAL, "--rate", RATE, "--term", str(TERM),
                   "--first-due", first.isoformat())  # fmt: skip
        loan_id = int(out.split()[1])
        chain.lender.record_disbursement(loan_id, 900_000)
        live.append(loan_id)
    schedule = [due_date(first, i) for i in range(TERM)]
    amount = _instalment(importer, live[0])
    payments = sorted((d, i) for i, p in enumerate(PATTERNS) for d in _dates(start, *p))
    for day_, i in payments:
        _advance_to(chain, day_)
        chain.lender.record_payment(live[i], amount)
    _advance_to(chain, schedule[13] + timedelta(days=10))
    # the same book, imported afterwards with its history
    rows = [{"vin": vin, "loan_ref": f"IMP-{vin}", "principal": PRINCIPAL, "rate": RATE,
             "term": str(TERM), "kind": "annuity", "first_due": first.isoformat(),
             "disbursed_on": start.isoformat(),
             "payments": ";".join(f"{d.isoformat()}:{amount / 100:.2f}" for d in _dates(start, *p))}
            for vin, p in zip(imported_vins, PATTERNS, strict=True)]  # fmt: skip
    file = write_csv(tmp_path / "book.csv", rows, LOAN_HEADER)
    done = importer.run("loans", file)
    assert done.returncode == 0, done.stderr
    liens = chain.reader.liens_held_on(imported_vins, chain.cast.lender.address)
    imported = [loan_id for loan_id, _ in chain.reader.loans_of_liens(liens)]
    chain.advance(1)  # past the settling hour of the imported loans
    mirror = Mirror.create(chain, importer.data_dir, risk=True)
    mirror.index()
    now = [(mirror.status(a), mirror.status(b)) for a, b in zip(live, imported, strict=True)]
    for (a, b), pattern in zip(now, PATTERNS, strict=True):
        assert a is not None and b is not None and a["source"] == b["source"] == "schedule"
        keys = ("dpd", "bucket", "paid_cents", "past_due_cents", "exposure_cents")
        assert {k: a[k] for k in keys} == {k: b[k] for k in keys}, pattern
    assert len({s["bucket"] for s, _ in now if s is not None}) >= 3  # the book is mixed
    month = schedule[7].strftime("%Y-%m")  # a month end the import wrote after the fact
    with mirror.engine.begin() as conn:
        snapshot_month(conn, month)
        from sqlalchemy import text

        query = text("SELECT loan_id, bucket FROM risk_bucket_snapshots WHERE month = :m")
        buckets: dict[int, str] = dict(conn.execute(query, {"m": month}).all())
    assert [buckets[a] for a in live] == [buckets[b] for b in imported]
    assert len(set(buckets[a] for a in live)) > 1


def _instalment(importer: Importer, loan_id: int) -> int:
    import json

    record = next((importer.data_dir / "loans").glob(f"*/loan-{loan_id}.json"))
    return int(float(json.loads(record.read_text())["schedule"]["instalments"][0]["total"]) * 100)


def _advance_to(chain: Registry, day_: date) -> None:
    now = chain.today()
    if day_ > now:
        chain.advance((day_ - now).days)


def test_verify_schedule_passes_on_an_imported_loan(chain: Registry, tmp_path: Path) -> None:
    importer = Importer(chain, tmp_path / "data")
    vins = fresh_vins(2)
    chain.registrar.issue_titles_batch(vins, [chain.cast.owner.address] * 2, [1, 2])
    chain.lender.register_liens_batch(vins, [True, False])
    today = chain.today()
    rows = [{"vin": v, "loan_ref": f"V-{v}", "principal": "15,000.5", "rate": "5.9%",
             "term": "48", "kind": "Equal Principal", "first_due": today.isoformat(),
             "disbursed_on": (today - timedelta(days=30)).isoformat()} for v in vins]  # fmt: skip
    file = write_csv(tmp_path / "loans.csv", rows, LOAN_HEADER)
    assert importer.run("loans", file).returncode == 0
    lien = chain.reader.liens_held_on(vins[:1], chain.cast.lender.address)[0]
    loan_id = chain.reader.loan_of_lien(lien)
    record = next((importer.data_dir / "loans").glob(f"*/loan-{loan_id}.json"))
    from tests.kit.cli import run_registry

    ok = run_registry("loan", "verify-schedule", str(loan_id), str(record), env=importer.env)
    assert ok.returncode == 0 and "matches the chain" in ok.stdout, ok.stdout + ok.stderr
    other = next(p for p in record.parent.glob("loan-*.json") if p != record)
    bad = run_registry("loan", "verify-schedule", str(loan_id), str(other), env=importer.env)
    assert bad.returncode == 1  # another loan's record does not open this loan's commitment
