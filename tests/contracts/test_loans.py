"""Loans: origination on a lien, the lifecycle state machine, servicing that follows the lien."""

from __future__ import annotations

import pytest

from registry.enums import LoanState
from tests.contracts.chainkit import DeployedRegistry, World, ref, release_reason, reverts, same


@pytest.fixture(scope="module")
def w(registry: DeployedRegistry) -> World:
    return World(registry)


def _state(w: World, loan_id: int) -> str:
    return w.reader.loan(loan_id).state


# --------------------------------------------------------------- origination


def test_origination_links_the_loan_to_its_lien(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    loan_ref, terms, schedule = ref("loan"), ref("terms"), ref("sched")
    result = w.lender.originate_loan(lien_id, loan_ref, terms, schedule)
    event = result.event("LoanOriginated")
    loan_id = event.args["loanId"]
    assert (event.args["lienId"], event.args["vin"]) == (lien_id, vin)
    assert event.args["termsHash"] == "0x" + terms.hex()
    assert event.args["scheduleHash"] == "0x" + schedule.hex()
    assert event.args["loanRef"] == "0x" + loan_ref.hex()
    loan = w.reader.loan(loan_id)
    assert (loan.lien_id, loan.state) == (lien_id, "ORIGINATED")
    assert loan.terms_hash == "0x" + terms.hex()
    assert same(loan.lender, w.cast.lender.address)
    assert w.reader.loan_of_lien(lien_id) == loan_id


def test_only_the_lienholder_originates(w: World) -> None:
    lien_id = w.lien(w.title(), w.lender)
    with reverts("LoanNotLienholder", lienId=lien_id, holder=w.cast.lender.address):
        w.loan(lien_id, w.lender2)


@pytest.mark.parametrize("who", ["registrar", "dealer", "insurer", "owner", "outsider"])
def test_only_a_lender_originates(w: World, who: str) -> None:
    lien_id = w.lien(w.title())
    with reverts("LoanUnauthorizedAccount"):
        w.loan(lien_id, w.everyone[who])


def test_origination_needs_an_active_lien(w: World) -> None:
    lien_id = w.lien(w.title())
    w.lender.release_lien(lien_id)
    with reverts("LoanLienNotActive", lienId=lien_id):
        w.loan(lien_id)
    with reverts("LoanLienNotActive"):
        w.loan(lien_id + 10_000)


def test_a_lien_secures_one_loan(w: World) -> None:
    lien_id = w.lien(w.title())
    first = w.loan(lien_id)
    with reverts("LoanLienAlreadyFinanced", lienId=lien_id, loanId=first):
        w.loan(lien_id)


# ----------------------------------------------------------------- lifecycle


def test_full_lifecycle_to_repossession_and_charge_off(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    loan_id = w.loan(lien_id)
    with reverts("LoanZeroAmount"):
        w.lender.record_disbursement(loan_id, 0)
    w.lender.record_disbursement(loan_id, 2_000_000)
    assert _state(w, loan_id) == "ACTIVE"
    payment = w.lender.record_payment(loan_id, 45_000, ref("pay"))
    assert payment.event("LoanPaymentRecorded").args["amount"] == 45_000
    w.lender.record_delinquency(loan_id, 31)
    assert _state(w, loan_id) == "DELINQUENT"
    w.lender.record_delinquency(loan_id, 0)
    assert _state(w, loan_id) == "ACTIVE"
    w.lender.record_delinquency(loan_id, 95)
    w.lender.declare_default(loan_id)
    assert _state(w, loan_id) == "DEFAULTED"
    w.lender.record_payment(loan_id, 1_000)  # a defaulted loan still takes payments
    new_terms, new_schedule = ref("terms2"), ref("sched2")
    w.lender.restructure_loan(loan_id, new_terms, new_schedule)
    loan = w.reader.loan(loan_id)
    assert (loan.state, loan.terms_hash) == ("ACTIVE", "0x" + new_terms.hex())
    assert loan.schedule_hash == "0x" + new_schedule.hex()
    w.lender.declare_default(loan_id)
    result = w.lender.repossess(loan_id)
    assert release_reason(result, lien_id) == "REPOSSESSION"
    assert same(result.event("TitleTransferred").args["to"], w.cast.lender.address)
    assert _state(w, loan_id) == "REPOSSESSED"
    assert w.reader.lien(lien_id).status == "REPOSSESSED"
    title = w.reader.title(vin)
    assert same(title.owner, w.cast.lender.address)
    assert title.active_liens == 0
    w.lender.charge_off(loan_id, 600_000)
    assert _state(w, loan_id) == "CHARGED_OFF"


def test_repossession_needs_a_default(w: World) -> None:
    vin, lien_id, loan_id = w.active_loan()
    with reverts("LoanUnexpectedState", loanId=loan_id, current=LoanState.ACTIVE.chain_index):
        w.lender.repossess(loan_id)
    assert same(w.reader.title(vin).owner, w.cast.owner.address)
    assert w.reader.lien(lien_id).status == "ACTIVE"


def test_repossession_leaves_junior_liens_standing(w: World) -> None:
    vin, senior, loan_id = w.active_loan()
    junior = w.lien(vin, w.lender2)
    w.lender.declare_default(loan_id)
    w.lender.repossess(loan_id)
    assert same(w.reader.title(vin).owner, w.cast.lender.address)
    assert w.reader.active_liens(vin) == [junior]
    assert w.reader.lien(junior).priority == 1
    assert w.reader.lien(senior).status == "REPOSSESSED"


def test_repossession_refused_when_the_lien_is_gone(w: World) -> None:
    vin, lien_id, loan_id = w.active_loan()
    w.lender.release_lien(lien_id)
    w.lender.declare_default(loan_id)
    with reverts("RegistryLienNotActive", lienId=lien_id):
        w.lender.repossess(loan_id)
    assert same(w.reader.title(vin).owner, w.cast.owner.address)


def test_payoff_releases_the_lien(w: World) -> None:
    vin, lien_id, loan_id = w.active_loan()
    w.lender.record_payment(loan_id, 2_000_000)
    result = w.lender.pay_off(loan_id)
    assert release_reason(result, lien_id) == "PAYOFF"
    assert result.event("LoanPaidOff").args["lienId"] == lien_id
    assert _state(w, loan_id) == "PAID_OFF"
    assert w.reader.lien(lien_id).status == "RELEASED"
    w.owner.transfer_title(vin, w.cast.buyer.address)  # the title is free again


def test_payoff_after_a_release_at_sale_leaves_the_lien_alone(w: World) -> None:
    vin, lien_id, loan_id = w.active_loan()
    consent = w.consent(w.lender, vin, lien_id, w.buyer, release=True)
    w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [consent])
    result = w.lender.pay_off(loan_id)
    assert result.all("LienReleased") == []
    assert _state(w, loan_id) == "PAID_OFF"


def test_payoff_straight_from_origination(w: World) -> None:
    lien_id = w.lien(w.title())
    loan_id = w.loan(lien_id)
    w.lender.pay_off(loan_id)
    assert _state(w, loan_id) == "PAID_OFF"
    assert w.reader.lien(lien_id).status == "RELEASED"


def test_state_machine_refusals(w: World) -> None:
    lien_id = w.lien(w.title())
    loan_id = w.loan(lien_id)
    originated = LoanState.ORIGINATED.chain_index
    for action in (
        lambda: w.lender.record_payment(loan_id, 10),
        lambda: w.lender.record_delinquency(loan_id, 30),
        lambda: w.lender.declare_default(loan_id),
        lambda: w.lender.restructure_loan(loan_id, ref(), ref()),
        lambda: w.lender.repossess(loan_id),
        lambda: w.lender.charge_off(loan_id, 1),
    ):
        with reverts("LoanUnexpectedState", current=originated):
            action()
    w.lender.record_disbursement(loan_id, 100)
    with reverts("LoanUnexpectedState"):
        w.lender.record_disbursement(loan_id, 100)
    with reverts("LoanUnexpectedState"):
        w.lender.charge_off(loan_id, 1)
    w.lender.declare_default(loan_id)
    for action in (
        lambda: w.lender.declare_default(loan_id),
        lambda: w.lender.record_delinquency(loan_id, 120),
        lambda: w.lender.record_disbursement(loan_id, 1),
    ):
        with reverts("LoanUnexpectedState", current=LoanState.DEFAULTED.chain_index):
            action()
    w.lender.charge_off(loan_id, 100)
    for action in (
        lambda: w.lender.pay_off(loan_id),
        lambda: w.lender.record_payment(loan_id, 10),
        lambda: w.lender.repossess(loan_id),
        lambda: w.lender.charge_off(loan_id, 1),
    ):
        with reverts("LoanUnexpectedState", current=LoanState.CHARGED_OFF.chain_index):
            action()


def test_paid_off_is_final(w: World) -> None:
    _, _, loan_id = w.active_loan()
    w.lender.pay_off(loan_id)
    for action in (
        lambda: w.lender.pay_off(loan_id),
        lambda: w.lender.record_payment(loan_id, 10),
        lambda: w.lender.declare_default(loan_id),
        lambda: w.lender.restructure_loan(loan_id, ref(), ref()),
    ):
        with reverts("LoanUnexpectedState", current=LoanState.PAID_OFF.chain_index):
            action()


def test_unexpected_state_names_the_allowed_states(w: World) -> None:
    _, _, loan_id = w.active_loan()
    with reverts("LoanUnexpectedState") as info:
        w.lender.charge_off(loan_id, 1)
    allowed = int(info.value.arguments["allowedStates"], 16)
    assert {s for i, s in enumerate(LoanState) if allowed >> i & 1} == {
        "DEFAULTED",
        "REPOSSESSED",
    }
    assert "defaulted, repossessed" in info.value.message


def test_unknown_loan_and_wrong_lender(w: World) -> None:
    _, _, loan_id = w.active_loan()
    with reverts("LoanNotFound"):
        w.lender.record_payment(loan_id + 10_000, 5)
    with reverts("LoanNotLender", loanId=loan_id, lender=w.cast.lender.address):
        w.lender2.record_payment(loan_id, 5)


# ------------------------------------------------------------------ servicing


def test_assignment_moves_the_servicing(w: World) -> None:
    _, lien_id, loan_id = w.active_loan()
    result = w.lender.assign_lien(lien_id, w.cast.lender2.address)
    moved = result.event("LoanServicingTransferred")
    assert moved.args["loanId"] == loan_id
    assert same(moved.args["from"], w.cast.lender.address)
    assert same(moved.args["to"], w.cast.lender2.address)
    assert same(w.reader.loan(loan_id).lender, w.cast.lender2.address)
    with reverts("LoanNotLender"):
        w.lender.record_payment(loan_id, 100)
    w.lender2.record_payment(loan_id, 100)
    w.lender2.pay_off(loan_id)
    assert w.reader.lien(lien_id).status == "RELEASED"


def test_assignment_of_an_unfinanced_lien_touches_no_loan(w: World) -> None:
    lien_id = w.lien(w.title())
    result = w.lender.assign_lien(lien_id, w.cast.lender2.address)
    assert result.all("LoanServicingTransferred") == []
    loan_id = w.loan(lien_id, w.lender2)
    assert same(w.reader.loan(loan_id).lender, w.cast.lender2.address)


# -------------------------------------------------------------------- batches


def test_originate_loans_batch(w: World) -> None:
    liens = [w.lien(w.title()) for _ in range(3)]
    result = w.lender.originate_loans_batch(
        liens, [ref() for _ in liens], [ref() for _ in liens], [ref() for _ in liens]
    )
    events = result.all("LoanOriginated")
    ids = [e.args["loanId"] for e in events]
    assert ids == list(range(ids[0], ids[0] + 3))
    assert [e.args["lienId"] for e in events] == liens
    assert [w.reader.loan_of_lien(lien) for lien in liens] == ids
    nxt = w.reader.read(w.reader.loans, "nextLoanId")
    assert nxt == ids[-1] + 1


@pytest.mark.parametrize("short", [1, 2, 3])
def test_originate_loans_batch_refuses_a_length_mismatch(w: World, short: int) -> None:
    liens = [w.lien(w.title()) for _ in range(2)]
    columns = [[ref(), ref()] for _ in range(3)]
    columns[short - 1] = columns[short - 1][:1]
    with reverts("LoanBatchLengthMismatch", expected=2, actual=1):
        w.lender.originate_loans_batch(liens, *columns)


def test_originate_loans_batch_is_all_or_nothing(w: World) -> None:
    mine = w.lien(w.title(), w.lender)
    theirs = w.lien(w.title(), w.lender2)
    with reverts("LoanNotLienholder"):
        w.lender.originate_loans_batch([mine, theirs], [ref()] * 2, [ref()] * 2, [ref()] * 2)
    assert w.reader.loan_of_lien(mine) == 0


def test_record_payments_batch(w: World) -> None:
    loans = [w.active_loan()[2] for _ in range(3)]
    result = w.lender.record_payments_batch(loans, [100, 200, 300], [ref() for _ in loans])
    events = result.all("LoanPaymentRecorded")
    assert [(e.args["loanId"], e.args["amount"]) for e in events] == list(
        zip(loans, [100, 200, 300], strict=True)
    )


def test_record_payments_batch_refusals(w: World) -> None:
    loans = [w.active_loan()[2] for _ in range(2)]
    with reverts("LoanBatchLengthMismatch", expected=2, actual=1):
        w.lender.record_payments_batch(loans, [100], [ref(), ref()])
    with reverts("LoanBatchLengthMismatch", expected=2, actual=3):
        w.lender.record_payments_batch(loans, [100, 100], [ref(), ref(), ref()])
    with reverts("LoanZeroAmount", loanId=loans[1]):
        w.lender.record_payments_batch(loans, [100, 0], [ref(), ref()])
    _, _, foreign = w.active_loan(w.lender2)
    with reverts("LoanNotLender", loanId=foreign):
        w.lender.record_payments_batch([loans[0], foreign], [1, 1], [ref(), ref()])


def test_record_disbursements_batch(w: World) -> None:
    loans = [w.loan(w.lien(w.title())) for _ in range(2)]
    with reverts("LoanBatchLengthMismatch", expected=2, actual=1):
        w.lender.record_disbursements_batch(loans, [5])
    w.lender.record_disbursements_batch(loans, [5, 6])
    assert [_state(w, i) for i in loans] == ["ACTIVE", "ACTIVE"]
    with reverts("LoanUnexpectedState"):
        w.lender.record_disbursements_batch(loans, [5, 6])
