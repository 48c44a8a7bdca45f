"""Random sequences of pledge actions by random participants against a real chain.

A hypothesis state machine keeps a model of a few loans (their servicer, state and pledge),
predicts whether each action is accepted or refused, and after every step checks on chain:

- a loan carries at most one active pledge, and it is the one the model says (its funder);
- a pledge changes only by its servicer's pledge, or its funder's release or sale;
- a payoff leaves the pledge; a pledged loan's lien moves only with its funder's consent.

Each example runs on the same chain between ``evm_snapshot`` and ``evm_revert``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from registry.client import RegistryClient
from registry.errors import ContractRejection
from tests.kit.chain import HOUR, Registry

ROLES = ("registrar", "lender", "lender2", "dealer", "owner", "outsider", "funder", "funder2")
LENDERS = ("lender", "lender2")
FUNDERS = ("funder", "funder2")
LOAN = st.integers(0, 2)
#: Who acts: None stands for the participant entitled to (servicer or funder), so that about
#: half the actions are accepted; otherwise anyone, mostly refused.
ACTOR = st.one_of(st.none(), st.sampled_from(ROLES))


@dataclass
class LoanModel:
    loan_id: int
    lien_id: int
    servicer: str
    live: bool = True  # not paid off
    funder: str | None = None  # the active pledge's funder


class Machine(RuleBasedStateMachine):
    world: ClassVar[Registry]

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = self.world.rpc.request("evm_snapshot", [])
        self.loans: list[LoanModel] = []

    def teardown(self) -> None:
        self.world.rpc.request("evm_revert", [self.snapshot])

    def client(self, role: str) -> RegistryClient:
        return self.world.everyone[role]

    def attempt(self, expected: bool, action: Any) -> None:
        """Runs ``action``; asserts it was accepted iff ``expected``."""
        try:
            action()
        except ContractRejection as refusal:
            assert not expected, f"refused but should pass: {refusal}"
            return
        assert expected, "accepted but should be refused"

    @initialize()
    def loans_on_chain(self) -> None:
        for servicer in ("lender", "lender", "lender2"):
            _, lien_id, loan_id = self.world.active_loan(self.client(servicer))
            self.loans.append(LoanModel(loan_id, lien_id, servicer))

    @rule(i=LOAN, funder=st.sampled_from((*FUNDERS, "lender2")), actor=ACTOR)
    def pledge(self, i: int, funder: str, actor: str | None) -> None:
        loan = self.loans[i]
        who = actor or loan.servicer
        ok = who == loan.servicer and loan.live and loan.funder is None and funder in FUNDERS
        self.attempt(ok, lambda: self.client(who).pledge_loan(
            loan.loan_id, self.client(funder).address))  # fmt: skip
        if ok:
            loan.funder = funder

    @rule(i=LOAN, reason=st.sampled_from(("repurchase", "remittance")), actor=ACTOR)
    def release(self, i: int, reason: str, actor: str | None) -> None:
        loan = self.loans[i]
        who = actor or loan.funder or "funder"
        ok = loan.funder is not None and who == loan.funder
        self.attempt(ok, lambda: self.client(who).release_pledge(loan.loan_id, reason))
        if ok:
            loan.funder = None

    @rule(i=LOAN, to=st.sampled_from((*FUNDERS, "outsider")), actor=ACTOR)
    def sell(self, i: int, to: str, actor: str | None) -> None:
        loan = self.loans[i]
        who = actor or loan.funder or "funder"
        ok = loan.funder is not None and who == loan.funder and to in FUNDERS and to != who
        self.attempt(ok, lambda: self.client(who).transfer_pledge(
            loan.loan_id, self.client(to).address))  # fmt: skip
        if ok:
            loan.funder = to

    @rule(i=LOAN, consent_by=st.one_of(st.none(), st.sampled_from(FUNDERS)))
    def sell_the_lien(self, i: int, consent_by: str | None) -> None:
        loan = self.loans[i]
        if not loan.live:
            return  # a payoff released the lien
        to = "lender2" if loan.servicer == "lender" else "lender"
        address = self.client(to).address
        consent = None
        if consent_by is not None and loan.funder is not None:
            deadline = self.world.now() + HOUR
            consent = self.client(consent_by).sign_pledge_consent(
                loan.loan_id, address, deadline=deadline
            )
        ok = loan.funder is None or (consent is not None and consent_by == loan.funder)
        self.attempt(ok, lambda: self.client(loan.servicer).assign_lien(
            loan.lien_id, address, consent))  # fmt: skip
        if ok:
            loan.servicer = to

    @rule(i=LOAN)
    def pay_off(self, i: int) -> None:
        loan = self.loans[i]
        self.attempt(loan.live, lambda: self.client(loan.servicer).pay_off(loan.loan_id))
        loan.live = False

    @invariant()
    def the_chain_holds_the_model_s_pledges(self) -> None:
        reader = self.world.reader
        for loan in self.loans:
            pledge = reader.pledge_of(loan.loan_id)
            funder = self.client(loan.funder).address if loan.funder else None
            assert (pledge.funder if pledge else None) == funder, loan
            assert reader.loan(loan.loan_id).lender == self.client(loan.servicer).address


def test_pledge_state_machine(fresh_registry: Registry) -> None:
    """On a chain of its own: the examples' snapshots and reverts touch nothing else."""
    Machine.world = fresh_registry
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=20,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
