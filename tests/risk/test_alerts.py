"""Every alert raised by its scenario on a real chain, indexed by the real indexer into
SQLite, and not raised by its near miss."""

from __future__ import annotations

from registry.risk.delinquency import chain_day
from tests.kit.books import INSTALMENT_CENTS, make_loan
from tests.kit.chain import CAST, Registry, ref
from tests.kit.mirror import Mirror


def test_double_pledge_from_another_lender(chain: Registry, mirror: Mirror) -> None:
    vin = chain.title()
    first = chain.lender.register_lien(vin).id
    second = chain.lender2.register_lien(vin).id
    mirror.index()
    [alert] = mirror.alerts(vin=vin)
    assert alert["kind"] == "double_pledge" and alert["severity"] == "critical"
    assert alert["lien_id"] == second
    assert set(alert["lenders"]) == {CAST.lender.address.lower(), CAST.lender2.address.lower()}
    assert str(first) in alert["message"] and alert["tx_hash"].startswith("0x")
    assert alert["block_number"] > 0 and alert["time"] > 0
    assert mirror.alerts(lender=CAST.lender2.address, kind="double_pledge")


def test_no_double_pledge_for_a_second_lien_by_the_same_lender(
    chain: Registry, mirror: Mirror
) -> None:
    vin = chain.title()
    chain.lender.register_lien(vin)
    chain.lender.register_lien(vin)
    released = chain.title()  # the first lender let go before the second came
    lien = chain.lender.register_lien(released).id
    chain.lender.release_lien(lien)
    chain.lender2.register_lien(released)
    mirror.index()
    assert mirror.kinds(vin) == [] and mirror.kinds(released) == []


def test_double_pledge_against_liens_indexed_in_an_earlier_batch(
    chain: Registry, mirror: Mirror
) -> None:
    vins = [chain.title() for _ in range(3)]
    firsts = [chain.lender.register_lien(vin).id for vin in vins]
    mirror.index()  # the first liens are in the database now, not in the next batch
    assert [mirror.kinds(vin) for vin in vins] == [[], [], []]
    chain.lender2.register_lien(vins[0])
    chain.lender.release_lien(firsts[1])  # near miss: released in the same batch, before
    chain.lender2.register_lien(vins[1])
    chain.lender2.register_lien(vins[2])
    mirror.index()
    assert [mirror.kinds(vin) for vin in vins] == [["double_pledge"], [], ["double_pledge"]]


def test_sold_out_of_trust(chain: Registry, mirror: Mirror) -> None:
    vin = chain.title(CAST.dealer)
    lien = chain.lender.register_lien(vin, floor_plan=True).id
    chain.dealer.record_sale(vin, CAST.buyer.address, ref())
    mirror.index()
    [alert] = mirror.alerts(vin=vin)
    assert alert["kind"] == "sold_out_of_trust" and alert["lien_id"] == lien
    assert alert["lenders"] == [CAST.lender.address.lower()]
    assert "floor-plan lien" in alert["message"]


def test_no_sold_out_of_trust_after_the_floor_plan_lien_was_released(
    chain: Registry, mirror: Mirror
) -> None:
    vin = chain.title(CAST.dealer)
    lien = chain.lender.register_lien(vin, floor_plan=True).id
    chain.lender.release_lien(lien)
    chain.dealer.record_sale(vin, CAST.buyer.address, ref())
    mirror.index()
    assert mirror.kinds(vin) == []


def test_total_loss_and_brand_on_a_vehicle_under_lien(chain: Registry, mirror: Mirror) -> None:
    vin = chain.title()
    chain.lender.register_lien(vin)
    policy = chain.insurer.record_policy(vin, CAST.lender.address, ref(), 4_000_000_000).id
    claim = chain.insurer.file_claim(policy, ref(), 900_000).id
    chain.insurer.declare_total_loss(claim, flood=True)
    branded = chain.title()
    chain.lender2.register_lien(branded)
    chain.registrar.apply_brand(branded, "flood")
    mirror.index()
    assert mirror.kinds(vin) == ["total_loss"]  # its salvage and flood brands: one alert
    [loss] = mirror.alerts(vin=vin, kind="total_loss")
    assert loss["lenders"] == [CAST.lender.address.lower()] and "flood" in loss["message"]
    assert "branded SALVAGE and FLOOD" in loss["message"]
    [brand] = mirror.alerts(vin=branded)
    assert brand["kind"] == "brand" and brand["lenders"] == [CAST.lender2.address.lower()]
    assert "FLOOD" in brand["message"] and brand["severity"] == "high"


def test_no_total_loss_or_brand_alert_without_a_lien(chain: Registry, mirror: Mirror) -> None:
    vin = chain.title()
    policy = chain.insurer.record_policy(vin, CAST.lender.address, ref(), 4_000_000_000).id
    claim = chain.insurer.file_claim(policy, ref(), 900_000).id
    chain.insurer.declare_total_loss(claim)
    released = chain.title()
    lien = chain.lender.register_lien(released).id
    chain.lender.release_lien(lien)
    chain.registrar.apply_brand(released, "flood")
    mirror.index()
    assert mirror.kinds(vin) == [] and mirror.kinds(released) == []


def test_repossession_tells_the_other_lienholders(chain: Registry, mirror: Mirror) -> None:
    vin = chain.title()
    _, loan, _ = make_loan(mirror, vin)
    chain.lender2.register_lien(vin)  # (a double pledge too)
    chain.lender.declare_default(loan)
    chain.lender.repossess(loan)
    mirror.index()
    [alert] = mirror.alerts(vin=vin, kind="repossession")
    assert alert["loan_id"] == loan and alert["severity"] == "high"
    assert set(alert["lenders"]) == {CAST.lender.address.lower(), CAST.lender2.address.lower()}


def test_missed_payment_then_rolls_through_buckets(chain: Registry, mirror: Mirror) -> None:
    late, on_time = chain.title(), chain.title()
    _, late_loan, _ = make_loan(mirror, late, first_due_in_days=3)
    _, good_loan, _ = make_loan(mirror, on_time, first_due_in_days=3)
    mirror.index()
    assert mirror.status(late_loan)["bucket"] == "current"  # type: ignore[index]
    assert mirror.status(late_loan)["source"] == "schedule"  # type: ignore[index]
    assert mirror.kinds(late) == []
    chain.lender.record_payment(good_loan, INSTALMENT_CENTS, ref())  # the first instalment
    chain.advance(5)  # the first instalment is now 2 days past due
    mirror.index()
    late_status = mirror.status(late_loan)
    assert late_status is not None
    assert late_status["dpd"] == 2 and late_status["bucket"] == "1-29"
    assert mirror.kinds(late) == ["missed_payment"]
    assert mirror.kinds(on_time) == [] and mirror.status(good_loan)["dpd"] == 0  # type: ignore[index]
    chain.advance(30)  # 32 days: 30-59 (and the on-time payer now misses its 2nd instalment)
    mirror.index()
    assert mirror.status(late_loan)["bucket"] == "30-59"  # type: ignore[index]
    roll = mirror.alerts(vin=late, kind="bucket_roll")
    assert [a["details"]["bucket"] for a in roll] == ["30-59"]
    assert mirror.kinds(on_time) == ["missed_payment"]
    chain.advance(30)
    mirror.index()
    assert [a["details"]["bucket"] for a in mirror.alerts(vin=late, kind="bucket_roll")] == [
        "60-89",
        "30-59",
    ]
    assert len(mirror.alerts(vin=late, kind="missed_payment")) == 1  # still the same arrears


def test_paying_the_arrears_cures(chain: Registry, mirror: Mirror) -> None:
    vin = chain.title()
    _, loan, _ = make_loan(mirror, vin, first_due_in_days=1)
    chain.advance(3)
    mirror.index()
    assert mirror.status(loan)["dpd"] == 2  # type: ignore[index]
    chain.lender.record_payment(loan, INSTALMENT_CENTS, ref())  # the instalment due
    mirror.index()
    status = mirror.status(loan)
    assert status is not None and status["dpd"] == 0 and status["bucket"] == "current"
    assert status["paid_cents"] == INSTALMENT_CENTS


def test_a_loan_without_its_record_falls_back_to_what_the_lender_reports(
    chain: Registry, mirror: Mirror
) -> None:
    vin = chain.title()
    _, loan, _ = make_loan(mirror, vin, record=False)
    chain.lender.record_delinquency(loan, 45)
    mirror.index()
    status = mirror.status(loan)
    assert status is not None and status["source"] == "lender_reported"
    assert status["dpd"] == 45 and status["bucket"] == "30-59"
    assert sorted(a["kind"] for a in mirror.alerts(vin=vin)) == ["bucket_roll", "missed_payment"]


def test_no_alert_for_a_back_dated_loan_whose_history_follows(
    chain: Registry, mirror: Mirror
) -> None:
    """A migrated loan: originated with a schedule that began months ago, its payments
    recorded in the next transactions (indexed separately): no missed payment."""
    vin = chain.title()
    _, loan, _ = make_loan(mirror, vin, first_due_in_days=-95)
    mirror.index()  # the indexer sees the loan before its payment history
    assert mirror.status(loan)["dpd"] == 95  # type: ignore[index]
    # Monthly from 95 days ago: due then and 1, 2 and 3 months later (3 months are 89 to
    # 92 days, so at least 3 days ago); 4 months are 120 to 123 days, so the fifth is still
    # to come. Four instalments have fallen due, each 1,032.80.
    for _ in range(4):
        chain.lender.record_payment(loan, INSTALMENT_CENTS, ref())
    mirror.index()
    chain.advance(2 / 24)
    mirror.index()
    assert mirror.status(loan)["dpd"] == 0  # type: ignore[index]
    assert mirror.kinds(vin) == []
    late = chain.title()  # the same, never paid: alerted once it has settled
    _, late_loan, _ = make_loan(mirror, late, first_due_in_days=-95)
    mirror.index()
    assert mirror.kinds(late) == []
    chain.advance(2 / 24)
    mirror.index()
    assert mirror.kinds(late) == ["bucket_roll", "missed_payment"]
    [roll] = mirror.alerts(vin=late, kind="bucket_roll")
    assert roll["details"]["bucket"] == "90+" and roll["severity"] == "critical"
    assert late_loan


def test_backfill_computes_standing_at_the_head_only(chain: Registry, fresh_mirror: Mirror) -> None:
    vin = chain.title()
    _, loan, _ = make_loan(fresh_mirror, vin, first_due_in_days=-40)
    chain.advance(2 / 24)  # settled, still unpaid, for a few blocks (a batch of their own)
    for _ in range(4):
        chain.rpc.request("evm_mine")
    for _ in range(2):  # due 40 days ago and a month (28-31 days) later; the 3rd is to come
        chain.lender.record_payment(loan, INSTALMENT_CENTS, ref())
    indexer = fresh_mirror.indexer(batch_blocks=3)
    indexer.run(until_head=True, lock=False)  # many small batches, the payments in the last
    status = fresh_mirror.status(loan)
    assert status is not None and status["dpd"] == 0 and status["source"] == "schedule"
    assert fresh_mirror.kinds(vin) == []


def test_lien_not_released_30_days_after_payoff(chain: Registry, mirror: Mirror) -> None:
    kept, cleaned, plain = chain.title(), chain.title(), chain.title()
    ids = {}
    for vin in (kept, cleaned, plain):
        _, loan, _ = make_loan(mirror, vin)
        ids[vin] = loan
    extra_kept = chain.lender.register_lien(kept).id  # same lender: no double pledge
    extra_cleaned = chain.lender.register_lien(cleaned).id
    for vin in (kept, cleaned, plain):
        chain.lender.pay_off(ids[vin])  # releases the loan's own lien
    mirror.index()
    chain.advance(20)
    chain.lender.release_lien(extra_cleaned)  # released within 30 days: fine
    mirror.index()
    assert mirror.alerts(kind="lien_not_released", vin=kept) == []
    chain.advance(11)
    mirror.index()
    [alert] = mirror.alerts(vin=kept, kind="lien_not_released")
    assert alert["lien_id"] == extra_kept and alert["loan_id"] == ids[kept]
    assert alert["lenders"] == [CAST.lender.address.lower()]
    assert "paid off 31 days ago" in alert["message"]
    assert mirror.kinds(cleaned) == [] and mirror.kinds(plain) == []
    assert mirror.kinds(kept) == ["lien_not_released"]
    mirror.index()  # nothing new: idempotent
    assert len(mirror.alerts(vin=kept)) == 1


def test_same_alerts_when_indexed_again_from_scratch(chain: Registry, mirror: Mirror,
                                                     fresh_mirror: Mirror) -> None:  # fmt: skip
    mirror.index()
    fresh_mirror.index()
    event_kinds = {"double_pledge", "sold_out_of_trust", "total_loss", "brand", "repossession"}
    first = {a["key"] for a in mirror.alerts() if a["kind"] in event_kinds}
    again = {a["key"] for a in fresh_mirror.alerts() if a["kind"] in event_kinds}
    assert first and first == again
    fresh_mirror.index()
    assert len(fresh_mirror.alerts()) == len({a["key"] for a in fresh_mirror.alerts()})


def test_reorg_removes_the_alert_and_its_standing(chain: Registry, fresh_mirror: Mirror) -> None:
    vin = chain.title()
    chain.lender.register_lien(vin)
    fresh_mirror.index()
    snap = chain.rpc.request("evm_snapshot")
    chain.lender2.register_lien(vin)  # double pledge, on blocks about to vanish
    fresh_mirror.index()
    assert fresh_mirror.kinds(vin) == ["double_pledge"]
    assert chain.rpc.request("evm_revert", [snap])
    for _ in range(4):
        chain.rpc.request("evm_mine")
    fresh_mirror.index()
    assert fresh_mirror.kinds(vin) == []
    assert chain_day(chain.now()) > 0
