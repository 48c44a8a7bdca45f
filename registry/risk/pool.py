"""A funder's pool report: how the loans pledged to it perform, as securitisation disclosures
show a pool.

Definitions (amounts in cents):

* **The pool** is the loans with an active pledge to the funder (a payoff or charge-off
  leaves the pledge in place until the funder releases it, so closed loans stay in the pool).
* **Original balance**: the amounts disbursed on the pool's loans.
* **Outstanding**: open loans (not paid off or charged off) and their balance, the risk
  module's principal outstanding (``risk_loan_status.exposure_cents``; ``disbursed - paid``
  for a loan without a standing yet).
* **Delinquency** of open loans by 30-day steps of the risk module's DPD: current (0-29),
  30-59, 60-89, 90-119, 120+, by count and by balance.
* **Payoffs**: loans paid off, with what was paid on them; **prepayments** are the payoffs
  recorded before the last instalment of the loan's revealed schedule fell due.
* **Charge-offs**: loans charged off and the amounts written off; **net loss ratio** =
  charged-off amount / original balance (recoveries are not recorded on chain).
* **Collateral events** since each loan's origination: total losses declared, brands applied,
  repossessions.
* **Concentration**: open balance by the loans' lender and by the dealer of the vehicle's last
  recorded sale, each with its share of the outstanding balance.
* **Trend**: per month-end snapshot of the risk module (``risk_bucket_snapshots``): open loans,
  balance, balance 30+ days past due, loans paid off and charged off in the month.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, and_, func, select

from registry.db.models import BrandRecord, Event, Loan, Participant, Sale, TotalLoss
from registry.db.pledges import Pledge
from registry.enums import DelinquencyStep, LoanState, Role
from registry.risk.delinquency import DueSchedule, chain_day
from registry.risk.models import BucketSnapshot, LoanSchedule, LoanStatus, Payoff, RiskState

LOANS: Table = Loan.__table__  # type: ignore[attr-defined]
STATUS: Table = LoanStatus.__table__  # type: ignore[attr-defined]
SCHEDULES: Table = LoanSchedule.__table__  # type: ignore[attr-defined]
PAYOFFS: Table = Payoff.__table__  # type: ignore[attr-defined]
SNAPSHOTS: Table = BucketSnapshot.__table__  # type: ignore[attr-defined]
STATE: Table = RiskState.__table__  # type: ignore[attr-defined]
EVENTS: Table = Event.__table__  # type: ignore[attr-defined]
BRANDS: Table = BrandRecord.__table__  # type: ignore[attr-defined]
TOTAL_LOSSES: Table = TotalLoss.__table__  # type: ignore[attr-defined]
SALES: Table = Sale.__table__  # type: ignore[attr-defined]
PARTICIPANTS: Table = Participant.__table__  # type: ignore[attr-defined]
PLEDGES: Table = Pledge.__table__  # type: ignore[attr-defined]

CLOSED = (LoanState.PAID_OFF, LoanState.CHARGED_OFF)


def _in_pool(funder: str) -> Any:
    """The pool's loan ids (a subquery)."""
    return select(PLEDGES.c.loan_id).where(PLEDGES.c.funder == funder, PLEDGES.c.active.is_(True))


def _pool_loans(conn: Connection, funder: str) -> list[Any]:
    stmt = (
        select(
            LOANS.c.loan_id, LOANS.c.lender, LOANS.c.vin, LOANS.c.state,
            LOANS.c.disbursed_amount, LOANS.c.total_paid, LOANS.c.days_past_due,
            LOANS.c.charged_off_amount, LOANS.c.originated_at,
            STATUS.c.dpd, STATUS.c.exposure_cents, SCHEDULES.c.dues, PAYOFFS.c.paid_off_at,
        )
        .select_from(LOANS)
        .outerjoin(STATUS, STATUS.c.loan_id == LOANS.c.loan_id)
        .outerjoin(SCHEDULES, and_(SCHEDULES.c.loan_id == LOANS.c.loan_id,
                                   SCHEDULES.c.schedule_hash == LOANS.c.schedule_hash))
        .outerjoin(PAYOFFS, PAYOFFS.c.loan_id == LOANS.c.loan_id)
        .where(LOANS.c.loan_id.in_(_in_pool(funder)))
        .order_by(LOANS.c.loan_id)
    )  # fmt: skip
    return list(conn.execute(stmt).all())


def _balance(r: Any) -> tuple[int, int]:
    """(DPD, balance) of an open loan: the risk standing, else what the lender recorded."""
    if r.exposure_cents is not None:
        return int(r.dpd), int(r.exposure_cents)
    return int(r.days_past_due), max(0, int(r.disbursed_amount) - int(r.total_paid))


def _prepaid(r: Any) -> bool:
    if r.dues is None or r.paid_off_at is None:
        return False
    days = DueSchedule.loads(r.dues).days
    return len(days) > 0 and chain_day(int(r.paid_off_at)) < days[-1]


def _shares(groups: dict[str, list[int]], total: int, names: dict[str, str],
            key: str) -> list[dict[str, Any]]:  # fmt: skip
    rows = [{key: k, "name": names.get(k, ""), "loans": v[0], "balance_cents": v[1],
             "share": v[1] / total if total else 0.0} for k, v in groups.items()]  # fmt: skip
    return sorted(rows, key=lambda r: (-r["balance_cents"], r[key]))


def _last_dealers(conn: Connection, funder: str) -> dict[str, str]:
    stmt = (
        select(SALES.c.vin, SALES.c.dealer)
        .where(SALES.c.vin.in_(select(LOANS.c.vin).where(LOANS.c.loan_id.in_(_in_pool(funder)))))
        .order_by(SALES.c.id)
    )
    return {vin: dealer for vin, dealer in conn.execute(stmt)}  # the last sale wins


def _collateral(conn: Connection, funder: str) -> dict[str, int]:
    pool = select(LOANS.c.vin, LOANS.c.originated_at).where(LOANS.c.loan_id.in_(_in_pool(funder)))
    p = pool.subquery()
    losses = TOTAL_LOSSES
    total_losses = conn.execute(
        select(func.count()).select_from(losses)
        .join(p, and_(p.c.vin == losses.c.vin, losses.c.block_time >= p.c.originated_at))
    ).scalar()  # fmt: skip
    brands = conn.execute(
        select(func.count()).select_from(BRANDS)
        .join(p, and_(p.c.vin == BRANDS.c.vin, BRANDS.c.block_time >= p.c.originated_at))
    ).scalar()  # fmt: skip
    repossessions = conn.execute(
        select(func.count())
        .select_from(EVENTS)
        .where(EVENTS.c.event == "LoanRepossessed", EVENTS.c.loan_id.in_(_in_pool(funder)))
    ).scalar()
    return {"total_losses": int(total_losses or 0), "brands": int(brands or 0),
            "repossessions": int(repossessions or 0)}  # fmt: skip


def _trend(conn: Connection, funder: str) -> list[dict[str, Any]]:
    stmt = (
        select(SNAPSHOTS.c.month, SNAPSHOTS.c.bucket, SNAPSHOTS.c.dpd, SNAPSHOTS.c.exposure_cents)
        .where(SNAPSHOTS.c.loan_id.in_(_in_pool(funder)))
        .order_by(SNAPSHOTS.c.month)
    )
    months: dict[str, dict[str, Any]] = {}
    for month, bucket, dpd, exposure in conn.execute(stmt):
        m = months.setdefault(month, {"month": month, "loans": 0, "balance_cents": 0,
                                      "delinquent_30_plus_cents": 0, "paid_off": 0,
                                      "charged_off": 0})  # fmt: skip
        if bucket in ("paid_off", "charged_off"):
            m[bucket] += 1
            continue
        m["loans"] += 1
        m["balance_cents"] += int(exposure)
        if int(dpd) >= 30:
            m["delinquent_30_plus_cents"] += int(exposure)
    return list(months.values())


def _names(conn: Connection, role: Role) -> dict[str, str]:
    stmt = select(PARTICIPANTS.c.address, PARTICIPANTS.c.name).where(PARTICIPANTS.c.role == role)
    return {a: n for a, n in conn.execute(stmt)}


def _steps() -> dict[str, dict[str, int]]:
    return {s: {"loans": 0, "balance_cents": 0} for s in DelinquencyStep}


def pool_report(conn: Connection, funder: str) -> dict[str, Any]:
    """The report of the pool pledged to ``funder`` (a lowercase address), JSON-ready."""
    loans = _pool_loans(conn, funder)
    steps = _steps()
    lenders: dict[str, list[int]] = {}
    dealers: dict[str, list[int]] = {}
    last_dealer = _last_dealers(conn, funder)
    payoffs = {"loans": 0, "paid_cents": 0}
    prepayments = {"loans": 0, "paid_cents": 0}
    charge_offs = {"loans": 0, "amount_cents": 0}
    open_loans = outstanding = original = 0
    for r in loans:
        original += int(r.disbursed_amount)
        if r.state == LoanState.PAID_OFF:
            payoffs["loans"] += 1
            payoffs["paid_cents"] += int(r.total_paid)
            if _prepaid(r):
                prepayments["loans"] += 1
                prepayments["paid_cents"] += int(r.total_paid)
            continue
        if r.state == LoanState.CHARGED_OFF:
            charge_offs["loans"] += 1
            charge_offs["amount_cents"] += int(r.charged_off_amount)
            continue
        dpd, balance = _balance(r)
        open_loans += 1
        outstanding += balance
        step = steps[DelinquencyStep.of(dpd)]
        step["loans"] += 1
        step["balance_cents"] += balance
        for groups, key in ((lenders, r.lender), (dealers, last_dealer.get(r.vin))):
            if key is not None:
                entry = groups.setdefault(key, [0, 0])
                entry[0] += 1
                entry[1] += balance
    as_of = conn.execute(select(STATE.c.value).where(STATE.c.key == "as_of")).scalar()
    return {
        "funder": funder,
        "as_of": int(as_of or 0),
        "loans": len(loans),
        "original_balance_cents": original,
        "outstanding": {"loans": open_loans, "balance_cents": outstanding},
        "delinquency": steps,
        "payoffs": payoffs,
        "prepayments": prepayments,
        "charge_offs": charge_offs,
        "net_loss_ratio": charge_offs["amount_cents"] / original if original else 0.0,
        "collateral_events": _collateral(conn, funder),
        "concentration": {
            "lenders": _shares(lenders, outstanding, _names(conn, Role.LENDER), "lender"),
            "dealers": _shares(dealers, outstanding, _names(conn, Role.DEALER), "dealer"),
        },
        "trend": _trend(conn, funder),
    }
