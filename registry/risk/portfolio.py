"""A lender's portfolio report: exposure, buckets, roll rates, concentration, brands, stress.

Definitions (all amounts in cents):

* **Exposure** of a loan is its principal outstanding: the principal of the schedule the
  lender revealed minus the principal part of what the payments covered (payments applied
  oldest-first, interest before principal inside an instalment). A loan whose schedule was
  never revealed counts ``disbursed - paid``. Paid-off and charged-off loans count 0.
* **Buckets** are those of ``risk_loan_status`` (current, 1-29, 30-59, 60-89, 90+).
* **Roll rates** come from the month-end snapshots of chain time (``risk_bucket_snapshots``,
  aggregated per lender in ``risk_roll_counts``):
  for each bucket, the share of loans found in each bucket (or paid off / charged off) one
  month-end later, pooled over the last ``months`` months and also given month by month.
* **Dealer concentration**: the lender's outstanding loans whose vehicle was last sold by a
  dealer (``SaleRecorded``), grouped by that dealer, plus the lender's active floor-plan
  liens on each dealer's stock (titles the dealer owns).
* **Branded collateral**: outstanding loans whose title carries any brand.
* **Stress**: a 12-month Markov projection of the exposure by bucket. The monthly transition
  matrix is the observed roll rates (a bucket with fewer than ``MIN_OBSERVATIONS``
  observations uses :data:`PRIOR`); a loan still 90+ a month later (120+ days) is charged
  off. Stress multiplies every worsening probability (to a worse bucket or charge-off) by
  the factor, taking the extra mass from staying, curing and prepaying in proportion.
  Expected loss = exposure reaching charge-off within the horizon x loss given default
  (``lgd``, default 50%: a repossessed vehicle recovers about half). Balances are not
  amortised over the horizon (conservative).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, func, select

from registry.contracts import brand_names
from registry.db.models import Lien, Participant, Sale, Title
from registry.enums import Bucket, LienStatus, Role, StandingBucket
from registry.risk.delinquency import bucket_rank
from registry.risk.models import LoanStatus, RiskState, RollCount

STATUS: Table = LoanStatus.__table__  # type: ignore[attr-defined]
ROLLS: Table = RollCount.__table__  # type: ignore[attr-defined]
STATE: Table = RiskState.__table__  # type: ignore[attr-defined]
SALES: Table = Sale.__table__  # type: ignore[attr-defined]
TITLES: Table = Title.__table__  # type: ignore[attr-defined]
LIENS: Table = Lien.__table__  # type: ignore[attr-defined]
PARTICIPANTS: Table = Participant.__table__  # type: ignore[attr-defined]

PAID, CHARGED = "paid_off", "charged_off"
STATES: tuple[str, ...] = (*Bucket, PAID, CHARGED)
MIN_OBSERVATIONS = 20
HORIZON_MONTHS = 12
LGD = 0.5

#: Monthly transitions used where the lender's own history is too thin (typical prime auto).
PRIOR: dict[str, dict[str, float]] = {
    Bucket.CURRENT: {Bucket.CURRENT: 0.955, Bucket.DPD_1_29: 0.030, PAID: 0.015},
    Bucket.DPD_1_29: {
        Bucket.CURRENT: 0.450, Bucket.DPD_1_29: 0.250, Bucket.DPD_30_59: 0.280, PAID: 0.020,
    },
    Bucket.DPD_30_59: {
        Bucket.CURRENT: 0.150, Bucket.DPD_1_29: 0.150, Bucket.DPD_30_59: 0.200,
        Bucket.DPD_60_89: 0.500,
    },
    Bucket.DPD_60_89: {
        Bucket.CURRENT: 0.050, Bucket.DPD_1_29: 0.050, Bucket.DPD_30_59: 0.100,
        Bucket.DPD_60_89: 0.150, Bucket.DPD_90_PLUS: 0.650,
    },
    Bucket.DPD_90_PLUS: {
        Bucket.CURRENT: 0.020, Bucket.DPD_60_89: 0.030, Bucket.DPD_90_PLUS: 0.150, CHARGED: 0.800,
    },
}  # fmt: skip


def _rank(state: str) -> int:
    return len(Bucket) if state == CHARGED else bucket_rank(state)


# ------------------------------------------------------------------ roll rates


def roll_counts(
    conn: Connection, lender: str, months: int = 12
) -> tuple[dict[str, dict[str, dict[str, int]]], list[str]]:
    """Transition counts per month: ``{month: {from: {to: n}}}`` and the months, oldest first."""
    recent = [
        m
        for (m,) in conn.execute(
            select(ROLLS.c.month)
            .where(ROLLS.c.lender == lender)
            .group_by(ROLLS.c.month)
            .order_by(ROLLS.c.month.desc())
            .limit(months)
        )
    ][::-1]
    out: dict[str, dict[str, dict[str, int]]] = {m: {} for m in recent}
    if not recent:
        return out, recent
    stmt = select(ROLLS.c.month, ROLLS.c.from_bucket, ROLLS.c.to_bucket, ROLLS.c.loans).where(
        ROLLS.c.lender == lender, ROLLS.c.month >= recent[0]
    )
    for month, frm, to, n in conn.execute(stmt):
        out[month].setdefault(frm, {})[to] = int(n)
    return out, recent


def roll_matrix(counts: dict[str, dict[str, dict[str, int]]]) -> dict[str, dict[str, Any]]:
    """Pooled transition probabilities per starting bucket, with where they came from."""
    pooled: dict[str, dict[str, int]] = {b: {} for b in Bucket}
    for per_month in counts.values():
        for frm, tos in per_month.items():
            if frm in pooled:
                for to, n in tos.items():
                    pooled[frm][to] = pooled[frm].get(to, 0) + n
    matrix: dict[str, dict[str, Any]] = {}
    for frm in Bucket:
        total = sum(pooled[frm].values())
        if total >= MIN_OBSERVATIONS:
            probs = {to: n / total for to, n in pooled[frm].items()}
            matrix[frm] = {"source": "observed", "observations": total, "to": probs}
        else:
            matrix[frm] = {"source": "prior", "observations": total, "to": dict(PRIOR[frm])}
    return matrix


def stressed(matrix: dict[str, dict[str, float]], factor: float) -> dict[str, dict[str, float]]:
    """Worsening probabilities x ``factor`` (capped), the rest scaled to keep rows at 1."""
    out: dict[str, dict[str, float]] = {}
    for frm, row in matrix.items():
        worse = {to: p for to, p in row.items() if _rank(to) > _rank(frm)}
        other = {to: p for to, p in row.items() if to not in worse}
        worse_sum, other_sum = sum(worse.values()), sum(other.values())
        target = min(0.999, worse_sum * factor) if other_sum > 0 else worse_sum
        scale_w = target / worse_sum if worse_sum > 0 else 0.0
        scale_o = (1 - target) / other_sum if other_sum > 0 else 0.0
        out[frm] = {to: p * scale_w for to, p in worse.items()}
        for to, p in other.items():
            out[frm][to] = p * scale_o
    return out


def with_charge_off(matrix: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """A loan still 90+ one month later (120+ days) is charged off."""
    out = {frm: dict(row) for frm, row in matrix.items()}
    stay = out[Bucket.DPD_90_PLUS].pop(Bucket.DPD_90_PLUS, 0.0)
    out[Bucket.DPD_90_PLUS][CHARGED] = out[Bucket.DPD_90_PLUS].get(CHARGED, 0.0) + stay
    return out


def project(
    start: dict[str, float], matrix: dict[str, dict[str, float]], months: int = HORIZON_MONTHS
) -> dict[str, float]:
    """The distribution of ``start`` (amounts by state) after ``months`` monthly steps."""
    v = {s: float(start.get(s, 0.0)) for s in STATES}
    for _ in range(months):
        nxt = dict.fromkeys(STATES, 0.0)
        nxt[PAID], nxt[CHARGED] = v[PAID], v[CHARGED]  # absorbing
        for frm in Bucket:
            amount = v[frm]
            if amount:
                for to, p in matrix[frm].items():
                    nxt[to] += amount * p
        v = nxt
    return v


def stress_test(
    exposure: dict[str, int], matrix: dict[str, dict[str, float]], factor: float, lgd: float
) -> dict[str, Any]:
    m = with_charge_off(stressed(matrix, factor) if factor != 1.0 else matrix)
    end = project({b: float(exposure.get(b, 0)) for b in Bucket}, m)
    total = sum(exposure.get(b, 0) for b in Bucket)
    defaulted = end[CHARGED]
    return {
        "factor": factor,
        "expected_default_cents": round(defaulted),
        "expected_loss_cents": round(defaulted * lgd),
        "loss_rate": (defaulted * lgd / total) if total else 0.0,
        "projected_cents": {s: round(x) for s, x in end.items()},
    }


# ------------------------------------------------------------------ the report


def _buckets(conn: Connection, lender: str) -> dict[str, dict[str, int]]:
    stmt = (
        select(STATUS.c.bucket, func.count(), func.sum(STATUS.c.exposure_cents),
               func.sum(STATUS.c.past_due_cents))
        .where(STATUS.c.lender == lender, STATUS.c.bucket != StandingBucket.CLOSED)
        .group_by(STATUS.c.bucket)
    )  # fmt: skip
    out: dict[str, dict[str, int]] = {
        b: {"loans": 0, "exposure_cents": 0, "past_due_cents": 0} for b in Bucket
    }
    for bucket, n, exposure, past_due in conn.execute(stmt):
        out[bucket] = {"loans": int(n), "exposure_cents": int(exposure or 0),
                       "past_due_cents": int(past_due or 0)}  # fmt: skip
    return out


def _dealers(conn: Connection, lender: str, total: int) -> list[dict[str, Any]]:
    earlier = SALES.alias("later")
    last_sale = select(func.max(earlier.c.id)).where(earlier.c.vin == STATUS.c.vin)
    stmt = (
        select(SALES.c.dealer, func.count(), func.sum(STATUS.c.exposure_cents))
        .select_from(STATUS)
        .join(SALES, SALES.c.vin == STATUS.c.vin)
        .where(STATUS.c.lender == lender, STATUS.c.bucket != StandingBucket.CLOSED,
               SALES.c.id == last_sale.scalar_subquery())
        .group_by(SALES.c.dealer)
    )  # fmt: skip
    rows: dict[str, dict[str, Any]] = {}
    for dealer, n, exposure in conn.execute(stmt):
        rows[dealer] = {"dealer": dealer, "loans": int(n), "exposure_cents": int(exposure or 0),
                        "floor_plan_liens": 0}  # fmt: skip
    fp = (
        select(TITLES.c.owner, func.count())
        .select_from(LIENS)
        .join(TITLES, TITLES.c.vin == LIENS.c.vin)
        .where(
            LIENS.c.holder == lender,
            LIENS.c.status == LienStatus.ACTIVE,
            LIENS.c.floor_plan.is_(True),
        )
        .group_by(TITLES.c.owner)
    )
    for owner, n in conn.execute(fp):
        rows.setdefault(owner, {"dealer": owner, "loans": 0, "exposure_cents": 0})
        rows[owner]["floor_plan_liens"] = int(n)
    names = dict(
        conn.execute(
            select(PARTICIPANTS.c.address, PARTICIPANTS.c.name).where(
                PARTICIPANTS.c.role == Role.DEALER
            )
        ).all()
    )
    out = sorted(rows.values(), key=lambda r: (-r["exposure_cents"], -r["floor_plan_liens"]))
    for r in out:
        r["name"] = names.get(r["dealer"], "")
        r["share"] = r["exposure_cents"] / total if total else 0.0
    return out


def _brands(conn: Connection, lender: str) -> dict[str, Any]:
    stmt = (
        select(TITLES.c.brands, func.count(), func.sum(STATUS.c.exposure_cents))
        .select_from(STATUS)
        .join(TITLES, TITLES.c.vin == STATUS.c.vin)
        .where(
            STATUS.c.lender == lender,
            STATUS.c.bucket != StandingBucket.CLOSED,
            TITLES.c.brands != 0,
        )
        .group_by(TITLES.c.brands)
    )
    by_brand: dict[str, dict[str, int]] = {}
    loans = exposure = 0
    for mask, n, amount in conn.execute(stmt):
        loans += int(n)
        exposure += int(amount or 0)
        for name in brand_names(int(mask)):
            entry = by_brand.setdefault(name, {"loans": 0, "exposure_cents": 0})
            entry["loans"] += int(n)
            entry["exposure_cents"] += int(amount or 0)
    return {"loans": loans, "exposure_cents": exposure, "by_brand": by_brand}


def portfolio(
    conn: Connection,
    lender: str,
    *,
    stress: float = 1.5,
    lgd: float = LGD,
    months: int = 12,
) -> dict[str, Any]:
    """The report for ``lender`` (a lowercase address) as JSON-ready data."""
    lender = lender.lower()
    buckets = _buckets(conn, lender)
    total = sum(b["exposure_cents"] for b in buckets.values())
    counts, recent = roll_counts(conn, lender, months)
    matrix = roll_matrix(counts)
    probs = {frm: row["to"] for frm, row in matrix.items()}
    exposure = {b: v["exposure_cents"] for b, v in buckets.items()}
    as_of = conn.execute(select(STATE.c.value).where(STATE.c.key == "as_of")).scalar()
    return {
        "lender": lender,
        "as_of": int(as_of or 0),
        "definitions": {
            "exposure": "principal outstanding per the revealed schedule (disbursed - paid "
            "without one); closed loans 0",
            "dealer_concentration": "outstanding loans by the dealer of the vehicle's last "
            "recorded sale, plus active floor-plan liens on each dealer's stock",
            "stress": f"{HORIZON_MONTHS}-month Markov projection, charge-off at 120+ days, "
            f"LGD {lgd:.0%}, worsening roll rates x factor",
        },
        "loans": sum(b["loans"] for b in buckets.values()),
        "exposure_cents": total,
        "buckets": buckets,
        "roll_rates": {
            "months": recent,
            "matrix": matrix,
            "monthly": {m: counts[m] for m in recent},
        },
        "dealers": _dealers(conn, lender, total),
        "branded_collateral": _brands(conn, lender),
        "stress": {
            "lgd": lgd,
            "horizon_months": HORIZON_MONTHS,
            "baseline": stress_test(exposure, probs, 1.0, lgd),
            "stressed": stress_test(exposure, probs, stress, lgd),
        },
    }
