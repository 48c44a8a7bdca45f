"""The risk rules the indexer runs beside the core projections.

:func:`risk_handlers` builds them (a :class:`~registry.indexer.handlers.HandlerRegistry`)
from a :class:`RiskSettings`; :func:`indexer_handlers` is the extension factory ``registry
index`` calls with the process's settings. Per event: schedules are loaded from the lender's
own loan records (kept only when they open the committed hash), payments and payoffs are
kept, and the event-driven alerts are raised (double pledge, sold out of trust, total loss,
brand, repossession). Per batch: loans' standing is brought to the batch's chain time,
month-end snapshots are taken, and the 30-days-after-payoff rule is applied. On a reorg: the
VINs' derived rows and their alerts above the ancestor go, and the replay through these same
handlers rebuilds them.

Rows are buffered in the batch's ``state.scratch`` and written in bulk once the batch (or
the replay) is applied.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, delete, select
from sqlmodel import Session

from registry import loan_records
from registry.chunks import chunks
from registry.db import dialect_insert
from registry.enums import AlertKind, Brand, LienStatus, Severity
from registry.errors import InvalidInput
from registry.indexer.bulk import BulkWriter
from registry.indexer.handlers import EventContext, HandlerRegistry
from registry.indexer.state import BatchState
from registry.risk import standing
from registry.risk.alerts import NewAlert, event_key, remove_after, store
from registry.risk.delinquency import chain_day
from registry.risk.models import VIN_TABLES, LoanSchedule
from registry.risk.records import schedule_row

if TYPE_CHECKING:
    from registry.config import Settings

SCHEDULES: Table = LoanSchedule.__table__  # type: ignore[attr-defined]
#: The payment rows the handlers buffer, in this column order.
PAYMENT_COLUMNS = ("loan_id", "vin", "amount", "block_number", "block_time", "tx_hash",
                   "log_index", "effective_paid_at")  # fmt: skip
_BUFFER = "risk_buffer"
SERIOUS_BRANDS = frozenset({Brand.SALVAGE, Brand.FLOOD, Brand.JUNK, Brand.STOLEN})
_BRANDS = tuple(Brand)
_ACTIVE = LienStatus.ACTIVE.value


@dataclass(frozen=True)
class RiskSettings:
    """What the risk rules of one indexer need to know."""

    #: where this instance's lender keeps its loan records (schedule + salt per loan)
    records_dir: Path
    #: how long (chain time) a new loan settles before delinquency alerts
    settle_seconds: int = standing.SETTLE_SECONDS

    @classmethod
    def of(cls, settings: Settings) -> RiskSettings:
        """The risk settings of the process's settings: records in ``<data_dir>/loans``."""
        return cls(records_dir=settings.data_dir / "loans")


def risk_handlers(settings: RiskSettings) -> HandlerRegistry:
    """The risk rules as indexer handlers (run them after the core projections)."""

    def schedule_committed(ctx: EventContext) -> None:  # LoanOriginated, LoanRestructured
        a = ctx.event.args
        _touch(ctx, a["loanId"])
        _load_schedule(ctx, settings.records_dir, a["loanId"], a["scheduleHash"])

    def after_batch(session: Session, state: BatchState, block_time: int) -> None:
        touched = _buffer(state)["touched"]
        refresh(session.connection(), block_time, touched, settle_seconds=settings.settle_seconds)

    rules = HandlerRegistry()
    rules.on("LoanOriginated", schedule_committed)
    rules.on("LoanRestructured", schedule_committed)
    for name, handler in EVENT_RULES.items():
        rules.on(name, handler)
    return rules.after_apply(flush).after_batch(after_batch).on_rollback(rollback)


def indexer_handlers(settings: Settings) -> HandlerRegistry:
    """The extension factory of ``registry index`` (:mod:`registry.indexer.handlers`)."""
    return risk_handlers(RiskSettings.of(settings))


# ------------------------------------------------------------------- buffering


def _buffer(state: BatchState) -> dict[str, Any]:
    buf: dict[str, Any] | None = state.scratch.get(_BUFFER)
    if buf is None:
        buf = {"touched": set(), "payments": [], "payoffs": [], "schedules": {},
               "total_losses": set()}  # fmt: skip
        state.scratch[_BUFFER] = buf
    return buf


def flush(session: Session, state: BatchState) -> None:
    """Writes the rows the batch's handlers buffered (its ``after_apply`` hook)."""
    buf = state.scratch.get(_BUFFER)
    if not buf:
        return
    conn = session.connection()
    if buf["payments"]:
        BulkWriter(conn).write(standing.PAYMENTS, PAYMENT_COLUMNS, ("tx_hash", "log_index"),
                               buf["payments"], update=False)  # fmt: skip
    if buf["payoffs"]:
        stmt = dialect_insert(conn, standing.PAYOFFS)
        stmt = stmt.on_conflict_do_update(
            index_elements=["loan_id"],
            set_={c.name: stmt.excluded[c.name] for c in standing.PAYOFFS.c if c.name != "loan_id"},
        )
        conn.execute(stmt, buf["payoffs"])
    if buf["schedules"]:
        conn.execute(
            dialect_insert(conn, SCHEDULES).on_conflict_do_nothing(
                index_elements=["loan_id", "schedule_hash"]
            ),
            list(buf["schedules"].values()),
        )
    buf["payments"], buf["payoffs"], buf["schedules"] = [], [], {}


def _touch(ctx: EventContext, loan_id: int) -> dict[str, Any]:
    buf = _buffer(ctx.state)
    buf["touched"].add(loan_id)
    return buf


def _where(ctx: EventContext) -> dict[str, Any]:
    ev = ctx.event
    return {"block_number": ev.block_number, "tx_hash": ev.tx_hash, "log_index": ev.log_index,
            "time": ctx.block_time}  # fmt: skip


# ------------------------------------------------------------------- schedules


def _chain_id(ctx: EventContext) -> int | None:
    """The mirror's chain id (read once per batch)."""
    scratch = ctx.state.scratch
    if "risk_chain_id" not in scratch:
        scratch["risk_chain_id"] = standing.chain_id(ctx.session.connection())
    cid: int | None = scratch["risk_chain_id"]
    return cid


def _record_for(ctx: EventContext, records: Path, loan_id: int) -> Path | None:
    cid = _chain_id(ctx)
    if cid is None:
        found = sorted(records.glob(f"*/loan-{loan_id}.json"))
        return found[0] if len(found) == 1 else None
    scratch = ctx.state.scratch
    names: set[str] | None = scratch.get("risk_record_names")
    if names is None:  # the directory is listed once per batch, not asked once per loan
        try:
            names = scratch["risk_record_names"] = set(os.listdir(records / str(cid)))
        except OSError:  # no records (yet)
            names = scratch["risk_record_names"] = set()
    if not names:
        return None
    name = f"loan-{loan_id}.json"
    return records / str(cid) / name if name in names else None


def _load_schedule(ctx: EventContext, records: Path, loan_id: int, committed: str) -> None:
    path = _record_for(ctx, records, loan_id)
    if path is None:
        return
    try:
        record = loan_records.load(path)
    except InvalidInput:
        return
    if record.loan_id == loan_id and loan_records.schedule_matches(record, committed):
        buf = _buffer(ctx.state)
        buf["schedules"][(loan_id, committed.lower())] = schedule_row(record, committed, str(path))


# ----------------------------------------------------------------------- loans


def loan_payment(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    buf = _touch(ctx, a["loanId"])
    vin = ctx.vin
    if vin is None:
        return
    buf["payments"].append((a["loanId"], vin, a["amount"], ev.block_number, ctx.block_time,
                            ev.tx_hash, ev.log_index, a["paidAt"]))  # PAYMENT_COLUMNS  # fmt: skip


def loan_changed(ctx: EventContext) -> None:
    _touch(ctx, ctx.event.args["loanId"])


def loan_paid_off(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    buf = _touch(ctx, a["loanId"])
    vin = ctx.vin
    if vin is None:
        return
    buf["payoffs"].append({
        "loan_id": a["loanId"], "vin": vin, "lender": a["lender"], "lien_id": a["lienId"],
        "paid_off_at": ctx.block_time, "block_number": ev.block_number,
        "tx_hash": ev.tx_hash, "log_index": ev.log_index,
    })  # fmt: skip


def loan_repossessed(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    _touch(ctx, a["loanId"])
    vin = ctx.vin or ""
    others = [lien for lien in active_liens(ctx, vin) if lien["holder"] != a["lender"]]
    holders = sorted({lien["holder"] for lien in others})
    tail = f" Other lienholders on the vehicle: {', '.join(holders)}." if holders else ""
    _raise(ctx, NewAlert(
        key=event_key(AlertKind.REPOSSESSION, ev.tx_hash, ev.log_index),
        kind=AlertKind.REPOSSESSION, severity=Severity.HIGH if holders else Severity.INFO, vin=vin,
        lenders=[a["lender"], *holders],
        lien_id=a["lienId"], loan_id=a["loanId"],
        message=f"Lender {a['lender']} repossessed {vin} (loan {a['loanId']}, lien "
                f"{a['lienId']}).{tail}",
        details={"repossessing_lender": a["lender"], "other_liens": [x["lien_id"] for x in others]},
        **_where(ctx),
    ))  # fmt: skip


# ---------------------------------------------------------------------- liens


#: Events whose handlers look at the VIN's active liens (LoanRepossessed names no VIN).
_LIEN_READERS = ("LienRegistered", "TotalLossDeclared", "BrandApplied")


#: The lien columns the rules read (``lien_id``, ``holder``, ``status``).
_LIEN_COLUMNS = ("lien_id", "vin", "holder", "status")


def _stored_active_liens(ctx: EventContext, vins: set[str]) -> dict[str, list[dict[str, Any]]]:
    """The active liens the database holds for ``vins`` (every VIN a key, maybe empty)."""
    out: dict[str, list[dict[str, Any]]] = {vin: [] for vin in vins}
    if vins:
        bulk = BulkWriter(ctx.session.connection())
        for values in bulk.select_in(standing.LIENS, _LIEN_COLUMNS, "vin", sorted(vins)):
            lien = dict(zip(_LIEN_COLUMNS, values, strict=True))
            if lien["status"] == LienStatus.ACTIVE:
                out[lien["vin"]].append(lien)
    return out


def active_liens(ctx: EventContext, vin: str) -> list[dict[str, Any]]:
    """The VIN's active liens as of this event: the batch's rows over the database's.

    The database's are read once per batch for every VIN the batch's lien and condition
    events name (the batch's own changes reach the database after its handlers, so they are
    the rows as of the batch's start), and for any other VIN when first asked."""
    state = ctx.state
    stored: dict[str, list[dict[str, Any]]] | None = state.scratch.get("risk_active_liens")
    if stored is None:
        named = {e.args["vin"] for e in state.batch if e.name in _LIEN_READERS}
        # a title issued in this batch has no liens before it (the contract issues a VIN once)
        issued = {e.args["vin"] for e in state.batch if e.name == "TitleIssued"}
        stored = {v: [] for v in issued}
        stored.update(_stored_active_liens(ctx, (named | {vin}) - issued))
        state.scratch["risk_active_liens"] = stored
    elif vin not in stored:
        stored.update(_stored_active_liens(ctx, {vin}))
    liens = state.liens
    held = stored[vin]
    if not held:  # the common case (no lien before the batch), without the merging below
        mine = state.active_liens_by_vin.get(vin)
        if not mine:
            return []
        if len(mine) == 1:
            row = liens.get(next(iter(mine)))
            return [row] if row is not None and row["status"] == _ACTIVE else []
    rows: dict[int, dict[str, Any]] = {r["lien_id"]: r for r in held}
    for lien_id in state.active_liens_by_vin.get(vin, ()):
        if lien_id in liens:
            rows[lien_id] = liens[lien_id]
    active = [liens.get(i, r) for i, r in rows.items()]  # the batch's rows where it has them
    if len(active) > 1:
        active.sort(key=lambda r: r["lien_id"])
    return [r for r in active if r["status"] == _ACTIVE]


def _lien(ctx: EventContext, lien_id: int) -> dict[str, Any] | None:
    row = ctx.state.liens.get(lien_id)
    if row is not None:
        return row
    tbl = standing.LIENS
    found = (
        ctx.session.connection()
        .execute(select(tbl).where(tbl.c.lien_id == lien_id))
        .mappings()
        .first()
    )
    return dict(found) if found is not None else None


def lien_registered(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    vin, holder = a["vin"], a["holder"]
    others = [
        x for x in active_liens(ctx, vin) if x["lien_id"] != a["lienId"] and x["holder"] != holder
    ]
    if not others:
        return
    first = others[0]
    holders = sorted({x["holder"] for x in others})
    _raise(ctx, NewAlert(
        key=event_key(AlertKind.DOUBLE_PLEDGE, ev.tx_hash, ev.log_index),
        kind=AlertKind.DOUBLE_PLEDGE, severity=Severity.CRITICAL, vin=vin,
        lenders=[holder, *holders], lien_id=a["lienId"],
        message=f"Double pledge: {vin} already carries lien {first['lien_id']} held by "
                f"{first['holder']}; lender {holder} has now registered lien {a['lienId']} "
                f"on the same vehicle.",
        details={"new_lien": a["lienId"], "new_holder": holder,
                 "existing_liens": [x["lien_id"] for x in others], "existing_holders": holders},
        **_where(ctx),
    ))  # fmt: skip


def sale_recorded(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    lien_id = a["floorPlanLienId"]
    if not lien_id:
        return
    lien = _lien(ctx, lien_id)
    holder = lien["holder"] if lien else ""
    _raise(ctx, NewAlert(
        key=event_key(AlertKind.SOLD_OUT_OF_TRUST, ev.tx_hash, ev.log_index),
        kind=AlertKind.SOLD_OUT_OF_TRUST, severity=Severity.CRITICAL, vin=a["vin"],
        lenders=[holder], lien_id=lien_id,
        message=f"Sold out of trust: dealer {a['dealer']} sold {a['vin']} to {a['buyer']} while "
                f"floor-plan lien {lien_id} held by {holder or 'an unknown lender'} still stands.",
        details={"dealer": a["dealer"], "buyer": a["buyer"], "floor_plan_lien": lien_id,
                 "title_transferred": a["titleTransferred"]},
        **_where(ctx),
    ))  # fmt: skip


# ------------------------------------------------------------ vehicle condition


def total_loss(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    liens = active_liens(ctx, a["vin"])
    if not liens:
        return
    holders = sorted({x["holder"] for x in liens})
    flood = " (flood)" if a["flood"] else ""
    brands = f"{Brand.SALVAGE} and {Brand.FLOOD}" if a["flood"] else Brand.SALVAGE
    # The brands the registry applies in this transaction are part of this alert.
    _buffer(ctx.state)["total_losses"].add((ev.tx_hash, a["vin"]))
    _raise(ctx, NewAlert(
        key=event_key(AlertKind.TOTAL_LOSS, ev.tx_hash, ev.log_index),
        kind=AlertKind.TOTAL_LOSS, severity=Severity.HIGH, vin=a["vin"], lenders=holders,
        lien_id=liens[0]["lien_id"],
        message=f"Total loss{flood} declared on {a['vin']} by insurer {a['insurer']} (claim "
                f"{a['claimId']}); loss payee {a['lossPayee']}; the title is branded {brands}. "
                f"Active liens: {', '.join(str(x['lien_id']) for x in liens)}.",
        details={"claim_id": a["claimId"], "insurer": a["insurer"], "loss_payee": a["lossPayee"],
                 "flood": a["flood"], "liens": [x["lien_id"] for x in liens]},
        **_where(ctx),
    ))  # fmt: skip


def brand_applied(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    if (ev.tx_hash, a["vin"]) in _buffer(ctx.state)["total_losses"]:
        return  # told by the total_loss alert of the same transaction
    liens = active_liens(ctx, a["vin"])
    if not liens:
        return
    brand = _BRANDS[a["brand"]] if a["brand"] < len(_BRANDS) else str(a["brand"])
    holders = sorted({x["holder"] for x in liens})
    _raise(ctx, NewAlert(
        key=event_key(AlertKind.BRAND, ev.tx_hash, ev.log_index), kind=AlertKind.BRAND,
        severity=Severity.HIGH if brand in SERIOUS_BRANDS else Severity.WARNING, vin=a["vin"],
        lenders=holders, lien_id=liens[0]["lien_id"],
        message=f"The title of {a['vin']}, collateral under lien "
                f"{', '.join(str(x['lien_id']) for x in liens)}, was branded {brand} by "
                f"{a['actor']}.",
        details={"brand": brand, "actor": a["actor"], "liens": [x["lien_id"] for x in liens]},
        **_where(ctx),
    ))  # fmt: skip


def _raise(ctx: EventContext, alert: NewAlert) -> None:
    store(ctx.session.connection(), [alert])


# --------------------------------------------------------------- batch and reorg


def catching_up(conn: Connection) -> bool:
    """Whether this batch ends short of the chain head (a backfill in progress)."""
    row = conn.execute(
        select(standing.INDEXER.c.indexed_block, standing.INDEXER.c.head_block).limit(1)
    ).first()
    return row is not None and int(row[1] or 0) > int(row[0] or 0)


def refresh(conn: Connection, now: int, touched: set[int], *, settle_seconds: int) -> None:
    """Standing, month-end snapshots and the payoff rule, at chain time ``now``.

    While the indexer backfills, loans' standing waits for the batch that reaches the head:
    a history replayed batch by batch would otherwise raise alerts for states long gone
    (a loan originated in one batch, its payments in the next).
    """
    today = chain_day(now)
    last = standing.get_state(conn, "last_day")
    if last is not None and int(last) < today:
        for month in standing.month_ends_between(int(last), today):
            standing.snapshot_month(conn, month)
    if not catching_up(conn):
        standing.refresh(conn, now, touched, settle_seconds=settle_seconds)
    elif touched:  # recomputed by the batch that reaches the head
        standing.mark_stale(conn, touched)
    if last is None or int(last) < today:
        standing.set_state(conn, "last_day", str(today))
    since = standing.get_state(conn, "lien_check_at")
    block = standing.current_block(conn)
    standing.check_unreleased_liens(conn, now, block, int(since) if since else None)
    standing.set_state(conn, "lien_check_at", str(now))


def rollback(session: Session, ancestor: int, vins: set[str]) -> None:
    """A reorg undone to ``ancestor``: the VINs' derived rows and later alerts go (the replay
    rebuilds them)."""
    conn = session.connection()
    remove_after(conn, ancestor, vins)
    vin_list = sorted(vins)
    for model in VIN_TABLES:
        tbl: Table = model.__table__  # type: ignore[attr-defined]
        for chunk in chunks(vin_list):
            conn.execute(delete(tbl).where(tbl.c.vin.in_(chunk)))
    standing.clear_state(conn, "lien_check_at")


#: The rule of each event (besides the schedules of :func:`risk_handlers`).
EVENT_RULES = {
    "LoanPaymentRecorded": loan_payment,
    "LoanDisbursed": loan_changed,
    "LoanDelinquencyRecorded": loan_changed,
    "LoanDefaulted": loan_changed,
    "LoanChargedOff": loan_changed,
    "LoanServicingTransferred": loan_changed,
    "LoanPaidOff": loan_paid_off,
    "LoanRepossessed": loan_repossessed,
    "LienRegistered": lien_registered,
    "SaleRecorded": sale_recorded,
    "TotalLossDeclared": total_loss,
    "BrandApplied": brand_applied,
}
