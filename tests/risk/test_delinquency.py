"""Days past due and buckets from a schedule and payments: the pure rule.

Expected figures are worked out by hand below (the amortisation of the example loans), not
read back from the schedule or the rule under test.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.enums import Bucket
from registry.risk.delinquency import (
    DueSchedule,
    assess,
    bucket_of,
    bucket_rank,
    chain_day,
    day_end,
    month_end_day,
    principal_outstanding,
)
from registry.schedules import LoanTerms, ScheduleKind, build_schedule


def due_of(first_due: date, months: int = 12, kind: ScheduleKind = ScheduleKind.ANNUITY,
           principal: str = "12000.00", rate: str = "0.06") -> DueSchedule:  # fmt: skip
    terms = LoanTerms(Decimal(principal), Decimal(rate), months, first_due, kind)
    return DueSchedule.from_schedule(build_schedule(terms))


def instalment(due: DueSchedule, n: int) -> int:
    """Total of instalment n (1-based), cents (for the property test's own linear scan)."""
    return due.cum_total[n - 1] - (due.cum_total[n - 2] if n > 1 else 0)


# The worked example every test below uses: 12,000.00 at 6% a year, 12 months, annuity.
#   r = 0.06 / 12 = 0.005; payment = 12000 * 0.005 / (1 - 1.005**-12) = 60 / 0.0580951
#     = 1032.797 -> 1,032.80 (cents, half up)
#   #1: interest 12000.00 * 0.005 = 60.00,            principal 1032.80 - 60.00 = 972.80
#   #2: interest 11027.20 * 0.005 = 55.136 -> 55.14,  principal 977.66
#   #3: interest 10049.54 * 0.005 = 50.2477 -> 50.25, principal 982.55 ... (table below)
#   #12 pays the balance left, 1027.64, plus 1027.64 * 0.005 = 5.1382 -> 5.14: 1,032.78
INSTALMENT = 103_280  # cents: instalments 1-11
LAST = 103_278  # cents: instalment 12
TOTAL = 11 * INSTALMENT + LAST  # 1,239,358: everything the loan ever asks
PRINCIPALS = (97_280, 97_766, 98_255, 98_747, 99_240, 99_736,
              100_235, 100_736, 101_240, 101_746, 102_255, 102_764)  # fmt: skip
# The same loan at 12% (r = 0.01): payment 12000 * 0.01 / (1 - 1.01**-12) = 1066.185 -> 1,066.19;
#   #1: interest 120.00, principal 946.19; the 12th pays 1055.58 + 10.56 = 1,066.14
INSTALMENT_12PCT = 106_619
TOTAL_12PCT = 11 * INSTALMENT_12PCT + 106_614  # 1,279,423


def test_the_worked_example_is_what_the_schedule_reduces_to() -> None:
    due = due_of(date(2027, 1, 10))
    assert sum(PRINCIPALS) == 1_200_000
    assert list(due.cum_total) == [INSTALMENT * k for k in range(1, 12)] + [TOTAL]
    assert list(due.cum_principal) == [sum(PRINCIPALS[:k]) for k in range(1, 13)]
    assert [date.fromordinal(x) for x in due.days] == [date(2027, m, 10) for m in range(1, 13)]


def d(text: str) -> int:
    return date.fromisoformat(text).toordinal()


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [(0, "current"), (-3, "current"), (1, "1-29"), (29, "1-29"), (30, "30-59"), (59, "30-59"),
     (60, "60-89"), (89, "60-89"), (90, "90+"), (400, "90+")],
)  # fmt: skip
def test_buckets_at_their_edges(dpd: int, bucket: str) -> None:
    assert bucket_of(dpd) == bucket
    assert bucket_rank(bucket) == [b.value for b in Bucket].index(bucket)


def test_before_the_first_instalment_nothing_is_due() -> None:
    due = due_of(date(2027, 3, 15))
    s = assess(due, 0, d("2027-03-14"))
    assert (s.due_cents, s.dpd, s.bucket, s.instalments_due) == (0, 0, "current", 0)
    assert s.principal_outstanding == 1_200_000


def test_due_today_is_due_but_not_past_due() -> None:
    due = due_of(date(2027, 3, 15))
    s = assess(due, 0, d("2027-03-15"))
    assert s.due_cents == INSTALMENT
    assert s.past_due_cents == 0
    assert s.dpd == 0 and s.bucket == "current"
    assert s.oldest_unpaid_due == date(2027, 3, 15)


def test_on_time_payer_stays_current() -> None:
    due = due_of(date(2027, 1, 10))
    paid = 6 * INSTALMENT  # six instalments paid: 619,680
    for day in ("2027-06-10", "2027-07-09", "2027-06-30"):
        s = assess(due, paid, d(day))
        assert s.dpd == 0 and s.bucket == "current", day


def test_late_payer_counts_days_from_the_oldest_unpaid_instalment() -> None:
    due = due_of(date(2027, 1, 10))
    s = assess(due, 2 * INSTALMENT, d("2027-04-01"))  # 2 paid; March 10 unpaid
    assert s.dpd == 22 and s.bucket == "1-29"  # 21 days left in March + April 1
    assert s.oldest_unpaid_due == date(2027, 3, 10)
    assert s.past_due_cents == INSTALMENT  # March's; April 10 is not due yet


def test_partial_payment_leaves_the_instalment_past_due() -> None:
    due = due_of(date(2027, 1, 10))
    paid = 2 * INSTALMENT - 1  # one cent short on the 2nd: 206,559
    s = assess(due, paid, d("2027-03-05"))
    assert s.oldest_unpaid_due == date(2027, 2, 10)
    assert s.dpd == 23
    assert s.past_due_cents == 1


def test_missed_payments_roll_through_the_buckets() -> None:
    due = due_of(date(2027, 1, 10))
    seen = [assess(due, 0, d("2027-01-10") + k).bucket for k in (0, 1, 29, 30, 59, 60, 89, 90)]
    assert seen == ["current", "1-29", "1-29", "30-59", "30-59", "60-89", "60-89", "90+"]


def test_oldest_first_allocation_cures_when_the_arrears_are_paid() -> None:
    due = due_of(date(2027, 1, 10))
    today = d("2027-05-20")  # 5 instalments due, all past due
    # 3 paid: April 10 is the oldest unpaid; 20 days left in April + 20 in May
    assert assess(due, 3 * INSTALMENT, today).dpd == 40
    assert assess(due, 5 * INSTALMENT, today).dpd == 0


def test_month_ends_clamp_and_do_not_drift() -> None:
    due = due_of(date(2027, 1, 31))
    days = [date.fromordinal(x) for x in due.days[:4]]
    assert days == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    s = assess(due, INSTALMENT, d("2027-03-01"))  # Feb 28 instalment unpaid
    assert s.dpd == 1
    s = assess(due, INSTALMENT, d("2027-03-31"))
    assert s.dpd == 31 and s.bucket == "30-59"


def test_leap_day() -> None:
    due = due_of(date(2028, 1, 31))
    assert date.fromordinal(due.days[1]) == date(2028, 2, 29)
    s = assess(due, INSTALMENT, d("2028-02-29"))
    assert s.dpd == 0  # due today
    s = assess(due, INSTALMENT, d("2028-03-01"))
    assert s.dpd == 1
    s = assess(due, INSTALMENT, d("2028-03-30"))
    assert s.dpd == 30 and s.bucket == "30-59"
    feb29 = due_of(date(2028, 2, 29), months=24)
    assert [date.fromordinal(x) for x in feb29.days[:2]] == [date(2028, 2, 29), date(2028, 3, 29)]
    assert date.fromordinal(feb29.days[12]) == date(2029, 2, 28)


def test_fully_paid_has_nothing_outstanding() -> None:
    due = due_of(date(2027, 1, 10))
    s = assess(due, TOTAL, d("2030-01-01"))
    assert s.dpd == 0 and s.oldest_unpaid_due is None and s.principal_outstanding == 0
    overpaid = assess(due, TOTAL + 999, d("2027-02-01"))
    assert overpaid.dpd == 0 and overpaid.principal_outstanding == 0


def test_principal_outstanding_pays_interest_first() -> None:
    due = due_of(date(2027, 1, 10), rate="0.12")
    first = INSTALMENT_12PCT
    interest = 12_000  # 1% of 12,000.00 in cents
    assert principal_outstanding(due, interest) == 1_200_000
    # 106,619 - 12,000 of interest = 94,619 of principal: 1,200,000 - 94,619
    assert principal_outstanding(due, first) == 1_105_381
    # into the 2nd: its interest (11053.81 * 0.01 = 110.54) first, then principal
    assert principal_outstanding(due, first + 5_000) == 1_105_381
    assert principal_outstanding(due, first + 20_000) == 1_105_381 - (20_000 - 11_054)
    assert principal_outstanding(due, TOTAL_12PCT) == 0


def test_balloon_keeps_principal_until_the_end() -> None:
    due = due_of(date(2027, 1, 10), kind=ScheduleKind.INTEREST_ONLY_BALLOON)
    # interest only: 12000.00 * 0.005 = 60.00 a month; the 12th adds the 12,000.00 balloon
    eleven = 11 * 6_000  # 66,000
    assert principal_outstanding(due, eleven) == 1_200_000
    s = assess(due, eleven, d("2027-12-20"))  # balloon (Dec 10) unpaid
    assert s.dpd == 10 and s.past_due_cents == 1_206_000


def test_chain_days() -> None:
    ts = 1_830_297_599  # 2027-12-31 23:59:59 UTC
    assert date.fromordinal(chain_day(ts)) == date(2027, 12, 31)
    assert date.fromordinal(chain_day(ts + 1)) == date(2028, 1, 1)
    assert day_end(chain_day(ts)) == ts
    assert date.fromordinal(month_end_day("2028-02")) == date(2028, 2, 29)
    assert date.fromordinal(month_end_day("2027-12")) == date(2027, 12, 31)


@given(
    months=st.integers(1, 72),
    kind=st.sampled_from(list(ScheduleKind)),
    first=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
    paid_fraction=st.floats(0, 1.2),
    offset=st.integers(-40, 2400),
)
def test_dpd_rule_holds_for_any_schedule(
    months: int, kind: ScheduleKind, first: date, paid_fraction: float, offset: int
) -> None:
    due = due_of(first, months, kind, "20000.00", "0.0799")
    paid = int(due.cum_total[-1] * paid_fraction)
    today = first.toordinal() + offset
    s = assess(due, paid, today)
    unpaid = [
        (day, total) for day, total in zip(due.days, due.cum_total, strict=True) if total > paid
    ]
    oldest = unpaid[0][0] if unpaid else None
    assert s.dpd == (max(0, today - oldest) if oldest is not None else 0)
    assert s.bucket == bucket_of(s.dpd)
    assert s.due_cents == sum(
        instalment(due, n + 1) for n, day in enumerate(due.days) if day <= today
    )
    assert 0 <= s.principal_outstanding <= due.principal
    assert (s.dpd > 0) == (s.past_due_cents > 0)
    if s.dpd:
        assert date.fromordinal(today) - timedelta(days=s.dpd) == s.oldest_unpaid_due
