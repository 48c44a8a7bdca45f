"""Pledges of loans to funders (``contracts/loans/Pledges.sol``): every rule and its refusal.

Who may not act at all is covered for every function by ``test_access.py``; here each rule is
exercised on a real chain, with the refusal that guards it.
"""

from __future__ import annotations

import pytest

from registry.addresses import checksum_address
from registry.domain import FunderConsent
from registry.enums import PledgeReleaseReason
from registry.errors import InvalidInput
from tests.kit.chain import HOUR, Registry
from tests.kit.expect import reverts, same


def test_the_servicer_pledges_a_loan_to_a_funder(registry: Registry) -> None:
    _, _, loan_id = registry.active_loan()
    result = registry.lender.pledge_loan(loan_id, registry.cast.funder.address)
    ev = result.event("LoanPledged")
    assert ev.args["pledgeId"] == result.id and ev.args["loanId"] == loan_id
    assert same(ev.args["funder"], registry.cast.funder.address)
    assert same(ev.args["lender"], registry.cast.lender.address)
    pledge = registry.reader.pledge_of(loan_id)
    assert pledge is not None and pledge.pledge_id == result.id
    assert same(pledge.funder, registry.cast.funder.address)
    assert registry.reader.pledge(result.id).active


@pytest.mark.parametrize("second", ["funder", "funder2"])
def test_a_second_pledge_is_refused_naming_the_funder_holding_it(
    registry: Registry, second: str
) -> None:
    _, _, loan_id, pledge_id = registry.pledged_loan()
    other = registry.everyone[second].address
    with reverts(
        "PledgeLoanAlreadyPledged",
        loanId=loan_id,
        pledgeId=pledge_id,
        funder=registry.cast.funder.address,
    ) as info:
        registry.lender.pledge_loan(loan_id, other)
    assert "Harbor" not in str(info.value)  # the chain names addresses, never people
    assert registry.cast.funder.address in str(info.value)


def test_a_batch_pledges_a_pool_and_refuses_a_loan_listed_twice(registry: Registry) -> None:
    loans = [registry.active_loan()[2] for _ in range(3)]
    result = registry.lender.pledge_loans_batch(loans, registry.cast.funder2.address)
    assert list(result.ids) == list(range(result.ids[0], result.ids[0] + 3))
    assert [ev.args["loanId"] for ev in result.all("LoanPledged")] == loans
    fresh = registry.active_loan()[2]
    with reverts("PledgeLoanAlreadyPledged", loanId=fresh):
        registry.lender.pledge_loans_batch([fresh, fresh], registry.cast.funder.address)
    assert registry.reader.pledge_of(fresh) is None  # the whole batch was refused


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("lender2", "LoanNotLender"),  # a lender, but not this loan's servicer
        ("funder", "LoanUnauthorizedAccount"),  # the funder cannot pledge to itself
        ("owner", "LoanUnauthorizedAccount"),
        ("registrar", "LoanUnauthorizedAccount"),
    ],
)
def test_a_pledge_by_anyone_but_the_servicer_is_refused(
    registry: Registry, who: str, error: str
) -> None:
    _, _, loan_id = registry.active_loan()
    with reverts(error):
        registry.everyone[who].pledge_loan(loan_id, registry.cast.funder.address)
    assert registry.reader.pledge_of(loan_id) is None


def test_after_a_lien_assignment_the_new_servicer_pledges(registry: Registry) -> None:
    _, lien_id, loan_id = registry.active_loan()
    registry.lender.assign_lien(lien_id, registry.cast.lender2.address)
    with reverts("LoanNotLender"):
        registry.lender.pledge_loan(loan_id, registry.cast.funder.address)
    result = registry.lender2.pledge_loan(loan_id, registry.cast.funder.address)
    assert same(result.event("LoanPledged").args["lender"], registry.cast.lender2.address)


@pytest.mark.parametrize("to", ["lender2", "outsider"])
def test_only_an_admitted_funder_takes_a_pledge(registry: Registry, to: str) -> None:
    _, _, loan_id = registry.active_loan()
    address = registry.everyone[to].address
    with reverts("PledgeUnauthorizedAccount", account=address):
        registry.lender.pledge_loan(loan_id, address)


def test_a_closed_loan_cannot_be_pledged(registry: Registry) -> None:
    _, _, paid = registry.active_loan()
    registry.lender.pay_off(paid)
    with reverts("LoanUnexpectedState", loanId=paid):
        registry.lender.pledge_loan(paid, registry.cast.funder.address)


def test_only_the_funder_releases_its_pledge(registry: Registry) -> None:
    _, _, loan_id, pledge_id = registry.pledged_loan()
    for who in ("lender", "funder2", "registrar", "outsider"):
        with reverts("PledgeNotFunder", loanId=loan_id, funder=registry.cast.funder.address):
            registry.everyone[who].release_pledge(loan_id, "repurchase")
    result = registry.funder.release_pledge(loan_id, PledgeReleaseReason.REPURCHASE)
    ev = result.event("PledgeReleased")
    assert ev.args["pledgeId"] == pledge_id
    assert PledgeReleaseReason.from_chain(ev.args["reason"]) is PledgeReleaseReason.REPURCHASE
    assert registry.reader.pledge_of(loan_id) is None
    assert not registry.reader.pledge(pledge_id).active
    with reverts("PledgeNotPledged", loanId=loan_id):
        registry.funder.release_pledge(loan_id, "remittance")
    again = registry.lender.pledge_loan(loan_id, registry.cast.funder2.address).id  # free again
    assert again > pledge_id


def test_a_sale_is_not_a_plain_release(registry: Registry) -> None:
    _, _, loan_id, _ = registry.pledged_loan()
    with pytest.raises(InvalidInput, match="transfer"):
        registry.funder.release_pledge(loan_id, "sale")
    for reason in (PledgeReleaseReason.SALE.chain_index, 7):  # what the client would refuse
        with reverts("PledgeInvalidReason", reason=reason):
            registry.funder.transact(
                registry.funder.loans, "releasePledge", loan_id, reason, action="releasing"
            )


def test_a_remittance_releases_a_pool_in_one_transaction(registry: Registry) -> None:
    loans = [registry.pledged_loan()[2] for _ in range(3)]
    result = registry.funder.release_pledges_batch(loans, "remittance")
    assert [ev.args["loanId"] for ev in result.all("PledgeReleased")] == loans
    assert all(registry.reader.pledge_of(loan) is None for loan in loans)


def test_a_sale_releases_and_pledges_to_the_new_funder_in_one_transaction(
    registry: Registry,
) -> None:
    _, _, loan_id, old = registry.pledged_loan()
    result = registry.funder.transfer_pledge(loan_id, registry.cast.funder2.address)
    assert [ev.name for ev in result.events] == ["PledgeReleased", "LoanPledged"]
    released, pledged = result.events
    assert released.args["pledgeId"] == old
    assert PledgeReleaseReason.from_chain(released.args["reason"]) is PledgeReleaseReason.SALE
    assert pledged.args["pledgeId"] == result.id and same(
        pledged.args["funder"], registry.cast.funder2.address
    )
    pledge = registry.reader.pledge_of(loan_id)
    assert pledge is not None and same(pledge.funder, registry.cast.funder2.address)
    with reverts("PledgeNotFunder", loanId=loan_id):  # the old funder holds nothing now
        registry.funder.transfer_pledge(loan_id, registry.cast.funder.address)


def test_a_sale_needs_another_admitted_funder(registry: Registry) -> None:
    _, _, loan_id, _ = registry.pledged_loan()
    with reverts("PledgeSameFunder", loanId=loan_id):
        registry.funder.transfer_pledge(loan_id, registry.cast.funder.address)
    with reverts("PledgeUnauthorizedAccount", account=registry.cast.lender2.address):
        registry.funder.transfer_pledge(loan_id, registry.cast.lender2.address)
    loans = [loan_id, registry.pledged_loan()[2]]
    result = registry.funder.transfer_pledges_batch(loans, registry.cast.funder2.address)
    assert len(result.ids) == 2
    assert [e.name for e in result.events] == ["PledgeReleased", "LoanPledged"] * 2


@pytest.mark.parametrize("closing", ["payoff", "charge-off"])
def test_a_payoff_or_charge_off_leaves_the_pledge(registry: Registry, closing: str) -> None:
    _, _, loan_id, pledge_id = registry.pledged_loan()
    if closing == "payoff":
        registry.lender.pay_off(loan_id)
    else:
        registry.lender.declare_default(loan_id)
        registry.lender.charge_off(loan_id, 1_000_000)
    pledge = registry.reader.pledge_of(loan_id)
    assert pledge is not None and pledge.pledge_id == pledge_id  # the funder must see it
    registry.funder.release_pledge(loan_id, "remittance")
    assert registry.reader.pledge_of(loan_id) is None


def test_an_unpledged_loan_s_lien_is_assigned_without_consent(registry: Registry) -> None:
    _, lien_id, loan_id = registry.active_loan()
    registry.lender.assign_lien(lien_id, registry.cast.lender2.address)
    assert same(registry.reader.loan(loan_id).lender, registry.cast.lender2.address)


def test_a_pledged_loan_s_lien_needs_the_funder_s_consent(registry: Registry) -> None:
    _, lien_id, loan_id, pledge_id = registry.pledged_loan()
    to = registry.cast.lender2.address
    with reverts(
        "PledgeConsentMissing", loanId=loan_id, pledgeId=pledge_id,
        funder=registry.cast.funder.address,
    ):  # fmt: skip
        registry.lender.assign_lien(lien_id, to)
    consent = registry.funder.sign_pledge_consent(loan_id, to, deadline=registry.now() + HOUR)
    result = registry.lender.assign_lien(lien_id, to, consent)
    assert [e.name for e in result.events] == ["LienAssigned", "LoanServicingTransferred"]
    assert same(registry.reader.loan(loan_id).lender, to)
    pledge = registry.reader.pledge_of(loan_id)
    assert pledge is not None and pledge.pledge_id == pledge_id  # the pledge follows the loan
    assert registry.reader.pledge_nonce(loan_id) == 1


def test_a_funder_consent_is_checked(registry: Registry) -> None:
    _, lien_id, loan_id, _ = registry.pledged_loan()
    lender2, outsider = registry.cast.lender2.address, registry.cast.outsider.address
    deadline = registry.now() + HOUR  # a consent naming another assignee does not fit
    wrong_signer = registry.funder2.sign_pledge_consent(loan_id, lender2, deadline=deadline)
    wrong_to = registry.funder.sign_pledge_consent(loan_id, outsider, deadline=deadline)
    expired = registry.funder.sign_pledge_consent(loan_id, lender2, deadline=registry.now() - 1)
    funder = registry.cast.funder.address
    for consent in (wrong_signer, wrong_to):
        with reverts("PledgeConsentInvalid", loanId=loan_id, funder=funder):
            registry.lender.assign_lien(lien_id, lender2, consent)
    with reverts("PledgeConsentExpired", loanId=loan_id):
        registry.lender.assign_lien(lien_id, lender2, expired)


def test_a_funder_consent_is_used_once(registry: Registry) -> None:
    _, lien_id, loan_id, _ = registry.pledged_loan()
    lender, lender2 = registry.cast.lender.address, registry.cast.lender2.address
    deadline = registry.now() + HOUR
    first = registry.funder.sign_pledge_consent(loan_id, lender2, deadline=deadline)
    registry.lender.assign_lien(lien_id, lender2, first)
    back = registry.funder.sign_pledge_consent(loan_id, lender, deadline=deadline)
    registry.lender2.assign_lien(lien_id, lender, back)
    with reverts("PledgeConsentInvalid", loanId=loan_id):  # the nonce moved on twice
        registry.lender.assign_lien(lien_id, lender2, first)


def test_a_removed_funder_takes_no_new_pledge_but_still_releases(registry: Registry) -> None:
    _, _, loan_id, _ = registry.pledged_loan(registry.funder2)
    funder2 = registry.cast.funder2.address
    registry.registrar.remove_participant(funder2, "funder")
    try:
        assert not registry.reader.has_role("funder", funder2)
        with reverts("PledgeUnauthorizedAccount", account=funder2):
            registry.lender.pledge_loan(registry.active_loan()[2], funder2)
        registry.funder2.release_pledge(loan_id, "repurchase")  # releasing only frees the loan
    finally:
        registry.registrar.admit_participant(funder2, "funder", "Keystone Auto Trust 2026-1")
    assert registry.reader.has_role("funder", funder2)


#: Init code of a contract wallet answering every ERC-1271 ``isValidSignature`` with the magic
#: value 0x1626ba7e (runtime: PUSH4 magic, SHL 224, MSTORE at 0, RETURN 32 bytes) ...
APPROVING_WALLET = "0x6010600c60003960106000f3" + "631626ba7e60e01b60005260206000f3"
#: ... and of one answering with 32 zero bytes (no approval).
REFUSING_WALLET = "0x6005600c60003960056000f3" + "60206000f3"


def test_a_contract_funder_consents_through_erc_1271(registry: Registry) -> None:
    """A trust run by a contract (a multisig) consents by ``isValidSignature``, not ECDSA."""
    wallets = {}
    for name, code in (("approving", APPROVING_WALLET), ("refusing", REFUSING_WALLET)):
        created = registry.registrar.tx.send(None, code, action=f"deploying a {name} wallet")
        wallets[name] = checksum_address(str(created.contract_address))
        registry.registrar.admit_participant(wallets[name], "funder", f"{name} trust")
    to = registry.cast.lender2.address
    for name, wallet in wallets.items():
        _, lien_id, loan_id = registry.active_loan()
        registry.lender.pledge_loan(loan_id, wallet)
        with reverts("PledgeConsentMissing", funder=wallet):
            registry.lender.assign_lien(lien_id, to)
        consent = FunderConsent(loan_id, registry.now() + HOUR, b"\x01" * 65)  # not ECDSA
        if name == "refusing":
            with reverts("PledgeConsentInvalid", loanId=loan_id, funder=wallet):
                registry.lender.assign_lien(lien_id, to, consent)
        else:
            registry.lender.assign_lien(lien_id, to, consent)
            assert same(registry.reader.loan(loan_id).lender, to)
