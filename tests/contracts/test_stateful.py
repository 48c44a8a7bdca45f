"""Random sequences of actions by random participants against a real chain.

A hypothesis state machine keeps a small model of titles and liens, predicts whether each
action is accepted or refused, and after every step checks the registry's invariants on the
chain itself:

- one owner per title, and it changes only as the accepted actions say;
- brands never disappear; the status follows the brands;
- the odometer never goes down, except by a registrar's correction (odometer-not-actual);
- the priorities of a vehicle's active liens are exactly 1..n in registration order;
- a title never moves while an active lien stands without its holder's consent (a
  repossession moves it to the repossessing lienholder; junior liens follow the vehicle).

Each example runs on the same chain between ``evm_snapshot`` and ``evm_revert``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from registry.client import RegistryClient
from registry.errors import ContractRejection
from registry.transactor import TxResult
from registry.vin import vin_to_bytes32
from tests.kit.chain import Registry, ref
from tests.kit.vins import fresh_vin

ROLES = ("registrar", "lender", "lender2", "dealer", "insurer", "owner", "buyer", "outsider")
LENDERS = ("lender", "lender2")
ODOMETER_RECORDERS = {"registrar", "dealer", "insurer"}
#: Brands drawn by the machine, weighted towards those that move the status (junk is final).
BRANDS = ("SALVAGE", "REBUILT", "STOLEN", "RECOVERED_THEFT") * 2 + ("FLOOD", "JUNK")
FIRST_OWNERS = ("dealer", "owner", "buyer")
VIN = st.integers(0, len(FIRST_OWNERS) - 1)
#: Who acts: None stands for the participant entitled to (the owner, the holder, ...), so that
#: about half the actions are accepted; otherwise anyone, mostly refused.
ACTOR = st.one_of(st.none(), st.sampled_from(ROLES))
REPOSSESSION = -1  # marks a move by repossession in ``Machine.consented``


@dataclass
class LienModel:
    lien_id: int
    vin: str
    holder: str
    floor_plan: bool
    active: bool = True


@dataclass
class TitleModel:
    vin: str
    owner: str
    odometer: int = 1_000
    status: str = "ACTIVE"
    brands: set[str] = field(default_factory=set)
    transfers: int = 0

    @property
    def transferable(self) -> bool:
        return self.status not in ("STOLEN", "SCRAPPED")


def status_after_brand(status: str, brand: str, brands: set[str]) -> str:
    """The title status once ``brand`` has joined ``brands`` (the registry's rules)."""
    if status == "SCRAPPED":
        return status
    if brand == "JUNK":
        return "SCRAPPED"
    if brand == "STOLEN":
        return "STOLEN"
    if brand == "SALVAGE":
        return status if status == "STOLEN" else "TOTAL_LOSS"
    if brand == "REBUILT" and status == "TOTAL_LOSS":
        return "ACTIVE"
    if brand == "RECOVERED_THEFT" and status == "STOLEN":
        unrebuilt = "SALVAGE" in brands and "REBUILT" not in brands
        return "TOTAL_LOSS" if unrebuilt else "ACTIVE"
    return status


class Machine(RuleBasedStateMachine):
    world: ClassVar[Registry]

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = self.world.rpc.request("evm_snapshot", [])
        self.titles: list[TitleModel] = []
        self.liens: list[LienModel] = []
        self.by_address = {c.address.lower(): role for role, c in self.world.everyone.items()}
        # per VIN: lien ids whose holder consented in the last step (or REPOSSESSION)
        self.consented: dict[str, set[int]] = {}
        self.corrected: set[str] = set()  # VINs whose odometer the last step corrected
        self.seen: dict[str, tuple[int, frozenset[str], int, tuple[int, ...]]] = {}

    def teardown(self) -> None:
        self.world.rpc.request("evm_revert", [self.snapshot])

    # ---------------------------------------------------------------- helpers

    def client(self, role: str) -> RegistryClient:
        return self.world.everyone[role]

    def active_liens(self, vin: str) -> list[LienModel]:
        return [lien for lien in self.liens if lien.vin == vin and lien.active]

    def attempt(self, expected: bool, action: Any) -> TxResult | None:
        """Runs ``action``; asserts it was accepted iff ``expected``."""
        try:
            result: TxResult = action()
        except ContractRejection as refusal:
            assert not expected, f"refused but should pass: {refusal}"
            return None
        assert expected, f"accepted but should be refused: {result.events}"
        return result

    def move(self, title: TitleModel, to: str) -> None:
        title.owner = to
        title.transfers += 1

    def begin_step(self) -> None:
        self.consented = {}
        self.corrected = set()

    # ------------------------------------------------------------------ rules

    @initialize()
    def issue(self) -> None:
        vins = [fresh_vin() for _ in FIRST_OWNERS]
        owners = [self.client(role).address for role in FIRST_OWNERS]
        self.world.registrar.issue_titles_batch(vins, owners, [1_000] * len(vins))
        self.titles = [TitleModel(v, o) for v, o in zip(vins, FIRST_OWNERS, strict=True)]
        self.begin_step()

    @rule(t=VIN, actor=ACTOR, to=st.sampled_from(ROLES))
    def transfer(self, t: int, actor: str | None, to: str) -> None:
        self.begin_step()
        title = self.titles[t]
        actor = actor or title.owner
        ok = (
            actor == title.owner
            and to != title.owner
            and title.transferable
            and not self.active_liens(title.vin)
        )
        if self.attempt(ok, lambda: self.client(actor).transfer_title(title.vin, self.addr(to))):
            self.move(title, to)

    @rule(
        t=VIN,
        to=st.sampled_from(ROLES),
        signed=st.lists(st.booleans(), min_size=4, max_size=4),
        releases=st.lists(st.booleans(), min_size=4, max_size=4),
        forge=st.booleans(),
    )
    def transfer_with_consent(
        self, t: int, to: str, signed: list[bool], releases: list[bool], forge: bool
    ) -> None:
        self.begin_step()
        title = self.titles[t]
        active = self.active_liens(title.vin)
        consents = []
        complete, genuine = True, True
        for i, lien in enumerate(active):
            if not signed[i % 4]:
                complete = False
                continue
            signer = lien.holder
            if forge and i == 0:
                signer = "lender2" if lien.holder == "lender" else "lender"
                genuine = False
            consents.append(
                self.world.consent(
                    self.client(signer), title.vin, lien.lien_id, self.addr(to),
                    release=releases[i % 4], from_owner=self.client(title.owner),
                )
            )  # fmt: skip
        ok = to != title.owner and title.transferable and complete and genuine
        owner = self.client(title.owner)
        result = self.attempt(
            ok, lambda: owner.transfer_title_with_consent(title.vin, self.addr(to), consents)
        )
        if result is not None:
            self.consented[title.vin] = {c.lien_id for c in consents}
            for i, lien in enumerate(active):
                lien.active = not releases[i % 4]
            self.move(title, to)

    @rule(t=VIN, actor=ACTOR, floor_plan=st.booleans(), second=st.booleans())
    def register_lien(self, t: int, actor: str | None, floor_plan: bool, second: bool) -> None:
        self.begin_step()
        title = self.titles[t]
        actor = actor or LENDERS[second]
        ok = actor in LENDERS and title.transferable
        try:
            lien_id = self.client(actor).register_lien(title.vin, floor_plan=floor_plan).id
        except ContractRejection as refusal:
            assert not ok, f"refused but should pass: {refusal}"
            return
        assert ok, "a lien registered that should have been refused"
        self.liens.append(LienModel(lien_id, title.vin, actor, floor_plan))

    @precondition(lambda self: self.liens)
    @rule(pick=st.integers(0, 10**6), actor=ACTOR)
    def release_lien(self, pick: int, actor: str | None) -> None:
        self.begin_step()
        lien = self.liens[pick % len(self.liens)]
        actor = actor or lien.holder
        ok = lien.active and actor == lien.holder
        if self.attempt(ok, lambda: self.client(actor).release_lien(lien.lien_id)):
            lien.active = False

    @precondition(lambda self: self.liens)
    @rule(pick=st.integers(0, 10**6), actor=ACTOR, to=st.sampled_from(ROLES))
    def assign_lien(self, pick: int, actor: str | None, to: str) -> None:
        self.begin_step()
        lien = self.liens[pick % len(self.liens)]
        actor = actor or lien.holder
        ok = lien.active and actor == lien.holder and to in LENDERS and to != actor
        if self.attempt(ok, lambda: self.client(actor).assign_lien(lien.lien_id, self.addr(to))):
            lien.holder = to

    @rule(t=VIN, brand=st.sampled_from(BRANDS), actor=ACTOR)
    def apply_brand(self, t: int, brand: str, actor: str | None) -> None:
        self.begin_step()
        title = self.titles[t]
        actor = actor or "registrar"
        requires = {"REBUILT": "SALVAGE", "RECOVERED_THEFT": "STOLEN"}.get(brand)
        ok = (
            actor == "registrar"
            and brand not in title.brands
            and (requires is None or requires in title.brands)
        )
        if self.attempt(ok, lambda: self.client(actor).apply_brand(title.vin, brand)):
            title.brands.add(brand)
            title.status = status_after_brand(title.status, brand, title.brands)

    @rule(t=VIN, actor=ACTOR, delta=st.integers(-300, 3_000))
    def record_odometer(self, t: int, actor: str | None, delta: int) -> None:
        self.begin_step()
        title = self.titles[t]
        actor = actor or title.owner
        reading = max(0, title.odometer + delta)
        may = actor == title.owner or actor in ODOMETER_RECORDERS
        ok = may and reading >= title.odometer
        if self.attempt(ok, lambda: self.client(actor).record_odometer(title.vin, reading)):
            title.odometer = reading

    @rule(t=VIN, down=st.integers(1, 2_000))
    def correct_odometer(self, t: int, down: int) -> None:
        self.begin_step()
        title = self.titles[t]
        reading = max(0, title.odometer - down)
        self.world.registrar.correct_odometer(title.vin, reading)
        title.odometer = reading
        title.brands.add("ODOMETER_NOT_ACTUAL")
        self.corrected.add(title.vin)

    @rule(t=VIN, buyer=st.sampled_from(ROLES), pay_off=st.booleans())
    def dealer_sale(self, t: int, buyer: str, pay_off: bool) -> None:
        self.begin_step()
        title = self.titles[t]
        active = self.active_liens(title.vin) if title.owner == "dealer" else []
        consents = [
            self.world.consent(
                self.client(lien.holder), title.vin, lien.lien_id, self.addr(buyer),
                release=True, from_owner=self.world.dealer,
            )
            for lien in active
            if pay_off
        ]  # fmt: skip
        ok = title.owner == "dealer" and buyer != "dealer" and title.transferable
        sale = self.attempt(
            ok, lambda: self.world.dealer.record_sale(title.vin, self.addr(buyer), ref(), consents)
        )
        if sale is None:
            return
        if pay_off:
            for lien in active:
                lien.active = False
            self.consented[title.vin] = {c.lien_id for c in consents}
        standing = self.active_liens(title.vin)
        floor_plans = [lien.lien_id for lien in standing if lien.floor_plan]
        event = sale.event("SaleRecorded")
        assert event.args["floorPlanLienId"] == (min(floor_plans) if floor_plans else 0)
        assert event.args["titleTransferred"] is (not standing)
        if not standing:
            self.move(title, buyer)

    @precondition(lambda self: any(lien.active for lien in self.liens))
    @rule(pick=st.integers(0, 10**6))
    def repossess(self, pick: int) -> None:
        """The holder of an active lien finances it, lets it default and repossesses."""
        self.begin_step()
        active = [lien for lien in self.liens if lien.active]
        lien = active[pick % len(active)]
        lender = self.client(lien.holder)
        loan_id = self.world.loan(lien.lien_id, lender)
        lender.record_disbursement(loan_id, 1_000_000)
        lender.declare_default(loan_id)
        lender.repossess(loan_id)
        lien.active = False
        title = next(t for t in self.titles if t.vin == lien.vin)
        if title.owner != lien.holder:
            self.move(title, lien.holder)
        self.consented[title.vin] = {REPOSSESSION}

    @rule(t=VIN, flood=st.booleans())
    def total_loss(self, t: int, flood: bool) -> None:
        self.begin_step()
        title = self.titles[t]
        insurer = self.world.insurer
        policy = insurer.record_policy(title.vin, None, ref(), 2**40).id
        insurer.declare_total_loss(insurer.file_claim(policy, ref(), 1).id, flood=flood)
        if flood and "FLOOD" not in title.brands:
            title.brands.add("FLOOD")
        if "SALVAGE" not in title.brands:
            title.brands.add("SALVAGE")
            title.status = status_after_brand(title.status, "SALVAGE", title.brands)
        elif title.status == "ACTIVE":
            title.status = "TOTAL_LOSS"

    def addr(self, role: str) -> str:
        return self.client(role).address

    # ------------------------------------------------------------- invariants

    @invariant()
    def chain_agrees_and_rules_hold(self) -> None:
        reader = self.world.reader
        registry = reader.registry
        for model in self.titles:
            title = reader.title(model.vin)
            owner = self.by_address[title.owner.lower()]
            brands = frozenset(title.brands)
            active = tuple(reader.active_liens(model.vin))
            before = self.seen.get(model.vin)
            # one owner per title, moving only as the accepted actions said
            assert owner == model.owner, (model.vin, owner, model.owner)
            assert title.transfers == model.transfers
            assert (title.status, brands) == (model.status, frozenset(model.brands))
            assert title.odometer == model.odometer
            if before is not None:
                transfers, old_brands, odometer, old_active = before
                assert brands >= old_brands, "a brand disappeared"
                if model.vin not in self.corrected:
                    assert title.odometer >= odometer, "the odometer went down"
                else:
                    assert "ODOMETER_NOT_ACTUAL" in brands
                if title.transfers != transfers:
                    consented = self.consented.get(model.vin, set())
                    unconsented = set(old_active) - consented
                    assert REPOSSESSION in consented or not unconsented, (
                        f"{model.vin} moved past active liens {sorted(unconsented)}"
                    )
            # priorities: 1..n in registration order
            expected = tuple(lien.lien_id for lien in self.active_liens(model.vin))
            assert active == tuple(sorted(expected))
            assert title.active_liens == len(active)
            ranks = [reader.read(registry, "lienPriority", lien_id) for lien_id in active]
            assert ranks == list(range(1, len(active) + 1))
            assert reader.read(registry, "titleOf", vin_to_bytes32(model.vin))[2] == len(active)
            self.seen[model.vin] = (title.transfers, brands, title.odometer, active)
        for lien in self.liens:
            holder = self.by_address[reader.lien(lien.lien_id).holder.lower()]
            assert holder == lien.holder


@pytest.mark.fuzzing
def test_registry_state_machine(fresh_registry: Registry) -> None:
    """On a chain of its own: the examples' snapshots and reverts touch nothing else."""
    Machine.world = fresh_registry
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            # Shrinking replays hundreds of chain examples (minutes): a failure is reported
            # as found, at most 30 steps long, and saved in .hypothesis/ to be replayed first.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )
