"""A funder's pool report against a small pool on a real chain, worked out by hand.

The pool (pledged to the cast's funder): A a 12,000.00 annuity with its schedule revealed,
current, its title branded flood; B, C, D loans of 25,000.00 whose lender records 45, 100
and 130 days past due (D paid 5,000.00; C's car a total loss); E a 12,000.00 annuity paid
1,000.00 then paid off in its first month (a prepayment); F 25,000.00 defaulted,
repossessed and charged off for 18,000.00; G 25,000.00 of the second lender on a car the
dealer sold. Outside it: H pledged to the other funder, I pledged to the funder and
released. Then the chain passes a month end.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from registry.queries import snapshot_connection
from registry.risk.pool import pool_report
from tests.kit.books import make_loan
from tests.kit.chain import Registry, ref
from tests.kit.mirror import Mirror


@dataclass(frozen=True)
class Pool:
    report: dict
    month: str  # the month whose end the chain passed


@pytest.fixture(scope="module")
def pool(chain: Registry, mirror: Mirror) -> Pool:
    lender, funder = chain.lender, chain.cast.funder.address
    a_vin = chain.title()
    _, a, _ = make_loan(mirror, a_vin, first_due_in_days=10)
    chain.registrar.apply_brand(a_vin, "flood")
    _, _, b = chain.active_loan()
    lender.record_delinquency(b, 45)
    c_vin, _, c = chain.active_loan()
    lender.record_delinquency(c, 100)
    policy = chain.insurer.record_policy(c_vin, chain.cast.lender.address, ref("p"), 2**40).id
    chain.insurer.declare_total_loss(chain.insurer.file_claim(policy, ref("c"), 900_000).id)
    _, _, d = chain.active_loan()
    lender.record_payment(d, 500_000)
    lender.record_delinquency(d, 130)
    _, e, _ = make_loan(mirror, chain.title(), first_due_in_days=10)
    lender.record_payment(e, 100_000)
    _, _, f = chain.active_loan()
    g_vin = chain.title(chain.cast.dealer)
    chain.dealer.record_sale(g_vin, chain.cast.owner.address, ref("sale"))
    g = chain.loan(chain.lien(g_vin, chain.lender2), chain.lender2)
    chain.lender2.record_disbursement(g, 2_500_000)
    lender.pledge_loans_batch([a, b, c, d, e, f], funder)
    chain.lender2.pledge_loan(g, funder)
    _, _, h = chain.active_loan()
    lender.pledge_loan(h, chain.cast.funder2.address)
    _, _, i = chain.active_loan()
    lender.pledge_loan(i, funder)
    chain.funder.release_pledge(i, "REPURCHASE")
    lender.pay_off(e)  # the pledge stays: the funder sees the payoff
    lender.record_delinquency(f, 120)
    lender.declare_default(f)
    lender.repossess(f)
    lender.charge_off(f, 1_800_000)
    today = chain.today()
    chain.advance(32)
    mirror.index()
    with snapshot_connection(mirror.engine) as conn:
        report = pool_report(conn, funder.lower())
    return Pool(report, f"{today.year:04d}-{today.month:02d}")


def test_balances_and_delinquency_steps(pool: Pool) -> None:
    r = pool.report
    assert r["loans"] == 7
    assert r["original_balance_cents"] == 2 * 1_200_000 + 5 * 2_500_000
    assert r["outstanding"] == {"loans": 5, "balance_cents": 1_200_000 + 3 * 2_500_000 + 2_000_000}
    assert r["delinquency"] == {
        "current": {"loans": 2, "balance_cents": 1_200_000 + 2_500_000},  # A (under 30), G
        "30-59": {"loans": 1, "balance_cents": 2_500_000},  # B
        "60-89": {"loans": 0, "balance_cents": 0},
        "90-119": {"loans": 1, "balance_cents": 2_500_000},  # C
        "120+": {"loans": 1, "balance_cents": 2_000_000},  # D, after its payment
    }


def test_payoffs_prepayments_charge_offs_and_net_loss(pool: Pool) -> None:
    r = pool.report
    assert r["payoffs"] == {"loans": 1, "paid_cents": 100_000}
    assert r["prepayments"] == {"loans": 1, "paid_cents": 100_000}  # before its last instalment
    assert r["charge_offs"] == {"loans": 1, "amount_cents": 1_800_000}
    assert r["net_loss_ratio"] == pytest.approx(1_800_000 / 14_900_000)


def test_collateral_events(pool: Pool) -> None:
    # a flood brand (A), a total loss (C: its salvage brand too), a repossession (F)
    assert pool.report["collateral_events"] == {"total_losses": 1, "brands": 2, "repossessions": 1}


def test_concentration_by_lender_and_dealer(pool: Pool, chain: Registry) -> None:
    c = pool.report["concentration"]
    total = 10_700_000
    assert c["lenders"] == [
        {"lender": chain.cast.lender.address.lower(), "name": "First Auto Bank", "loans": 4,
         "balance_cents": 8_200_000, "share": 8_200_000 / total},
        {"lender": chain.cast.lender2.address.lower(), "name": "Second Credit Union", "loans": 1,
         "balance_cents": 2_500_000, "share": 2_500_000 / total},
    ]  # fmt: skip
    assert c["dealers"] == [
        {"dealer": chain.cast.dealer.address.lower(), "name": "Main Street Motors", "loans": 1,
         "balance_cents": 2_500_000, "share": 2_500_000 / total},
    ]  # fmt: skip


def test_month_by_month_trend(pool: Pool) -> None:
    (month,) = pool.report["trend"]
    assert month == {
        "month": pool.month,
        "loans": 5,
        "balance_cents": 10_700_000,
        "delinquent_30_plus_cents": 3 * 2_500_000 - 500_000,  # B, C and D
        "paid_off": 1,
        "charged_off": 1,
    }
