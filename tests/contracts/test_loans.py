"""Loans: origination on a lien, the lifecycle state machine, servicing that follows the lien."""

from __future__ import annotations

import pytest

from registry.enums import LoanState
from tests.kit.chain import Registry, ref
from tests.kit.expect import release_reason, reverts, same


def _state(registry: Registry, loan_id: int) -> str:
    return registry.reader.loan(loan_id).state


# --------------------------------------------------------------- origination


def test_origination_links_the_loan_to_its_lien(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    loan_ref, terms, schedule = ref("loan"), ref("terms"), ref("sched")
    result = registry.lender.originate_loan(lien_id, loan_ref, terms, schedule)
    event = result.event("LoanOriginated")
    loan_id = event.args["loanId"]
    assert (event.args["lienId"], event.args["vin"]) == (lien_id, vin)
    assert event.args["termsHash"] == "0x" + terms.hex()
    assert event.args["scheduleHash"] == "0x" + schedule.hex()
    assert event.args["loanRef"] == "0x" + loan_ref.hex()
    loan = registry.reader.loan(loan_id)
    assert (loan.lien_id, loan.state) == (lien_id, "ORIGINATED")
    assert loan.terms_hash == "0x" + terms.hex()
    assert same(loan.lender, registry.cast.lender.address)
    assert registry.reader.loan_of_lien(lien_id) == loan_id


def test_only_the_lienholder_originates(registry: Registry) -> None:
    lien_id = registry.lien(registry.title(), registry.lender)
    with reverts("LoanNotLienholder", lienId=lien_id, holder=registry.cast.lender.address):
        registry.loan(lien_id, registry.lender2)


@pytest.mark.parametrize("who", ["registrar", "dealer", "insurer", "owner", "outsider"])
def test_only_a_lender_originates(registry: Registry, who: str) -> None:
    lien_id = registry.lien(registry.title())
    with reverts("LoanUnauthorizedAccount"):
        registry.loan(lien_id, registry.everyone[who])


def test_origination_needs_an_active_lien(registry: Registry) -> None:
    lien_id = registry.lien(registry.title())
    registry.lender.release_lien(lien_id)
    with reverts("LoanLienNotActive", lienId=lien_id):
        registry.loan(lien_id)
    with reverts("LoanLienNotActive"):
        registry.loan(lien_id + 10_000)


def test_a_lien_secures_one_loan(registry: Registry) -> None:
    lien_id = registry.lien(registry.title())
    first = registry.loan(lien_id)
    with reverts("LoanLienAlreadyFinanced", lienId=lien_id, loanId=first):
        registry.loan(lien_id)


# ----------------------------------------------------------------- lifecycle


def test_full_lifecycle_to_repossession_and_charge_off(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    loan_id = registry.loan(lien_id)
    with reverts("LoanZeroAmount"):
        registry.lender.record_disbursement(loan_id, 0)
    registry.lender.record_disbursement(loan_id, 2_000_000)
    assert _state(registry, loan_id) == "ACTIVE"
    payment = registry.lender.record_payment(loan_id, 45_000, ref("pay"))
    assert payment.event("LoanPaymentRecorded").args["amount"] == 45_000
    registry.lender.record_delinquency(loan_id, 31)
    assert _state(registry, loan_id) == "DELINQUENT"
    registry.lender.record_delinquency(loan_id, 0)
    assert _state(registry, loan_id) == "ACTIVE"
    registry.lender.record_delinquency(loan_id, 95)
    registry.lender.declare_default(loan_id)
    assert _state(registry, loan_id) == "DEFAULTED"
    registry.lender.record_payment(loan_id, 1_000)  # a defaulted loan still takes payments
    new_terms, new_schedule = ref("terms2"), ref("sched2")
    registry.lender.restructure_loan(loan_id, new_terms, new_schedule)
    loan = registry.reader.loan(loan_id)
    assert (loan.state, loan.terms_hash) == ("ACTIVE", "0x" + new_terms.hex())
    assert loan.schedule_hash == "0x" + new_schedule.hex()
    registry.lender.declare_default(loan_id)
    result = registry.lender.repossess(loan_id)
    assert release_reason(result, lien_id) == "REPOSSESSION"
    assert same(result.event("TitleTransferred").args["to"], registry.cast.lender.address)
    assert _state(registry, loan_id) == "REPOSSESSED"
    assert registry.reader.lien(lien_id).status == "REPOSSESSED"
    title = registry.reader.title(vin)
    assert same(title.owner, registry.cast.lender.address)
    assert title.active_liens == 0
    registry.lender.charge_off(loan_id, 600_000)
    assert _state(registry, loan_id) == "CHARGED_OFF"


def test_repossession_needs_a_default(registry: Registry) -> None:
    vin, lien_id, loan_id = registry.active_loan()
    with reverts("LoanUnexpectedState", loanId=loan_id, current=LoanState.ACTIVE.chain_index):
        registry.lender.repossess(loan_id)
    assert same(registry.reader.title(vin).owner, registry.cast.owner.address)
    assert registry.reader.lien(lien_id).status == "ACTIVE"


def test_repossession_leaves_junior_liens_standing(registry: Registry) -> None:
    vin, senior, loan_id = registry.active_loan()
    junior = registry.lien(vin, registry.lender2)
    registry.lender.declare_default(loan_id)
    registry.lender.repossess(loan_id)
    assert same(registry.reader.title(vin).owner, registry.cast.lender.address)
    assert registry.reader.active_liens(vin) == [junior]
    assert registry.reader.lien(junior).priority == 1
    assert registry.reader.lien(senior).status == "REPOSSESSED"


def test_repossession_refused_when_the_lien_is_gone(registry: Registry) -> None:
    vin, lien_id, loan_id = registry.active_loan()
    registry.lender.release_lien(lien_id)
    registry.lender.declare_default(loan_id)
    with reverts("RegistryLienNotActive", lienId=lien_id):
        registry.lender.repossess(loan_id)
    assert same(registry.reader.title(vin).owner, registry.cast.owner.address)


def test_payoff_releases_the_lien(registry: Registry) -> None:
    vin, lien_id, loan_id = registry.active_loan()
    registry.lender.record_payment(loan_id, 2_000_000)
    result = registry.lender.pay_off(loan_id)
    assert release_reason(result, lien_id) == "PAYOFF"
    assert result.event("LoanPaidOff").args["lienId"] == lien_id
    assert _state(registry, loan_id) == "PAID_OFF"
    assert registry.reader.lien(lien_id).status == "RELEASED"
    registry.owner.transfer_title(vin, registry.cast.buyer.address)  # the title is free again


def test_payoff_after_a_release_at_sale_leaves_the_lien_alone(registry: Registry) -> None:
    vin, lien_id, loan_id = registry.active_loan()
    consent = registry.consent(registry.lender, vin, lien_id, registry.buyer, release=True)
    registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [consent])
    result = registry.lender.pay_off(loan_id)
    assert result.all("LienReleased") == []
    assert _state(registry, loan_id) == "PAID_OFF"


def test_payoff_straight_from_origination(registry: Registry) -> None:
    lien_id = registry.lien(registry.title())
    loan_id = registry.loan(lien_id)
    registry.lender.pay_off(loan_id)
    assert _state(registry, loan_id) == "PAID_OFF"
    assert registry.reader.lien(lien_id).status == "RELEASED"


def test_state_machine_refusals(registry: Registry) -> None:
    lien_id = registry.lien(registry.title())
    loan_id = registry.loan(lien_id)
    originated = LoanState.ORIGINATED.chain_index
    for action in (
        lambda: registry.lender.record_payment(loan_id, 10),
        lambda: registry.lender.record_delinquency(loan_id, 30),
        lambda: registry.lender.declare_default(loan_id),
        lambda: registry.lender.restructure_loan(loan_id, ref(), ref()),
        lambda: registry.lender.repossess(loan_id),
        lambda: registry.lender.charge_off(loan_id, 1),
    ):
        with reverts("LoanUnexpectedState", current=originated):
            action()
    registry.lender.record_disbursement(loan_id, 100)
    with reverts("LoanUnexpectedState"):
        registry.lender.record_disbursement(loan_id, 100)
    with reverts("LoanUnexpectedState"):
        registry.lender.charge_off(loan_id, 1)
    registry.lender.declare_default(loan_id)
    for action in (
        lambda: registry.lender.declare_default(loan_id),
        lambda: registry.lender.record_delinquency(loan_id, 120),
        lambda: registry.lender.record_disbursement(loan_id, 1),
    ):
        with reverts("LoanUnexpectedState", current=LoanState.DEFAULTED.chain_index):
            action()
    registry.lender.charge_off(loan_id, 100)
    for action in (
        lambda: registry.lender.pay_off(loan_id),
        lambda: registry.lender.record_payment(loan_id, 10),
        lambda: registry.lender.repossess(loan_id),
        lambda: registry.lender.charge_off(loan_id, 1),
    ):
        with reverts("LoanUnexpectedState", current=LoanState.CHARGED_OFF.chain_index):
            action()


def test_paid_off_is_final(registry: Registry) -> None:
    _, _, loan_id = registry.active_loan()
    registry.lender.pay_off(loan_id)
    for action in (
        lambda: registry.lender.pay_off(loan_id),
        lambda: registry.lender.record_payment(loan_id, 10),
        lambda: registry.lender.declare_default(loan_id),
        lambda: registry.lender.restructure_loan(loan_id, ref(), ref()),
    ):
        with reverts("LoanUnexpectedState", current=LoanState.PAID_OFF.chain_index):
            action()


def test_unexpected_state_names_the_allowed_states(registry: Registry) -> None:
    _, _, loan_id = registry.active_loan()
    with reverts("LoanUnexpectedState") as info:
        registry.lender.charge_off(loan_id, 1)
    allowed = int(info.value.arguments["allowedStates"], 16)
    assert {s for i, s in enumerate(LoanState) if allowed >> i & 1} == {
        "DEFAULTED",
        "REPOSSESSED",
    }
    assert "defaulted, repossessed" in info.value.message


def test_unknown_loan_and_wrong_lender(registry: Registry) -> None:
    _, _, loan_id = registry.active_loan()
    with reverts("LoanNotFound"):
        registry.lender.record_payment(loan_id + 10_000, 5)
    with reverts("LoanNotLender", loanId=loan_id, lender=registry.cast.lender.address):
        registry.lender2.record_payment(loan_id, 5)


# ------------------------------------------------------------------ servicing


def test_assignment_moves_the_servicing(registry: Registry) -> None:
    _, lien_id, loan_id = registry.active_loan()
    result = registry.lender.assign_lien(lien_id, registry.cast.lender2.address)
    moved = result.event("LoanServicingTransferred")
    assert moved.args["loanId"] == loan_id
    assert same(moved.args["from"], registry.cast.lender.address)
    assert same(moved.args["to"], registry.cast.lender2.address)
    assert same(registry.reader.loan(loan_id).lender, registry.cast.lender2.address)
    with reverts("LoanNotLender"):
        registry.lender.record_payment(loan_id, 100)
    registry.lender2.record_payment(loan_id, 100)
    registry.lender2.pay_off(loan_id)
    assert registry.reader.lien(lien_id).status == "RELEASED"


def test_assignment_of_an_unfinanced_lien_touches_no_loan(registry: Registry) -> None:
    lien_id = registry.lien(registry.title())
    result = registry.lender.assign_lien(lien_id, registry.cast.lender2.address)
    assert result.all("LoanServicingTransferred") == []
    loan_id = registry.loan(lien_id, registry.lender2)
    assert same(registry.reader.loan(loan_id).lender, registry.cast.lender2.address)


# -------------------------------------------------------------------- batches


def test_originate_loans_batch(registry: Registry) -> None:
    liens = [registry.lien(registry.title()) for _ in range(3)]
    result = registry.lender.originate_loans_batch(
        liens, [ref() for _ in liens], [ref() for _ in liens], [ref() for _ in liens]
    )
    events = result.all("LoanOriginated")
    ids = [e.args["loanId"] for e in events]
    assert ids == list(range(ids[0], ids[0] + 3))
    assert [e.args["lienId"] for e in events] == liens
    assert [registry.reader.loan_of_lien(lien) for lien in liens] == ids
    nxt = registry.reader.read(registry.reader.loans, "nextLoanId")
    assert nxt == ids[-1] + 1


@pytest.mark.parametrize("short", [1, 2, 3])
def test_originate_loans_batch_refuses_a_length_mismatch(registry: Registry, short: int) -> None:
    liens = [registry.lien(registry.title()) for _ in range(2)]
    columns = [[ref(), ref()] for _ in range(3)]
    columns[short - 1] = columns[short - 1][:1]
    with reverts("LoanBatchLengthMismatch", expected=2, actual=1):
        registry.lender.originate_loans_batch(liens, columns[0], columns[1], columns[2])


def test_originate_loans_batch_is_all_or_nothing(registry: Registry) -> None:
    mine = registry.lien(registry.title(), registry.lender)
    theirs = registry.lien(registry.title(), registry.lender2)
    with reverts("LoanNotLienholder"):
        registry.lender.originate_loans_batch([mine, theirs], [ref()] * 2, [ref()] * 2, [ref()] * 2)
    assert registry.reader.loan_of_lien(mine) == 0


def test_record_payments_batch(registry: Registry) -> None:
    loans = [registry.active_loan()[2] for _ in range(3)]
    result = registry.lender.record_payments_batch(loans, [100, 200, 300], [ref() for _ in loans])
    events = result.all("LoanPaymentRecorded")
    assert [(e.args["loanId"], e.args["amount"]) for e in events] == list(
        zip(loans, [100, 200, 300], strict=True)
    )


def test_record_payments_batch_refusals(registry: Registry) -> None:
    loans = [registry.active_loan()[2] for _ in range(2)]
    with reverts("LoanBatchLengthMismatch", expected=2, actual=1):
        registry.lender.record_payments_batch(loans, [100], [ref(), ref()])
    with reverts("LoanBatchLengthMismatch", expected=2, actual=3):
        registry.lender.record_payments_batch(loans, [100, 100], [ref(), ref(), ref()])
    with reverts("LoanZeroAmount", loanId=loans[1]):
        registry.lender.record_payments_batch(loans, [100, 0], [ref(), ref()])
    _, _, foreign = registry.active_loan(registry.lender2)
    with reverts("LoanNotLender", loanId=foreign):
        registry.lender.record_payments_batch([loans[0], foreign], [1, 1], [ref(), ref()])


def test_record_disbursements_batch(registry: Registry) -> None:
    loans = [registry.loan(registry.lien(registry.title())) for _ in range(2)]
    with reverts("LoanBatchLengthMismatch", expected=2, actual=1):
        registry.lender.record_disbursements_batch(loans, [5])
    registry.lender.record_disbursements_batch(loans, [5, 6])
    assert [_state(registry, i) for i in loans] == ["ACTIVE", "ACTIVE"]
    with reverts("LoanUnexpectedState"):
        registry.lender.record_disbursements_batch(loans, [5, 6])
