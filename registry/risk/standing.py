"""Keeping every loan's standing (DPD, bucket, exposure) in SQL, and the rules that need time.

:func:`recompute` brings ``risk_loan_status`` up to date for some loans (those an event
touched, those whose standing changes with the passing days) or for all of them, and raises
``missed_payment`` / ``bucket_roll`` alerts when a loan gets worse. :func:`snapshot_month`
stores month-end buckets for roll rates; :func:`check_unreleased_liens` applies the
30-days-after-payoff rule. All of them work on a connection inside the caller's transaction.

A loan's standing changes without any event only on known days: the day its next instalment
falls due, the day after (it becomes past due), and every day while it is past due.
``next_change_day`` holds the first such day, so a new calendar day recomputes only those.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, and_, func, select

from registry.chunks import chunks
from registry.db import dialect_insert
from registry.db.models import Block, Event, IndexerState, Lien, Loan
from registry.enums import AlertKind, LienStatus, LoanState, Severity, StandingBucket
from registry.indexer.bulk import BulkWriter
from registry.risk.alerts import NewAlert, store
from registry.risk.delinquency import (
    DueSchedule,
    assess,
    bucket_of,
    bucket_rank,
    chain_day,
    day_end,
    month_end_day,
)
from registry.risk.models import (
    BucketSnapshot,
    LoanPayment,
    LoanSchedule,
    LoanStatus,
    Payoff,
    RiskState,
    RollCount,
)

LOANS: Table = Loan.__table__  # type: ignore[attr-defined]
LIENS: Table = Lien.__table__  # type: ignore[attr-defined]
EVENTS: Table = Event.__table__  # type: ignore[attr-defined]
BLOCKS: Table = Block.__table__  # type: ignore[attr-defined]
SCHEDULES: Table = LoanSchedule.__table__  # type: ignore[attr-defined]
STATUS: Table = LoanStatus.__table__  # type: ignore[attr-defined]
PAYMENTS: Table = LoanPayment.__table__  # type: ignore[attr-defined]
PAYOFFS: Table = Payoff.__table__  # type: ignore[attr-defined]
SNAPSHOTS: Table = BucketSnapshot.__table__  # type: ignore[attr-defined]
ROLLS: Table = RollCount.__table__  # type: ignore[attr-defined]
STATE: Table = RiskState.__table__  # type: ignore[attr-defined]
INDEXER: Table = IndexerState.__table__  # type: ignore[attr-defined]

CLOSED_STATES = (LoanState.PAID_OFF, LoanState.CHARGED_OFF)
NEVER = 10**7  # a date ordinal after any real date: "no change expected"
DAY = 86400
RELEASE_GRACE_DAYS = 30
#: Delinquency alerts wait this long (chain time) after origination by default: a migrated,
#: back-dated loan gets its payment history recorded in the transactions that follow its
#: origination (``settle_seconds`` of :func:`recompute` and :func:`refresh`).
SETTLE_SECONDS = 3600


# ------------------------------------------------------------------ small state


def get_state(conn: Connection, key: str) -> str | None:
    value = conn.execute(select(STATE.c.value).where(STATE.c.key == key)).scalar()
    return None if value is None else str(value)


def set_state(conn: Connection, key: str, value: str) -> None:
    stmt = dialect_insert(conn, STATE).values(key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def clear_state(conn: Connection, key: str) -> None:
    conn.execute(STATE.delete().where(STATE.c.key == key))


def chain_now(conn: Connection) -> tuple[int, int]:
    """(latest indexed block, its timestamp): the chain time the mirror has reached."""
    row = conn.execute(
        select(BLOCKS.c.number, BLOCKS.c.timestamp).order_by(BLOCKS.c.number.desc()).limit(1)
    ).first()
    ev = conn.execute(
        select(EVENTS.c.block_number, EVENTS.c.block_time)
        .order_by(EVENTS.c.block_number.desc())
        .limit(1)
    ).first()
    candidates = [(int(r[0]), int(r[1])) for r in (row, ev) if r is not None]
    return max(candidates) if candidates else (0, 0)


def current_block(conn: Connection) -> int:
    indexed = conn.execute(select(func.max(INDEXER.c.indexed_block))).scalar()
    return max(int(indexed or 0), chain_now(conn)[0])


def chain_id(conn: Connection) -> int | None:
    value = conn.execute(select(INDEXER.c.chain_id).limit(1)).scalar()
    return None if value is None else int(value)


# --------------------------------------------------------------- the standing


@dataclass(frozen=True, slots=True)
class Standing:
    row: dict[str, Any]
    alerts: list[NewAlert]


def _standing(r: Any, today: int, now: int, block: int, settle: int) -> Standing:
    """One loan's status row (and the alerts its change raises) from a joined row."""
    state = r.state
    base = {"loan_id": r.loan_id, "lender": r.lender, "vin": r.vin, "lien_id": r.lien_id,
            "state": state, "as_of": now, "updated_block": block}  # fmt: skip
    if state in CLOSED_STATES:
        row = base | {"source": "schedule" if r.dues else "lender_reported", "due_cents": 0,
                      "paid_cents": r.total_paid, "past_due_cents": 0, "dpd": 0,
                      "bucket": StandingBucket.CLOSED, "oldest_unpaid_due": None,
                      "exposure_cents": 0, "next_change_day": None}  # fmt: skip
        return Standing(row, [])
    if r.dues:
        due = DueSchedule.loads(r.dues)
        d = assess(due, r.total_paid, today)
        if d.dpd > 0:
            settling = now - int(r.originated_at) < settle
            nxt = today if settling else today + 1  # recomputed each batch while settling
        else:
            k = d.instalments_due
            nxt = due.days[k] if k < len(due.days) else NEVER
            if d.oldest_unpaid_due is not None:
                nxt = min(nxt, d.oldest_unpaid_due.toordinal() + 1)
        row = base | {"source": "schedule", "due_cents": d.due_cents, "paid_cents": d.paid_cents,
                      "past_due_cents": d.past_due_cents, "dpd": d.dpd, "bucket": d.bucket,
                      "oldest_unpaid_due": d.oldest_unpaid_due.isoformat()
                      if d.oldest_unpaid_due else None,
                      "exposure_cents": d.principal_outstanding,
                      "next_change_day": nxt if nxt < NEVER else None}  # fmt: skip
    else:  # no schedule revealed: the DPD the lender recorded on chain, exposure as disbursed
        dpd = int(r.days_past_due or 0)
        row = base | {"source": "lender_reported", "due_cents": 0, "paid_cents": r.total_paid,
                      "past_due_cents": 0, "dpd": dpd, "bucket": bucket_of(dpd),
                      "oldest_unpaid_due": None,
                      "exposure_cents": max(0, int(r.disbursed_amount) - int(r.total_paid)),
                      "next_change_day": None}  # fmt: skip
    return Standing(row, _worsening(r, row, block, now, settle))


def _settling(r: Any, source: str, now: int, settle: int) -> bool:
    """A loan's first ``settle`` seconds (an hour by default): its lender is still recording
    the history of a back-dated loan."""
    return source == "schedule" and now - int(r.originated_at) < settle


def _worsening(r: Any, row: dict[str, Any], block: int, now: int, settle: int) -> list[NewAlert]:
    """missed_payment when a loan goes past due; bucket_roll when it reaches 30-59 or worse.

    Not while the loan settles; a standing computed while it settled counts as unknown.
    """
    alerts: list[NewAlert] = []
    dpd, bucket = row["dpd"], row["bucket"]
    if dpd <= 0 or _settling(r, row["source"], now, settle):
        return alerts
    known = r.prev_bucket is not None and not _settling(r, row["source"], int(r.prev_as_of), settle)
    prev_dpd = r.prev_dpd if known else 0
    prev_rank = bucket_rank(r.prev_bucket) if known else 0
    anchor = row["oldest_unpaid_due"] or f"reported-{r.loan_id}"
    common = {"vin": r.vin, "lenders": [r.lender], "block_number": block, "time": now,
              "lien_id": r.lien_id, "loan_id": r.loan_id}  # fmt: skip
    details = {"dpd": dpd, "bucket": bucket, "past_due_cents": row["past_due_cents"],
               "oldest_unpaid_due": row["oldest_unpaid_due"], "source": row["source"]}  # fmt: skip
    if prev_dpd <= 0:
        since = f"since {anchor}" if row["oldest_unpaid_due"] else "as reported by its lender"
        alerts.append(NewAlert(
            key=f"{AlertKind.MISSED_PAYMENT}:{r.loan_id}:{anchor}",
            kind=AlertKind.MISSED_PAYMENT, severity=Severity.WARNING,
            message=f"Loan {r.loan_id} on {r.vin} missed a payment: {dpd} days past due "
                    f"({since}, {row['past_due_cents'] / 100:,.2f} past due).",
            details=details, **common,
        ))  # fmt: skip
    rank = bucket_rank(bucket)
    if rank >= 2 and rank > prev_rank:
        severity = {2: Severity.WARNING, 3: Severity.HIGH, 4: Severity.CRITICAL}[rank]
        alerts.append(NewAlert(
            key=f"{AlertKind.BUCKET_ROLL}:{r.loan_id}:{anchor}:{bucket}",
            kind=AlertKind.BUCKET_ROLL,
            severity=severity,
            message=f"Loan {r.loan_id} on {r.vin} rolled into the {bucket} days bucket "
                    f"({dpd} days past due, from {r.prev_bucket or 'current'}).",
            details=details | {"from_bucket": r.prev_bucket}, **common,
        ))  # fmt: skip
    return alerts


#: The columns whose change makes a status row worth writing again.
_COMPARED = ("lender", "vin", "lien_id", "state", "source", "due_cents", "paid_cents",
             "past_due_cents", "dpd", "bucket", "oldest_unpaid_due", "exposure_cents",
             "next_change_day")  # fmt: skip
_OLD = tuple((c, f"old_{c}") for c in _COMPARED)


def _query(extra: Any = None) -> Any:
    stmt = (
        select(
            LOANS.c.loan_id, LOANS.c.lender, LOANS.c.vin, LOANS.c.lien_id, LOANS.c.state,
            LOANS.c.total_paid, LOANS.c.disbursed_amount, LOANS.c.days_past_due,
            SCHEDULES.c.dues, STATUS.c.bucket.label("prev_bucket"), STATUS.c.dpd.label("prev_dpd"),
            LOANS.c.originated_at, STATUS.c.as_of.label("prev_as_of"),
            *(STATUS.c[name].label(f"old_{name}") for name in _COMPARED),
        )
        .select_from(LOANS)
        .outerjoin(SCHEDULES, and_(SCHEDULES.c.loan_id == LOANS.c.loan_id,
                                   SCHEDULES.c.schedule_hash == LOANS.c.schedule_hash))
        .outerjoin(STATUS, STATUS.c.loan_id == LOANS.c.loan_id)
    )  # fmt: skip
    return stmt if extra is None else stmt.where(extra)


_STATUS_COLUMNS = tuple(c.name for c in STATUS.c)


def _write(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Upserts status rows (in bulk, through the driver: a backfill writes every loan's)."""
    if rows:
        get = itemgetter(*_STATUS_COLUMNS)
        BulkWriter(conn).write(STATUS, _STATUS_COLUMNS, ("loan_id",), [get(r) for r in rows],
                               update=True)  # fmt: skip


def _run(
    conn: Connection,
    stmt: Any,
    today: int,
    now: int,
    block: int,
    alerts: bool,
    settle: int,
) -> int:
    """Recomputes the loans ``stmt`` selects."""
    rows: list[dict[str, Any]] = []
    raised: list[NewAlert] = []
    n = 0
    for r in conn.execute(stmt).all():
        n += 1
        s = _standing(r, today, now, block, settle)
        row = s.row
        if r.old_bucket is None or any(row[c] != getattr(r, o) for c, o in _OLD):
            rows.append(row)  # unchanged rows keep their as_of (the time of the last change)
        if alerts:
            raised += s.alerts
    _write(conn, rows)
    store(conn, raised)
    return n


def recompute(
    conn: Connection,
    now: int,
    *,
    loan_ids: Iterable[int] | None = None,
    block: int | None = None,
    alerts: bool = True,
    settle_seconds: int = SETTLE_SECONDS,
) -> int:
    """Recomputes the standing of ``loan_ids`` (every loan when None) at chain time ``now``
    (no delinquency alert in a loan's first ``settle_seconds``)."""
    today = chain_day(now)
    set_state(conn, "as_of", str(now))
    block = current_block(conn) if block is None else block
    if loan_ids is None:
        return _run(conn, _query(), today, now, block, alerts, settle_seconds)
    ids = sorted(set(loan_ids))
    return sum(
        _run(conn, _query(LOANS.c.loan_id.in_(chunk)), today, now, block, alerts, settle_seconds)
        for chunk in chunks(ids)
    )


def refresh(
    conn: Connection,
    now: int,
    touched: Iterable[int] = (),
    *,
    settle_seconds: int = SETTLE_SECONDS,
) -> int:
    """The per-batch update: touched loans, loans without a standing yet, and loans whose
    standing changes by ``now``'s day. Returns how many were recomputed."""
    today = chain_day(now)
    block = current_block(conn)
    if conn.execute(select(STATUS.c.loan_id).limit(1)).first() is None:
        # no standing yet (a first backfill reaching the head): every loan is missing one,
        # so every loan is recomputed, in one pass rather than by lists of ids
        if conn.execute(select(LOANS.c.loan_id).limit(1)).first() is None:
            return 0
        return recompute(conn, now, block=block, settle_seconds=settle_seconds)
    ids = set(touched)
    missing = (
        select(LOANS.c.loan_id)
        .outerjoin(STATUS, STATUS.c.loan_id == LOANS.c.loan_id)
        .where(STATUS.c.loan_id.is_(None))
    )
    ids.update(i for (i,) in conn.execute(missing))
    ids.update(
        i
        for (i,) in conn.execute(select(STATUS.c.loan_id).where(STATUS.c.next_change_day <= today))
    )
    if not ids:
        return 0
    return recompute(conn, now, loan_ids=ids, block=block, settle_seconds=settle_seconds)


def mark_stale(conn: Connection, loan_ids: Iterable[int]) -> None:
    """Makes the next :func:`refresh` recompute these loans."""
    from sqlalchemy import update

    if conn.execute(select(STATUS.c.loan_id).limit(1)).first() is None:
        return  # no standing yet (a first backfill): nothing to mark
    ids = sorted(set(loan_ids))
    for chunk in chunks(ids):
        conn.execute(update(STATUS).where(STATUS.c.loan_id.in_(chunk)).values(next_change_day=0))


# ------------------------------------------------------------- month-end snapshots


def snapshot_month(conn: Connection, month: str) -> int:
    """Stores every loan's bucket at the end of ``month`` (YYYY-MM), with last month's bucket.

    DPD is taken on the month's last day with the payments made up to its end (by their
    effective time, so an imported history counts as it happened); the
    lifecycle state (paid off, charged off) is the one indexed when the snapshot is taken,
    i.e. at the first batch past the month end.
    """
    last_day = month_end_day(month)
    end = day_end(last_day)
    prev_month = date.fromordinal(date.fromordinal(last_day).replace(day=1).toordinal() - 1)
    prev_key = f"{prev_month.year:04d}-{prev_month.month:02d}"
    prev = {
        loan_id: (bucket, exposure)
        for loan_id, bucket, exposure in conn.execute(
            select(SNAPSHOTS.c.loan_id, SNAPSHOTS.c.bucket, SNAPSHOTS.c.exposure_cents).where(
                SNAPSHOTS.c.month == prev_key
            )
        )
    }
    paid = dict(
        conn.execute(
            select(PAYMENTS.c.loan_id, func.sum(PAYMENTS.c.amount))
            .where(func.coalesce(PAYMENTS.c.effective_paid_at, PAYMENTS.c.block_time) <= end)
            .group_by(PAYMENTS.c.loan_id)
        ).all()
    )
    stmt = (
        select(LOANS.c.loan_id, LOANS.c.lender, LOANS.c.state, LOANS.c.disbursed_amount,
               SCHEDULES.c.dues, LOANS.c.days_past_due)
        .select_from(LOANS)
        .outerjoin(SCHEDULES, and_(SCHEDULES.c.loan_id == LOANS.c.loan_id,
                                   SCHEDULES.c.schedule_hash == LOANS.c.schedule_hash))
        .where(func.coalesce(LOANS.c.effective_originated_at, LOANS.c.originated_at) <= end)
    )  # fmt: skip
    rows = []
    rolls: dict[tuple[str, str, str], list[int]] = {}
    for r in conn.execute(stmt):
        before, start_exposure = prev.get(r.loan_id, (None, 0))
        if before in ("paid_off", "charged_off"):
            continue  # closed in an earlier month
        p = int(paid.get(r.loan_id, 0) or 0)
        if r.state in CLOSED_STATES:
            bucket, dpd, exposure = r.state.lower(), 0, 0
        elif r.dues:
            d = assess(DueSchedule.loads(r.dues), p, last_day)
            bucket, dpd, exposure = d.bucket, d.dpd, d.principal_outstanding
        else:
            dpd = int(r.days_past_due or 0)
            bucket, exposure = bucket_of(dpd), max(0, int(r.disbursed_amount) - p)
        rows.append({"month": month, "loan_id": r.loan_id, "lender": r.lender, "bucket": bucket,
                     "prev_bucket": before, "dpd": dpd, "exposure_cents": exposure})  # fmt: skip
        if before is not None:
            entry = rolls.setdefault((r.lender, before, bucket), [0, 0])
            entry[0] += 1
            entry[1] += start_exposure
    conn.execute(ROLLS.delete().where(ROLLS.c.month == month))
    if rolls:
        conn.execute(ROLLS.insert(), [
            {"month": month, "lender": lender, "from_bucket": frm, "to_bucket": to,
             "loans": n, "exposure_cents": amount}
            for (lender, frm, to), (n, amount) in rolls.items()
        ])  # fmt: skip
    if rows:
        stmt2 = dialect_insert(conn, SNAPSHOTS).on_conflict_do_nothing(
            index_elements=["month", "loan_id"]
        )
        for part in chunks(rows, 5000):
            conn.execute(stmt2, list(part))
    return len(rows)


# ------------------------------------------------------ lien not released after payoff


def check_unreleased_liens(conn: Connection, now: int, block: int, since: int | None) -> int:
    """Alerts for loans paid off at least 30 days ago (and after ``since`` - 30 days) whose
    lender still held, 30 days on, another lien on the vehicle registered before the payoff
    and securing no outstanding loan."""
    grace = RELEASE_GRACE_DAYS * DAY
    outstanding = (
        select(LOANS.c.loan_id)
        .where(LOANS.c.lien_id == LIENS.c.lien_id, LOANS.c.state.not_in(CLOSED_STATES))
        .exists()
    )
    cond = [
        PAYOFFS.c.paid_off_at <= now - grace,
        LIENS.c.vin == PAYOFFS.c.vin,
        LIENS.c.holder == PAYOFFS.c.lender,
        LIENS.c.registered_at <= PAYOFFS.c.paid_off_at,
        (LIENS.c.status == LienStatus.ACTIVE)
        | (LIENS.c.released_at > PAYOFFS.c.paid_off_at + grace),
        ~outstanding,
    ]
    if since is not None:
        cond.append(PAYOFFS.c.paid_off_at > since - grace)
    stmt = select(PAYOFFS, LIENS.c.lien_id.label("standing_lien"), LIENS.c.floor_plan).where(*cond)
    alerts = []
    for r in conn.execute(stmt):
        days = (now - r.paid_off_at) // DAY
        alerts.append(NewAlert(
            key=f"{AlertKind.LIEN_NOT_RELEASED}:{r.loan_id}:{r.standing_lien}",
            kind=AlertKind.LIEN_NOT_RELEASED, severity=Severity.WARNING, vin=r.vin,
            lenders=[r.lender], block_number=block, time=now,
            lien_id=r.standing_lien, loan_id=r.loan_id, tx_hash=r.tx_hash, log_index=r.log_index,
            message=f"Loan {r.loan_id} on {r.vin} was paid off {days} days ago but its lender "
                    f"still holds lien {r.standing_lien} on the vehicle: release it.",
            details={"paid_off_at": r.paid_off_at, "paid_off_lien": r.lien_id, "days": days},
        ))  # fmt: skip
    return len(store(conn, alerts))


def month_ends_between(last_day: int, today: int) -> list[str]:
    """The months whose last day is in ``[last_day, today)``: the snapshots now due."""
    out = []
    d = date.fromordinal(last_day)
    key = f"{d.year:04d}-{d.month:02d}"
    while month_end_day(key) < today:
        out.append(key)
        y, m = int(key[:4]), int(key[5:7])
        key = f"{y + m // 12:04d}-{m % 12 + 1:02d}"
    return out


def loan_status_json(conn: Connection, loan_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(STATUS).where(STATUS.c.loan_id == loan_id)).mappings().first()
    return None if row is None else json.loads(json.dumps(dict(row), default=str))
