"""Alerts to funders about the loans pledged to them, run by the indexer beside the risk rules.

Per event, for each loan with an active pledge on the vehicle concerned: the vehicle declared a
total loss, branded, repossessed, or carrying another lender's active lien (a lien registered
by another lender, or a loan pledged while one stands); the loan's lien released (other than
by repossession, told by its own alert) or assigned. Per batch: a payoff recorded on chain
while the pledge is still active :attr:`FunderSettings.payoff_days` days later (the money did
not reach the funder). Each alert concerns the funder holding the pledge (its ``lenders``
parties), so the existing alerts list, webhooks outbox and page carry it. Alerts are keyed
deterministically and removed above a reorg's ancestor; the replay raises them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, and_, select
from sqlmodel import Session

from registry.enums import AlertKind, Brand, LoanState, ReleaseReason, Severity
from registry.indexer.bulk import BulkWriter
from registry.indexer.handlers import EventContext, HandlerRegistry
from registry.indexer.pledges import COLUMNS, PLEDGES, batch_pledges_on
from registry.indexer.state import BatchState
from registry.risk import standing
from registry.risk.alerts import NewAlert, event_key, remove_after, store
from registry.risk.hooks import SERIOUS_BRANDS, active_liens, catching_up

if TYPE_CHECKING:
    from registry.config import Settings

DAY = 86_400
_STORED = "funders_stored_pledges"
_TOTAL_LOSSES = "funders_total_losses"
_BRANDS = tuple(Brand)
#: Events whose rules look at the pledges on a VIN the event names.
_VIN_EVENTS = ("TotalLossDeclared", "BrandApplied", "LienRegistered", "LienReleased",
               "LienAssigned")  # fmt: skip
EVENTS: Table = standing.EVENTS
LOANS: Table = standing.LOANS


@dataclass(frozen=True)
class FunderSettings:
    """What the funder rules need to know."""

    #: days after a payoff that a still-active pledge raises an alert
    payoff_days: int = 30

    @classmethod
    def of(cls, settings: Settings) -> FunderSettings:
        return cls(payoff_days=settings.funder_payoff_days)


def funder_handlers(settings: FunderSettings) -> HandlerRegistry:
    """The funder rules as indexer handlers (run them after the core projections)."""

    def after_batch(session: Session, state: BatchState, block_time: int) -> None:
        conn = session.connection()
        if not catching_up(conn):
            store(conn, unremitted_payoffs(conn, block_time, settings.payoff_days))

    rules = HandlerRegistry()
    for name, handler in EVENT_RULES.items():
        rules.on(name, handler)
    return rules.after_batch(after_batch).on_rollback(rollback)


def indexer_handlers(settings: Settings) -> HandlerRegistry:
    """The extension factory of ``registry index`` (:mod:`registry.indexer.handlers`)."""
    return funder_handlers(FunderSettings.of(settings))


# -------------------------------------------------------------------- pledges


def active_pledges(ctx: EventContext, vin: str) -> list[dict[str, Any]]:
    """The active pledges on ``vin``'s loans as of this event: the batch's rows (the pledge
    handlers ran before these rules) over the database's (read once per batch)."""
    scratch = ctx.state.scratch
    stored: dict[str, dict[int, dict[str, Any]]] | None = scratch.get(_STORED)
    if stored is None:
        named = {e.args["vin"] for e in ctx.state.batch if e.name in _VIN_EVENTS}
        stored = scratch[_STORED] = _stored_pledges(ctx, named | {vin})
    elif vin not in stored:
        stored.update(_stored_pledges(ctx, {vin}))
    rows = dict(stored[vin])
    rows.update((r["pledge_id"], r) for r in batch_pledges_on(ctx.state, vin))
    return [r for _, r in sorted(rows.items()) if r["active"]]


def _stored_pledges(ctx: EventContext, vins: set[str]) -> dict[str, dict[int, dict[str, Any]]]:
    out: dict[str, dict[int, dict[str, Any]]] = {vin: {} for vin in vins}
    bulk = BulkWriter(ctx.session.connection())
    for values in bulk.select_in(PLEDGES, COLUMNS, "vin", sorted(vins)):
        row = dict(zip(COLUMNS, values, strict=True))
        if row["active"]:
            row["active"] = True
            out[row["vin"]][row["pledge_id"]] = row
    return out


def _where(ctx: EventContext) -> dict[str, Any]:
    ev = ctx.event
    return {"block_number": ev.block_number, "tx_hash": ev.tx_hash, "log_index": ev.log_index,
            "time": ctx.block_time}  # fmt: skip


def _tell(ctx: EventContext, kind: AlertKind, severity: Severity, pledge: dict[str, Any],
          message: str, **details: Any) -> None:  # fmt: skip
    """Stores one alert to the funder holding ``pledge``."""
    ev = ctx.event
    alert = NewAlert(
        key=event_key(kind, ev.tx_hash, ev.log_index, str(pledge["pledge_id"])),
        kind=kind, severity=severity, vin=pledge["vin"], lenders=[pledge["funder"]],
        lien_id=pledge["lien_id"], loan_id=pledge["loan_id"], message=message,
        details={"pledge_id": pledge["pledge_id"], "funder": pledge["funder"],
                 "lender": pledge["lender"], **details},
        **_where(ctx),
    )  # fmt: skip
    store(ctx.session.connection(), [alert])


def _of(pledge: dict[str, Any]) -> str:
    return f"loan {pledge['loan_id']} (pledge {pledge['pledge_id']})"


# ---------------------------------------------------------------- event rules


def total_loss(ctx: EventContext) -> None:
    a = ctx.event.args
    ctx.state.scratch.setdefault(_TOTAL_LOSSES, set()).add((ctx.event.tx_hash, a["vin"]))
    flood = " (flood)" if a["flood"] else ""
    for p in active_pledges(ctx, a["vin"]):
        _tell(ctx, AlertKind.PLEDGED_TOTAL_LOSS, Severity.CRITICAL, p,
              f"Total loss{flood} declared on {a['vin']}, the collateral of pledged {_of(p)}, "
              f"by insurer {a['insurer']} (claim {a['claimId']}).",
              claim_id=a["claimId"], insurer=a["insurer"], flood=a["flood"])  # fmt: skip


def brand_applied(ctx: EventContext) -> None:
    a = ctx.event.args
    if (ctx.event.tx_hash, a["vin"]) in ctx.state.scratch.get(_TOTAL_LOSSES, ()):
        return  # told by the total-loss alert of the same transaction
    brand = _BRANDS[a["brand"]] if a["brand"] < len(_BRANDS) else str(a["brand"])
    severity = Severity.HIGH if brand in SERIOUS_BRANDS else Severity.WARNING
    for p in active_pledges(ctx, a["vin"]):
        _tell(ctx, AlertKind.PLEDGED_BRAND, severity, p,
              f"The title of {a['vin']}, the collateral of pledged {_of(p)}, was branded "
              f"{brand} by {a['actor']}.", brand=brand, actor=a["actor"])  # fmt: skip


def loan_repossessed(ctx: EventContext) -> None:
    a = ctx.event.args
    for p in active_pledges(ctx, ctx.vin or ""):
        if p["loan_id"] == a["loanId"]:
            _tell(ctx, AlertKind.PLEDGED_REPOSSESSION, Severity.HIGH, p,
                  f"Lender {a['lender']} repossessed {p['vin']}, the collateral of pledged "
                  f"{_of(p)}.", repossessing_lender=a["lender"])  # fmt: skip


def _holder_of(ctx: EventContext, lien_id: int | None) -> str | None:
    lien = ctx.state.liens.get(lien_id) if lien_id is not None else None
    if lien is None and lien_id is not None:
        found = (
            ctx.session.connection()
            .execute(select(standing.LIENS.c.holder).where(standing.LIENS.c.lien_id == lien_id))
            .first()
        )
        return str(found[0]) if found else None
    return str(lien["holder"]) if lien else None


def lien_registered(ctx: EventContext) -> None:
    a = ctx.event.args
    for p in active_pledges(ctx, a["vin"]):
        if a["holder"] != _holder_of(ctx, p["lien_id"]):
            _other_lien(ctx, p, a["lienId"], a["holder"])


def loan_pledged(ctx: EventContext) -> None:
    a, vin = ctx.event.args, ctx.vin
    if vin is None:
        return
    pledge = next((p for p in active_pledges(ctx, vin) if p["pledge_id"] == a["pledgeId"]), None)
    if pledge is None:
        return
    own = _holder_of(ctx, pledge["lien_id"])
    for lien in active_liens(ctx, vin):
        if lien["lien_id"] != pledge["lien_id"] and lien["holder"] != own:
            _other_lien(ctx, pledge, lien["lien_id"], lien["holder"])


def _other_lien(ctx: EventContext, p: dict[str, Any], lien_id: int, holder: str) -> None:
    _tell(ctx, AlertKind.PLEDGED_OTHER_LIEN, Severity.CRITICAL, p,
          f"{p['vin']}, the collateral of pledged {_of(p)}, carries another lender's active "
          f"lien {lien_id} held by {holder}.", other_lien=lien_id, other_holder=holder)  # fmt: skip


def lien_released(ctx: EventContext) -> None:
    a = ctx.event.args
    reason = ReleaseReason.from_chain(a["reason"]) if a["reason"] < len(ReleaseReason) else None
    if reason is ReleaseReason.REPOSSESSION:
        return  # told by the repossession alert
    for p in active_pledges(ctx, a["vin"]):
        if p["lien_id"] == a["lienId"]:
            why = reason.value.lower().replace("_", " ") if reason else str(a["reason"])
            _tell(ctx, AlertKind.PLEDGED_LIEN_RELEASED, Severity.HIGH, p,
                  f"Lien {a['lienId']} securing pledged {_of(p)} on {p['vin']} was released "
                  f"({why}) by {a['holder']}: the loan is no longer secured.",
                  reason=reason.value if reason else a["reason"])  # fmt: skip


def lien_assigned(ctx: EventContext) -> None:
    a = ctx.event.args
    for p in active_pledges(ctx, a["vin"]):
        if p["lien_id"] == a["lienId"]:
            _tell(ctx, AlertKind.PLEDGED_LIEN_ASSIGNED, Severity.WARNING, p,
                  f"Lien {a['lienId']} securing pledged {_of(p)} on {p['vin']} was assigned "
                  f"by {a['from']} to {a['to']}.", assigned_from=a["from"],
                  assigned_to=a["to"])  # fmt: skip


EVENT_RULES = {
    "TotalLossDeclared": total_loss,
    "BrandApplied": brand_applied,
    "LoanRepossessed": loan_repossessed,
    "LienRegistered": lien_registered,
    "LoanPledged": loan_pledged,
    "LienReleased": lien_released,
    "LienAssigned": lien_assigned,
}


# ----------------------------------------------------------------- batch rule


def unremitted_payoffs(conn: Any, now: int, days: int) -> list[NewAlert]:
    """Pledges still active ``days`` or more after their loan's payoff was recorded."""
    due = now - days * DAY
    stmt = (
        select(PLEDGES, EVENTS.c.block_number.label("paid_block"),
               EVENTS.c.block_time.label("paid_at"), EVENTS.c.tx_hash.label("paid_tx"))
        .join(LOANS, LOANS.c.loan_id == PLEDGES.c.loan_id)
        .join(EVENTS, and_(EVENTS.c.loan_id == PLEDGES.c.loan_id, EVENTS.c.event == "LoanPaidOff"))
        .where(PLEDGES.c.active.is_(True), LOANS.c.state == LoanState.PAID_OFF,
               EVENTS.c.block_time <= due)
    )  # fmt: skip
    alerts = []
    for r in conn.execute(stmt).mappings():
        waited = (now - int(r["paid_at"])) // DAY
        alerts.append(NewAlert(
            key=f"{AlertKind.PLEDGED_PAYOFF_UNREMITTED}:pledge:{r['pledge_id']}",
            kind=AlertKind.PLEDGED_PAYOFF_UNREMITTED, severity=Severity.CRITICAL, vin=r["vin"],
            lenders=[r["funder"]], lien_id=r["lien_id"], loan_id=r["loan_id"],
            block_number=int(r["paid_block"]), time=now, tx_hash=r["paid_tx"],
            message=f"Loan {r['loan_id']} on {r['vin']} was paid off {waited} days ago "
                    f"(lender {r['lender']}), yet its pledge {r['pledge_id']} to funder "
                    f"{r['funder']} is still active: the payoff has not been remitted.",
            details={"pledge_id": r["pledge_id"], "funder": r["funder"], "lender": r["lender"],
                     "paid_off_at": int(r["paid_at"]), "days": waited, "threshold_days": days},
        ))  # fmt: skip
    return alerts


def rollback(session: Session, ancestor: int, vins: set[str]) -> None:
    """A reorg undone to ``ancestor``: the VINs' later alerts go (the replay raises them)."""
    remove_after(session.connection(), ancestor, vins)
