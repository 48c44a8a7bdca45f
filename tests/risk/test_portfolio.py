"""The portfolio report: the Markov stress on its own, then a lender's book on a real chain."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.enums import Bucket
from registry.risk.models import BucketSnapshot
from registry.risk.portfolio import (
    CHARGED,
    PAID,
    PRIOR,
    portfolio,
    project,
    roll_matrix,
    stress_test,
    stressed,
    with_charge_off,
)
from tests.kit.books import make_loan
from tests.kit.chain import CAST, Registry, ref
from tests.kit.mirror import Mirror

# Every loan of the on-chain test is the kit's schedule (tests.kit.books.schedule_for):
# 12,000.00 at 6% over 12 months, annuity.
# r = 0.005; payment 12000 * 0.005 / (1 - 1.005**-12) = 1032.797 -> 1,032.80;
# the first instalment is 60.00 of interest (12000 * 0.005) and 972.80 of principal.
PRINCIPAL = 1_200_000  # cents
INSTALMENT = 103_280
FIRST_PRINCIPAL = 97_280


def test_stress_scales_worsening_and_keeps_rows_stochastic() -> None:
    s = stressed(PRIOR, 1.5)
    order = [*Bucket, CHARGED]
    for frm, row in s.items():
        assert sum(row.values()) == pytest.approx(1.0)
        worse = [to for to in row if to in order and order.index(to) > order.index(frm)]
        before = sum(PRIOR[frm][to] for to in worse)
        assert sum(row[to] for to in worse) == pytest.approx(min(0.999, before * 1.5))
    for frm, row in stressed(PRIOR, 1.0).items():
        assert row == pytest.approx(PRIOR[frm])
    assert s["current"]["1-29"] == pytest.approx(0.045)


def test_projection_charges_off_what_stays_90_plus() -> None:
    m = with_charge_off(PRIOR)
    assert "90+" not in m["90+"] and m["90+"][CHARGED] == pytest.approx(0.95)
    end = project({"90+": 100.0}, m, 12)
    assert sum(end.values()) == pytest.approx(100.0)
    assert end[CHARGED] > 90
    end = project({"current": 100.0}, m, 12)
    assert 0 < end[CHARGED] < 10 and end[PAID] > 0


def test_two_months_of_the_projection_worked_by_hand() -> None:
    m = with_charge_off(PRIOR)
    # month 1, from 100 in 90+: 90+ -> current 2%, 60-89 3%, charged off 80% + the 15% staying
    one = project({"90+": 100.0}, m, 1)
    assert one == pytest.approx({"current": 2.0, "1-29": 0.0, "30-59": 0.0, "60-89": 3.0,
                                 "90+": 0.0, PAID: 0.0, CHARGED: 95.0})  # fmt: skip
    # month 2: current 2 -> 1.91 current, 0.06 to 1-29, 0.03 paid off;
    # 60-89 3 -> 0.15 current, 0.15 to 1-29, 0.30 to 30-59, 0.45 stays, 1.95 to 90+
    two = project({"90+": 100.0}, m, 2)
    assert two == pytest.approx({"current": 2.06, "1-29": 0.21, "30-59": 0.30, "60-89": 0.45,
                                 "90+": 1.95, PAID: 0.03, CHARGED: 95.0})  # fmt: skip


def test_stress_of_one_row_worked_by_hand() -> None:
    # current: the one worsening move (to 1-29, 3%) x 1.5 = 4.5%; staying (95.5%) and paying
    # off (1.5%) share the remaining 95.5% in proportion: x 0.955 / 0.97
    row = stressed(PRIOR, 1.5)["current"]
    assert row == pytest.approx({"1-29": 0.045, "current": 0.955 * 0.955 / 0.97,
                                 PAID: 0.015 * 0.955 / 0.97})  # fmt: skip
    assert row["current"] == pytest.approx(0.940232, abs=1e-6)


def test_stress_raises_the_expected_loss() -> None:
    exposure = {"current": 9_000_000, "1-29": 500_000, "30-59": 300_000, "60-89": 100_000,
                "90+": 100_000}  # fmt: skip
    base = stress_test(exposure, PRIOR, 1.0, 0.5)
    worse = stress_test(exposure, PRIOR, 2.0, 0.5)
    assert 0 < base["expected_loss_cents"] < worse["expected_loss_cents"]
    assert base["expected_loss_cents"] == round(base["expected_default_cents"] * 0.5)


def test_observed_roll_rates_replace_the_prior_when_there_are_enough() -> None:
    counts = {"2027-01": {"current": {"current": 90, "1-29": 10}, "30-59": {"60-89": 1}}}
    m = roll_matrix(counts)
    assert m["current"]["source"] == "observed" and m["current"]["to"]["1-29"] == 0.1
    assert m["30-59"]["source"] == "prior"


def test_report_for_a_lender_on_chain(chain: Registry, mirror: Mirror) -> None:
    bank = chain.lender2
    me = CAST.lender2.address.lower()
    good, late, branded = (chain.title() for _ in range(3))
    stock = chain.title(CAST.dealer)
    sold_by_dealer = chain.title(CAST.dealer)
    chain.dealer.record_sale(sold_by_dealer, CAST.buyer.address, ref())
    loans = {}
    for vin in (good, late, sold_by_dealer, branded):
        _, loan, schedule = make_loan(mirror, vin, lender=bank, first_due_in_days=2)
        loans[vin] = (loan, schedule)
    bank.register_lien(stock, floor_plan=True)
    chain.registrar.apply_brand(branded, "flood")
    paid_off_vin = chain.title()
    _, paid_loan, _ = make_loan(mirror, paid_off_vin, lender=bank)
    bank.pay_off(paid_loan)
    for vin in (good, sold_by_dealer, branded):
        loan, _schedule = loans[vin]
        bank.record_payment(loan, INSTALMENT, ref())  # the first instalment, exactly
    mirror.index()
    chain.advance(40)  # crosses a month end: one snapshot month
    mirror.index()
    chain.advance(35)  # and another: transitions between two month ends
    mirror.index()
    with mirror.engine.connect() as conn:
        months = conn.execute(
            select(func.count(func.distinct(BucketSnapshot.month))).where(
                BucketSnapshot.lender == me  # type: ignore[arg-type]
            )
        ).scalar()
        report = portfolio(conn, me, stress=2.0)
    assert months and months >= 2
    assert report["loans"] == 4
    assert sum(b["loans"] for b in report["buckets"].values()) == 4
    late_loan, _ = loans[late]
    assert report["buckets"]["60-89"]["loans"] + report["buckets"]["30-59"]["loans"] >= 1
    # Worked out by hand. Day 0 is the day the loans were made; instalments fall due on
    # day 2 and one and two months later (day 30-33, day 61-64); the report is on day 75.
    # Three loans paid the first instalment only: the oldest unpaid is the second, due
    # 42-45 days ago (30-59); two instalments past due each; exposure 1,200,000 - 97,280.
    # The late loan paid nothing: 73 days past due (60-89), three instalments past due.
    assert report["buckets"]["30-59"] == {
        "loans": 3,
        "exposure_cents": 3 * (PRINCIPAL - FIRST_PRINCIPAL),  # 3,308,160
        "past_due_cents": 3 * 2 * INSTALMENT,  # 619,680
    }
    assert report["buckets"]["60-89"] == {
        "loans": 1,
        "exposure_cents": PRINCIPAL,
        "past_due_cents": 3 * INSTALMENT,  # 309,840
    }
    total = 4 * PRINCIPAL  # the paid-off loan is closed: not counted
    assert 0 < report["exposure_cents"] < total
    assert report["exposure_cents"] == total - 3 * FIRST_PRINCIPAL  # 4,508,160
    [dealer] = [d for d in report["dealers"] if d["dealer"] == CAST.dealer.address.lower()]
    assert dealer["loans"] == 1 and dealer["floor_plan_liens"] == 1
    assert dealer["name"] == "Main Street Motors"
    assert dealer["exposure_cents"] == PRINCIPAL - FIRST_PRINCIPAL  # paid its first instalment
    assert report["branded_collateral"]["loans"] == 1
    assert report["branded_collateral"]["exposure_cents"] == PRINCIPAL - FIRST_PRINCIPAL
    assert "FLOOD" in report["branded_collateral"]["by_brand"]
    assert report["roll_rates"]["months"]
    stress = report["stress"]
    assert stress["stressed"]["expected_loss_cents"] > stress["baseline"]["expected_loss_cents"]
    assert late_loan
