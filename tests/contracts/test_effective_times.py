"""Effective times of an imported loan's events: never later than the block, never before the
loan's origination (a disbursement) or disbursement (a payment)."""

from __future__ import annotations

from registry.enums import LoanState
from tests.kit.chain import DAY, Registry, ref
from tests.kit.expect import reverts

YEAR = 365 * DAY


def _originated(registry: Registry, at: int) -> int:
    lien_id = registry.lien(registry.title())
    result = registry.lender.originate_loans_batch([lien_id], [ref()], [ref()], [ref()], [at])
    return result.id


def test_a_back_dated_loan_carries_its_times_in_its_events(registry: Registry) -> None:
    start = registry.now() - 2 * YEAR
    liens = [registry.lien(registry.title()) for _ in range(2)]
    result = registry.lender.originate_loans_batch(
        liens, [ref(), ref()], [ref(), ref()], [ref(), ref()], [start, start + DAY]
    )
    loans = list(result.ids)
    assert [e.args["originatedAt"] for e in result.all("LoanOriginated")] == [start, start + DAY]
    disbursed = registry.lender.record_disbursements_batch(
        loans, [1_000_00, 2_000_00], [start + DAY, start + 2 * DAY]
    )
    times = [e.args["disbursedAt"] for e in disbursed.all("LoanDisbursed")]
    assert times == [start + DAY, start + 2 * DAY]
    assert registry.reader.read(registry.reader.loans, "loanSince", loans[1]) == start + 2 * DAY
    paid = registry.lender.record_payments_batch(
        [loans[0], loans[0], loans[1]], [10_00, 10_00, 20_00], [ref(), ref(), ref()],
        [start + 30 * DAY, start + 60 * DAY, start + 2 * DAY],
    )  # fmt: skip
    assert [e.args["paidAt"] for e in paid.all("LoanPaymentRecorded")] == [
        start + 30 * DAY, start + 60 * DAY, start + 2 * DAY,
    ]  # fmt: skip


def test_zero_and_the_plain_functions_take_the_block_time(registry: Registry) -> None:
    lien_id = registry.lien(registry.title())
    plain = registry.lender.originate_loan(lien_id, ref(), ref(), ref())
    block_time = registry.rpc.request("eth_getBlockByNumber", [hex(plain.block_number), False])
    assert plain.event("LoanOriginated").args["originatedAt"] == int(block_time["timestamp"], 16)
    disbursed = registry.lender.record_disbursement(plain.id, 5_00)
    paid = registry.lender.record_payment(plain.id, 1_00)
    assert (
        paid.event("LoanPaymentRecorded").args["paidAt"]
        >= (disbursed.event("LoanDisbursed").args["disbursedAt"])
    )
    zero = _originated(registry, 0)
    assert registry.reader.read(registry.reader.loans, "loanSince", zero) >= registry.now() - 60


def test_no_effective_time_is_later_than_the_block(registry: Registry) -> None:
    future = registry.now() + DAY
    lien_id = registry.lien(registry.title())
    nxt = registry.reader.read(registry.reader.loans, "nextLoanId")
    with reverts("LoanEffectiveTimeInFuture", loanId=nxt, at=future):
        registry.lender.originate_loans_batch([lien_id], [ref()], [ref()], [ref()], [future])
    assert registry.reader.loan_of_lien(lien_id) == 0
    loan_id = _originated(registry, registry.now() - YEAR)
    with reverts("LoanEffectiveTimeInFuture", loanId=loan_id, at=future):
        registry.lender.record_disbursements_batch([loan_id], [1_00], [future])
    registry.lender.record_disbursements_batch([loan_id], [1_00], [registry.now() - YEAR])
    with reverts("LoanEffectiveTimeInFuture", loanId=loan_id, at=future):
        registry.lender.record_payments_batch([loan_id], [1_00], [ref()], [future])


def test_a_disbursement_is_never_before_the_origination(registry: Registry) -> None:
    start = registry.now() - YEAR
    loan_id = _originated(registry, start)
    with reverts("LoanEffectiveTimeTooEarly", loanId=loan_id, at=start - 1, earliest=start):
        registry.lender.record_disbursements_batch([loan_id], [1_00], [start - 1])
    assert registry.reader.loan(loan_id).state is LoanState.ORIGINATED
    registry.lender.record_disbursements_batch([loan_id], [1_00], [start])  # the same second: ok


def test_a_payment_is_never_before_the_disbursement(registry: Registry) -> None:
    start = registry.now() - YEAR
    loan_id = _originated(registry, start)
    registry.lender.record_disbursements_batch([loan_id], [1_00], [start + 10 * DAY])
    with reverts("LoanEffectiveTimeTooEarly", loanId=loan_id, earliest=start + 10 * DAY):
        registry.lender.record_payments_batch([loan_id], [1_00], [ref()], [start + 5 * DAY])
    with reverts("LoanEffectiveTimeTooEarly", loanId=loan_id):  # one bad row refuses the batch
        registry.lender.record_payments_batch(
            [loan_id, loan_id], [1_00, 1_00], [ref(), ref()], [start + 20 * DAY, start]
        )


def test_the_batches_refuse_a_missing_time_column(registry: Registry) -> None:
    loan_id = _originated(registry, 0)
    with reverts("LoanBatchLengthMismatch", expected=1, actual=0):
        registry.lender.transact(
            registry.lender.loans, "recordDisbursementsBatch", [loan_id], [1_00], [],
            action="a short batch",
        )  # fmt: skip
    lien_id = registry.lien(registry.title())
    with reverts("LoanBatchLengthMismatch", expected=1, actual=2):
        registry.lender.originate_loans_batch([lien_id], [ref()], [ref()], [ref()], [0, 0])


def test_loans_of_liens_answers_many_at_once(registry: Registry) -> None:
    _, lien_a, loan_a = registry.active_loan()
    lien_b = registry.lien(registry.title())
    loan_b = registry.loan(lien_b)
    lien_c = registry.lien(registry.title())
    assert registry.reader.loans_of_liens([lien_a, lien_b, lien_c]) == [
        (loan_a, LoanState.ACTIVE), (loan_b, LoanState.ORIGINATED), (0, LoanState.NONE),
    ]  # fmt: skip
