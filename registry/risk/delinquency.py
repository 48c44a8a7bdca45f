"""Days past due and delinquency buckets, from a repayment schedule and the payments made.

Pure functions over a compact form of the schedule (:class:`DueSchedule`: due dates as
day ordinals, cumulative totals and cumulative principal in cents), so that recomputing a
book of 100,000 loans costs a few bisects per loan.

The rule (payments applied oldest-first to instalment totals):

* ``due_cents`` is the sum of the instalments due on or before today;
* the earliest instalment not fully covered by the cumulative payments is "the oldest
  unpaid"; if it is due before today, ``days past due`` is today minus its due date,
  otherwise 0 (an instalment due today is due, not yet past due);
* buckets: ``current`` (0), ``1-29``, ``30-59``, ``60-89``, ``90+``.

Principal outstanding (the exposure used by the portfolio report) is the scheduled
principal minus the principal part of what the payments covered; inside an instalment the
payment covers interest first, then principal.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from registry.enums import Bucket
from registry.schedules import Schedule

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def bucket_of(dpd: int) -> Bucket:
    """The delinquency bucket of a days-past-due figure."""
    if dpd <= 0:
        return Bucket.CURRENT
    if dpd < 30:
        return Bucket.DPD_1_29
    if dpd < 60:
        return Bucket.DPD_30_59
    if dpd < 90:
        return Bucket.DPD_60_89
    return Bucket.DPD_90_PLUS


def bucket_rank(bucket: str) -> int:
    """0 for current up to 4 for 90+ (-1 for closed or unknown): higher is worse."""
    try:
        return Bucket(bucket).rank
    except ValueError:
        return -1


def chain_day(timestamp: int) -> int:
    """The UTC calendar day of a unix timestamp, as a date ordinal."""
    return _EPOCH_ORDINAL + timestamp // 86400


def day_end(day: int) -> int:
    """The last second (unix time) of the UTC day ``day`` (a date ordinal)."""
    return (day - _EPOCH_ORDINAL + 1) * 86400 - 1


def month_key(day: int) -> str:
    """'YYYY-MM' of a date ordinal."""
    d = date.fromordinal(day)
    return f"{d.year:04d}-{d.month:02d}"


def month_end_day(key: str) -> int:
    """The ordinal of the last day of month 'YYYY-MM'."""
    year, month = int(key[:4]), int(key[5:7])
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next.toordinal() - 1


def next_month(key: str) -> str:
    year, month = int(key[:4]), int(key[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


@dataclass(frozen=True, slots=True)
class DueSchedule:
    """A schedule reduced to what delinquency needs, all in cents and day ordinals."""

    days: Sequence[int]  # due date of instalment i
    cum_total: Sequence[int]  # total due through instalment i
    cum_principal: Sequence[int]  # principal due through instalment i

    @property
    def principal(self) -> int:
        return self.cum_principal[-1] if len(self.cum_principal) else 0

    @classmethod
    def from_schedule(cls, schedule: Schedule) -> DueSchedule:
        days, totals, principals = [], [], []
        total = principal = 0
        for i in schedule.instalments:
            total += int(i.total * 100)
            principal += int(i.principal * 100)
            days.append(i.due.toordinal())
            totals.append(total)
            principals.append(principal)
        return cls(tuple(days), tuple(totals), tuple(principals))

    def dumps(self) -> bytes:
        """The packed form stored beside the schedule: three int64 arrays end to end."""
        return array("q", [*self.days, *self.cum_total, *self.cum_principal]).tobytes()

    @classmethod
    def loads(cls, blob: bytes) -> DueSchedule:
        """Reads :meth:`dumps` without copying (memoryview slices support bisect)."""
        mv = memoryview(blob).cast("q")
        n = len(mv) // 3
        return cls(mv[:n], mv[n : 2 * n], mv[2 * n :])


@dataclass(frozen=True, slots=True)
class Delinquency:
    """A loan's standing on one day."""

    due_cents: int  # instalments due to date
    paid_cents: int
    past_due_cents: int  # due before today and not covered
    dpd: int
    bucket: str
    oldest_unpaid_due: date | None  # due date of the earliest instalment not fully covered
    instalments_due: int
    principal_outstanding: int  # cents


def assess(due: DueSchedule, paid_cents: int, today: int) -> Delinquency:
    """Where a loan stands on ``today`` (a date ordinal) after ``paid_cents`` in payments."""
    paid = max(0, paid_cents)
    k = bisect_right(due.days, today)  # instalments due on or before today
    due_cents = due.cum_total[k - 1] if k else 0
    j = bisect_right(due.cum_total, paid)  # first instalment not fully covered
    n = len(due.days)
    oldest = date.fromordinal(due.days[j]) if j < n else None
    dpd = today - due.days[j] if j < n and due.days[j] < today else 0
    k_past = bisect_right(due.days, today - 1)  # instalments due strictly before today
    past_due = max(0, (due.cum_total[k_past - 1] if k_past else 0) - paid)
    return Delinquency(
        due_cents=due_cents,
        paid_cents=paid,
        past_due_cents=past_due,
        dpd=dpd,
        bucket=bucket_of(dpd),
        oldest_unpaid_due=oldest,
        instalments_due=k,
        principal_outstanding=principal_outstanding(due, paid),
    )


def principal_outstanding(due: DueSchedule, paid_cents: int) -> int:
    """Scheduled principal minus the principal the payments covered (interest first)."""
    if not len(due.days):
        return 0
    j = bisect_right(due.cum_total, paid_cents)
    if j >= len(due.days):
        return 0
    covered = due.cum_principal[j - 1] if j else 0
    prev_total = due.cum_total[j - 1] if j else 0
    inst_total = due.cum_total[j] - prev_total
    inst_principal = due.cum_principal[j] - covered
    inst_interest = inst_total - inst_principal
    partial = paid_cents - prev_total  # paid towards instalment j
    covered += max(0, min(inst_principal, partial - inst_interest))
    return due.principal - covered


def day_of(value: date | datetime) -> int:
    """A date (or an aware datetime, taken in UTC) as a date ordinal."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date().toordinal()
    return value.toordinal()
