"""Loan repayment schedules, checked against hand-worked examples and properties."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.errors import InvalidInput
from registry.schedules import (
    Instalment,
    LoanTerms,
    Schedule,
    ScheduleKind,
    annuity_payment,
    build_schedule,
    canonical_json,
    canonical_terms_json,
    due_date,
    due_to_date,
    instalments_due,
    parse_schedule_json,
    schedule_hash,
    terms_hash,
)

D = Decimal
SALT = bytes(range(32))


def terms(
    principal: str = "1000.00",
    rate: str = "0.12",
    months: int = 3,
    first_due: date = date(2028, 1, 31),
    kind: ScheduleKind = ScheduleKind.ANNUITY,
) -> LoanTerms:
    return LoanTerms(D(principal), D(rate), months, first_due, kind)


def rows(schedule: Schedule) -> list[tuple[str, str, str, str]]:
    return [
        (str(i.principal), str(i.interest), str(i.total), str(i.balance_after))
        for i in schedule.instalments
    ]


def closed_form(principal: float, annual_rate: float, months: int) -> float:
    """Annuity payment by the textbook formula, independent of the code under test."""
    r = annual_rate / 12
    return principal * r / (1 - (1 + r) ** -months)


# --- annuity ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "rate", "months", "payment", "exact"),
    [
        ("20000.00", "0.06", 60, "386.66", 386.6560305885655),
        ("10000.00", "0.12", 12, "888.49", 888.4878867834161),
        ("25000.00", "0.0699", 72, "426.11", 426.1051257508224),
        ("1000.00", "0.12", 3, "340.02", 340.022111481469),
    ],
)
def test_annuity_payment_known_cases(
    principal: str, rate: str, months: int, payment: str, exact: float
) -> None:
    assert closed_form(float(principal), float(rate), months) == pytest.approx(exact, abs=1e-9)
    t = terms(principal, rate, months)
    assert annuity_payment(t) == D(payment)
    schedule = build_schedule(t)
    assert all(i.total == D(payment) for i in schedule.instalments[:-1])
    # Rounding the payment by (payment - exact) each month shifts the last instalment by
    # that difference accumulated with interest: (payment - exact) * ((1 + r)^n - 1) / r.
    r = float(rate) / 12
    drift = (float(payment) - exact) * ((1 + r) ** months - 1) / r
    assert float(schedule.instalments[-1].total) == pytest.approx(float(payment) - drift, abs=0.05)
    assert sum(i.principal for i in schedule.instalments) == D(principal)


def test_annuity_worked_schedule() -> None:
    # r = 1%/month; payment 340.02.
    # 1: interest 10.00, principal 330.02, balance 669.98
    # 2: interest 6.6998 -> 6.70, principal 333.32, balance 336.66
    # 3: interest 3.3666 -> 3.37, principal 336.66 (the rest), total 340.03
    schedule = build_schedule(terms())
    assert rows(schedule) == [
        ("330.02", "10.00", "340.02", "669.98"),
        ("333.32", "6.70", "340.02", "336.66"),
        ("336.66", "3.37", "340.03", "0.00"),
    ]
    assert schedule.total_interest == D("20.07")
    assert schedule.total_paid == D("1020.07")


def test_interest_rounds_half_up() -> None:
    # 0.0699 / 12 = 0.005825; on 1000.00 that is 5.825 -> 5.83 (half-up, not banker's 5.82).
    schedule = build_schedule(terms("1000.00", "0.0699", 2))
    assert schedule.instalments[0].interest == D("5.83")


# --- equal principal and balloon ----------------------------------------------------------


def test_equal_principal_worked_schedule() -> None:
    # 1200.00 over 12 months at 1%/month: 100.00 principal each, interest 12.00 down to 1.00.
    schedule = build_schedule(terms("1200.00", "0.12", 12, kind=ScheduleKind.EQUAL_PRINCIPAL))
    assert [i.principal for i in schedule.instalments] == [D("100.00")] * 12
    assert [i.interest for i in schedule.instalments] == [D(n) for n in range(12, 0, -1)]
    assert schedule.instalments[0].total == D("112.00")
    assert schedule.total_interest == D("78.00")


def test_equal_principal_remainder_goes_last() -> None:
    # 1000.00 / 3 = 333.33 twice, then 333.34.
    # interest: 10.00; 666.67 * 1% = 6.6667 -> 6.67; 333.34 * 1% = 3.3334 -> 3.33
    schedule = build_schedule(terms(kind=ScheduleKind.EQUAL_PRINCIPAL))
    assert rows(schedule) == [
        ("333.33", "10.00", "343.33", "666.67"),
        ("333.33", "6.67", "340.00", "333.34"),
        ("333.34", "3.33", "336.67", "0.00"),
    ]


def test_balloon() -> None:
    # 10,000.00 at 6%: 50.00 interest a month; the last instalment is 10,000.00 + 50.00.
    schedule = build_schedule(
        terms("10000.00", "0.06", 12, kind=ScheduleKind.INTEREST_ONLY_BALLOON)
    )
    *early, last = schedule.instalments
    assert all(i.principal == 0 and i.total == D("50.00") for i in early)
    assert all(i.balance_after == D("10000.00") for i in early)
    assert (last.principal, last.interest, last.total) == (D("10000.00"), D("50.00"), D("10050.00"))
    assert last.balance_after == 0


@pytest.mark.parametrize("kind", list(ScheduleKind))
def test_zero_rate(kind: ScheduleKind) -> None:
    schedule = build_schedule(terms("1000.00", "0", 3, kind=kind))
    assert all(i.interest == 0 for i in schedule.instalments)
    assert sum(i.total for i in schedule.instalments) == D("1000.00")
    if kind is ScheduleKind.INTEREST_ONLY_BALLOON:
        assert [i.total for i in schedule.instalments] == [D("0.00"), D("0.00"), D("1000.00")]
    else:
        assert [i.total for i in schedule.instalments] == [D("333.33"), D("333.33"), D("333.34")]


def test_single_month() -> None:
    schedule = build_schedule(terms("500.00", "0.12", 1))
    assert rows(schedule) == [("500.00", "5.00", "505.00", "0.00")]


def test_tiny_loan_never_overpays() -> None:
    # 0.07 over 10 months rounds to 0.01 a month; it is paid off after 7, then nothing is due.
    schedule = build_schedule(terms("0.07", "0", 10, kind=ScheduleKind.EQUAL_PRINCIPAL))
    assert [str(i.principal) for i in schedule.instalments] == ["0.01"] * 7 + ["0.00"] * 3
    assert all(i.balance_after >= 0 for i in schedule.instalments)


# --- dates --------------------------------------------------------------------------------


def test_month_end_anchor_leap_year() -> None:
    schedule = build_schedule(terms(months=5, first_due=date(2028, 1, 31)))
    assert [i.due for i in schedule.instalments] == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 30),
        date(2028, 5, 31),
    ]


def test_month_end_anchor_normal_year() -> None:
    schedule = build_schedule(terms(months=3, first_due=date(2027, 1, 31)))
    assert [i.due for i in schedule.instalments] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
    ]


def test_day_30_anchor_across_year_end() -> None:
    assert [due_date(date(2027, 11, 30), k) for k in range(5)] == [
        date(2027, 11, 30),
        date(2027, 12, 30),
        date(2028, 1, 30),
        date(2028, 2, 29),
        date(2028, 3, 30),
    ]
    assert due_date(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert due_date(date(2028, 2, 29), 48) == date(2032, 2, 29)


@given(
    first=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    k=st.integers(min_value=0, max_value=599),
)
def test_due_date_keeps_anchor(first: date, k: int) -> None:
    due = due_date(first, k)
    assert (due.year * 12 + due.month) - (first.year * 12 + first.month) == k
    next_day = date.fromordinal(due.toordinal() + 1)
    assert due.day == first.day or next_day.month != due.month  # clamped only at month end


def test_instalments_due_and_due_to_date() -> None:
    schedule = build_schedule(terms())
    assert instalments_due(schedule, date(2028, 1, 30)) == ()
    assert due_to_date(schedule, date(2028, 1, 30)) == D("0.00")
    assert due_to_date(schedule, date(2028, 1, 31)) == D("340.02")
    assert [i.number for i in instalments_due(schedule, date(2028, 3, 30))] == [1, 2]
    assert due_to_date(schedule, date(2028, 3, 30)) == D("680.04")
    assert due_to_date(schedule, date(2030, 1, 1)) == D("1020.07")


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"principal": "0.00"}, "principal must be positive, got 0.00"),
        ({"principal": "-5.00"}, "principal must be positive, got -5.00"),
        (
            {"principal": "10.005"},
            "principal 10.005 has fractions of a cent; give it in whole cents",
        ),
        ({"principal": "NaN"}, "principal must be a finite Decimal, got Decimal('NaN')"),
        (
            {"rate": "6.99"},
            "annual_rate must be at least 0 and below 1 (0.0699 means 6.99%), got 6.99",
        ),
        ({"rate": "-0.01"}, "annual_rate must be at least 0 and below 1"),
        ({"rate": "1"}, "annual_rate must be at least 0 and below 1"),
        ({"months": 0}, "term_months must be between 1 and 600, got 0"),
        ({"months": 601}, "term_months must be between 1 and 600, got 601"),
    ],
)
def test_terms_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        terms(**kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)


def test_terms_validation_types() -> None:
    with pytest.raises(InvalidInput, match="principal must be a finite Decimal"):
        LoanTerms(1000.0, D("0.05"), 12, date(2028, 1, 1), ScheduleKind.ANNUITY)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="term_months must be a whole number"):
        LoanTerms(D("1000"), D("0.05"), True, date(2028, 1, 1), ScheduleKind.ANNUITY)
    with pytest.raises(InvalidInput, match="first_due must be a date"):
        LoanTerms(D("1000"), D("0.05"), 12, datetime(2028, 1, 1), ScheduleKind.ANNUITY)
    with pytest.raises(InvalidInput, match="kind must be one of annuity, equal_principal"):
        LoanTerms(D("1000"), D("0.05"), 12, date(2028, 1, 1), "annuity")  # type: ignore[arg-type]


def test_limits_accepted() -> None:
    assert len(build_schedule(terms("1.00", "0.9999", 600)).instalments) == 600
    assert build_schedule(terms("1.00", "0", 1)).instalments[0].total == D("1.00")


# --- properties ---------------------------------------------------------------------------

principals = st.integers(min_value=1, max_value=10**9).map(lambda c: D(c) / 100)
rates = st.integers(min_value=0, max_value=9999).map(lambda bp: D(bp) / 10000)
term_lengths = st.integers(min_value=1, max_value=600)


@settings(max_examples=150, deadline=None)
@given(
    principal=principals,
    rate=rates,
    months=term_lengths,
    kind=st.sampled_from(list(ScheduleKind)),
)
def test_schedule_invariants(
    principal: Decimal, rate: Decimal, months: int, kind: ScheduleKind
) -> None:
    t = LoanTerms(principal, rate, months, date(2028, 1, 31), kind)
    schedule = build_schedule(t)
    items = schedule.instalments
    assert len(items) == months
    assert sum(i.principal for i in items) == principal
    assert items[-1].balance_after == 0
    balance = principal
    for i in items:
        for amount in (i.principal, i.interest, i.total, i.balance_after):
            assert amount >= 0
            assert amount.as_tuple().exponent == -2
        assert i.total == i.principal + i.interest
        # interest: the outstanding balance times rate/12, rounded half-up to the cent
        exact = balance * rate / 12
        assert abs(i.interest - exact) <= D("0.005")
        balance -= i.principal
        assert i.balance_after == balance
    early = [i for i in items[:-1] if i.balance_after > 0]
    if kind is ScheduleKind.ANNUITY:
        assert len({i.total for i in early}) <= 1
    elif kind is ScheduleKind.EQUAL_PRINCIPAL:
        assert len({i.principal for i in early}) <= 1
    else:
        assert all(i.principal == 0 for i in items[:-1])
        assert items[-1].principal == principal


# --- canonical JSON and hashes ------------------------------------------------------------


def test_canonical_json_exact_bytes() -> None:
    schedule = build_schedule(terms("100.00", "0.060", 2, date(2028, 1, 31)))
    assert canonical_json(schedule) == (
        b'{"instalments":['
        b'{"balance_after":"50.12","due":"2028-01-31","interest":"0.50",'
        b'"number":1,"principal":"49.88","total":"50.38"},'
        b'{"balance_after":"0.00","due":"2028-02-29","interest":"0.25",'
        b'"number":2,"principal":"50.12","total":"50.37"}],'
        b'"terms":{"annual_rate":"0.06","first_due":"2028-01-31","kind":"annuity",'
        b'"principal":"100.00","term_months":2}}'
    )
    assert canonical_terms_json(schedule.terms) == (
        b'{"annual_rate":"0.06","first_due":"2028-01-31","kind":"annuity",'
        b'"principal":"100.00","term_months":2}'
    )


def test_canonical_amounts_have_two_decimals() -> None:
    t = terms("1000", "0.1", 3)
    doc = json.loads(canonical_json(build_schedule(t)))
    assert doc["terms"]["principal"] == "1000.00"
    assert doc["terms"]["annual_rate"] == "0.1"
    assert (
        json.loads(canonical_json(build_schedule(terms("1000", "0", 3))))["terms"]["annual_rate"]
        == "0"
    )


def test_hashes() -> None:
    schedule = build_schedule(terms())
    h = schedule_hash(schedule, SALT)
    assert h == keccak(SALT + canonical_json(schedule))
    assert len(h) == 32
    assert schedule_hash(build_schedule(terms()), SALT) == h
    assert schedule_hash(schedule, bytes(32)) != h
    assert schedule_hash(build_schedule(terms(principal="1000.01")), SALT) != h
    th = terms_hash(schedule.terms, SALT)
    assert th == keccak(SALT + canonical_terms_json(schedule.terms))
    assert th != h
    assert terms_hash(terms(rate="0.1200"), SALT) == th  # the same rate, written differently
    assert terms_hash(terms(kind=ScheduleKind.EQUAL_PRINCIPAL), SALT) != th
    assert terms_hash(terms(first_due=date(2028, 2, 1)), SALT) != th
    assert terms_hash(schedule.terms, bytes(32)) != th


@pytest.mark.parametrize("salt", [b"", bytes(31), bytes(33)])
def test_salt_must_be_32_bytes(salt: bytes) -> None:
    schedule = build_schedule(terms())
    with pytest.raises(InvalidInput, match="salt must be 32 bytes"):
        schedule_hash(schedule, salt)
    with pytest.raises(InvalidInput, match="salt must be 32 bytes"):
        terms_hash(schedule.terms, salt)


@settings(max_examples=50, deadline=None)
@given(
    principal=principals,
    rate=rates,
    months=st.integers(min_value=1, max_value=120),
    kind=st.sampled_from(list(ScheduleKind)),
    first=st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)),
)
def test_canonical_json_round_trip(
    principal: Decimal, rate: Decimal, months: int, kind: ScheduleKind, first: date
) -> None:
    schedule = build_schedule(LoanTerms(principal, rate, months, first, kind))
    data = canonical_json(schedule)
    parsed = parse_schedule_json(data)
    assert parsed == schedule
    assert canonical_json(parsed) == data
    assert build_schedule(parsed.terms) == parsed


def test_parse_accepts_any_layout() -> None:
    schedule = build_schedule(terms())
    pretty = json.dumps(json.loads(canonical_json(schedule)), indent=2).encode()
    assert schedule_hash(parse_schedule_json(pretty), SALT) == schedule_hash(schedule, SALT)


def _doc() -> Any:
    return json.loads(canonical_json(build_schedule(terms())))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("terms"), "missing keys ['terms']"),
        (lambda d: d["terms"].update(extra=1), "unexpected keys ['extra']"),
        (lambda d: d["terms"].update(principal=1000.0), "terms.principal must be an amount"),
        (lambda d: d["terms"].update(principal="1000.0"), "terms.principal must be an amount"),
        (lambda d: d["terms"].update(kind="lease"), "terms.kind 'lease' is not a schedule kind"),
        (lambda d: d["terms"].update(annual_rate="1e-2"), "terms.annual_rate must be a decimal"),
        (lambda d: d["terms"].update(term_months="3"), "terms.term_months must be an integer"),
        (lambda d: d["terms"].update(first_due="2028-02-30"), "is not a real date"),
        (lambda d: d["terms"].update(first_due="20280131"), "must be an ISO date"),
        (lambda d: d["instalments"].pop(), "needs instalments numbered 1 to 3"),
        (lambda d: d["instalments"][0].update(number=True), "instalments[0].number must be"),
        (lambda d: d.update(instalments={}), "instalments must be a list"),
        (lambda d: d["terms"].update(term_months=0), "term_months must be between 1 and 600"),
    ],
)
def test_parse_rejects_malformed(mutate: Callable[[Any], object], message: str) -> None:
    doc = _doc()
    mutate(doc)
    with pytest.raises(InvalidInput) as info:
        parse_schedule_json(json.dumps(doc).encode())
    assert message in str(info.value)


@pytest.mark.parametrize("data", [b"", b"not json", b"[]", b"\xff\xfe"])
def test_parse_rejects_non_documents(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse_schedule_json(data)


def test_schedule_requires_numbered_instalments() -> None:
    t = terms(months=1)
    bad = Instalment(2, date(2028, 1, 31), D("1000.00"), D("10.00"), D("1010.00"), D("0.00"))
    with pytest.raises(InvalidInput, match="numbered 1 to 1"):
        Schedule(t, (bad,))
