"""Books of vehicles in known states, made through the participants' clients.

:func:`make_book` is the API tests' book (one vehicle per state a title check shows),
:func:`populate` runs every kind of action once or more (the indexer's coverage),
:func:`random_actions` streams small actions (reorg and crash tests), :func:`make_loan`
originates a loan committing a real repayment schedule, its record saved for a mirror.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from registry import loan_records
from registry.client import RegistryClient
from registry.errors import RegistryError
from registry.schedules import LoanTerms, Schedule, ScheduleKind, build_schedule, commitment_hashes
from tests.kit.chain import Registry, ref
from tests.kit.mirror import Mirror
from tests.kit.vins import fresh_vins


@dataclass(frozen=True)
class Book:
    """The vehicles the API tests look at, each in a known state."""

    clean: str  # title, two odometer readings, nothing else
    liened: str  # two liens (lender first, lender2 second), a loan with a payment
    branded: str  # policy, claim, total loss (salvage) declared by the insurer
    floor_plan: str  # dealer stock under a floor-plan lien, sold out of trust
    released: str  # a lien registered then released: clean again
    unknown: str  # a valid VIN never titled
    lien_first: int
    lien_second: int
    loan_id: int

    @property
    def titled(self) -> list[str]:
        """The book's titled VINs."""
        return [self.clean, self.liened, self.branded, self.floor_plan, self.released]


def make_book(registry: Registry) -> Book:
    """Titles and acts on fresh VINs until each is in its :class:`Book` state."""
    c, registrar, lender = registry.cast, registry.registrar, registry.lender
    dealer, insurer = registry.dealer, registry.insurer
    clean, liened, branded, floor_plan, released, unknown = fresh_vins(6)
    for vin, owner in ((clean, c.owner), (liened, c.owner), (branded, c.owner),
                       (floor_plan, c.dealer), (released, c.owner)):  # fmt: skip
        registrar.issue_title(vin, owner.address, 1_000)
    dealer.record_odometer(clean, 12_500)
    dealer.record_odometer(clean, 18_200)
    first = lender.register_lien(liened).id
    second = registry.lender2.register_lien(liened).id
    loan_id = lender.originate_loan(first, ref("loan"), ref(), ref()).id
    lender.record_disbursement(loan_id, 2_000_000)
    lender.record_payment(loan_id, 45_000, ref("pay"))
    policy = insurer.record_policy(branded, c.lender.address, ref("policy"), 2_000_000_000).id
    claim = insurer.file_claim(policy, ref("claim"), 900_000).id
    insurer.declare_total_loss(claim)
    lender.register_lien(floor_plan, floor_plan=True)
    dealer.record_sale(floor_plan, c.buyer.address, ref("sale"))
    rel = lender.register_lien(released).id
    lender.release_lien(rel)
    return Book(clean, liened, branded, floor_plan, released, unknown, first, second, loan_id)


#: What :func:`populate` does to its vehicles: every kind of vehicle event of the three
#: contracts.
POPULATED_VEHICLE_EVENTS = frozenset({
    "TitleIssued", "TitleTransferred", "TitleStatusChanged", "OdometerRecorded",
    "BrandApplied", "SaleRecorded", "LienRegistered", "LienReleased", "LienAssigned",
    "LoanOriginated", "LoanDisbursed", "LoanPaymentRecorded", "LoanDelinquencyRecorded",
    "LoanDefaulted", "LoanRestructured", "LoanRepossessed", "LoanPaidOff", "LoanChargedOff",
    "LoanServicingTransferred", "PolicyRecorded", "LossPayeeChanged", "PolicyCancelled",
    "ClaimFiled", "ClaimSettled", "ClaimDenied", "TotalLossDeclared",
})  # fmt: skip


def populate(registry: Registry, n: int = 12) -> dict[str, list[Any]]:
    """Issues ``n`` titles and runs every kind of action once or more. Returns the ids
    (``vins``, ``liens``, ``loans``)."""
    c, registrar, lender, lender2 = (
        registry.cast,
        registry.registrar,
        registry.lender,
        registry.lender2,
    )
    dealer, insurer, owner = registry.dealer, registry.insurer, registry.owner
    vs = fresh_vins(n)
    registrar.issue_titles_batch(vs, [c.owner.address] * n, [1000 + i for i in range(n)])
    res = lender.register_liens_batch(vs[: n // 2], [False] * (n // 2))
    liens = [int(e.args["lienId"]) for e in res.all("LienRegistered")]
    second = lender2.register_lien(vs[0]).id  # double pledge: priority 2
    loan_refs, terms, schedules = ([ref(kind) for _ in liens] for kind in ("ref", "terms", "sched"))
    res = lender.originate_loans_batch(liens, loan_refs, terms, schedules)
    loans = [int(e.args["loanId"]) for e in res.all("LoanOriginated")]
    lender.record_disbursements_batch(loans, [1_000_000] * len(loans))
    lender.record_payments_batch(
        loans * 2, [5_000] * (2 * len(loans)), [ref("p") for _ in range(2 * len(loans))]
    )
    lender.release_lien(liens[0])  # priority of `second` moves up to 1
    lender.assign_lien(liens[1], c.lender2.address)  # loan servicing follows
    lender.pay_off(loans[2])
    lender.record_delinquency(loans[3], 45)
    lender.declare_default(loans[3])
    lender.repossess(loans[3])  # the title passes to the lender
    lender.charge_off(loans[3], 1234)
    lender.restructure_loan(loans[4], ref("t2"), ref("s2"))
    owner.transfer_title(vs[-1], c.buyer.address)
    owner.record_odometer(vs[-2], 5000)
    registrar.correct_odometer(vs[-2], 10)
    registrar.apply_brand(vs[-3], "flood")
    policy = insurer.record_policy(vs[-4], c.lender.address, ref("pol"), 2_000_000_000).id
    claim = insurer.file_claim(policy, ref("claim"), 700_000).id
    insurer.declare_total_loss(claim, flood=True)
    insurer.settle_claim(claim, 650_000)
    policy2 = insurer.record_policy(vs[-5], None, ref("pol"), 2_000_000_000).id
    insurer.change_loss_payee(policy2, c.lender2.address)
    claim2 = insurer.file_claim(policy2, ref("claim"), 1).id
    insurer.deny_claim(claim2)
    insurer.cancel_policy(policy2)
    stock = fresh_vins(2)
    registrar.issue_titles_batch(stock, [c.dealer.address] * 2, [10, 20])
    fp = lender.register_lien(stock[0], floor_plan=True).id
    dealer.record_sale(stock[0], c.buyer.address, ref("sale"))  # sold out of trust
    dealer.record_sale(stock[1], c.buyer.address, ref("sale"))  # clean: title passes
    registrar.admit_participant(c.outsider.address, "dealer", "Pop-up Cars")
    registrar.remove_participant(c.outsider.address, "dealer")
    return {"liens": [*liens, second, fp], "loans": loans, "vins": [*vs, *stock]}


def random_actions(registry: Registry, rng: random.Random) -> Iterator[Callable[[], Any]]:
    """An endless stream of small actions chosen by ``rng`` (some may fail after a reorg:
    run them through :func:`safely`)."""
    c, registrar, lender, owner = registry.cast, registry.registrar, registry.lender, registry.owner
    mine: list[str] = []

    def issue(batch: list[str]) -> None:
        registrar.issue_titles_batch(batch, [c.owner.address] * len(batch), [1] * len(batch))

    def lien(vin: str, floor_plan: bool) -> None:
        lender.register_lien(vin, floor_plan=floor_plan)

    def release(vin: str) -> None:
        for lien_id in lender.active_liens(vin):
            if lender.lien(lien_id).holder == c.lender.address:
                lender.release_lien(lien_id)
                return

    def transfer(vin: str) -> None:
        t = owner.title(vin)
        if t.owner == c.owner.address and t.active_liens == 0:
            owner.transfer_title(vin, c.buyer.address)

    def odometer(vin: str, reading: int) -> None:
        registrar.record_odometer(vin, reading)

    def finance(vin: str) -> None:
        lien_id = lender.register_lien(vin).id
        loan = lender.originate_loan(lien_id, ref("r"), ref("t"), ref("s")).id
        lender.record_disbursement(loan, 100)
        lender.record_payment(loan, 10)

    while True:
        kind = rng.choice(["issue", "issue", "lien", "lien", "release", "transfer", "odo", "pay"])
        if kind == "issue" or not mine:
            batch = fresh_vins(rng.randint(1, 3))
            mine.extend(batch)
            yield partial(issue, batch)
            continue
        vin = rng.choice(mine)
        if kind == "lien":
            yield partial(lien, vin, rng.random() < 0.3)
        elif kind == "release":
            yield partial(release, vin)
        elif kind == "transfer":
            yield partial(transfer, vin)
        elif kind == "odo":
            yield partial(odometer, vin, rng.randint(100, 10_000_000))
        else:
            yield partial(finance, vin)


def safely(action: Callable[[], Any]) -> None:
    """Runs ``action``; a refusal (the chain moved under it in a reorg) is fine here."""
    with suppress(RegistryError):
        action()


# ------------------------------------------------------------------ loans with a schedule


#: Each of the first 11 instalments of :func:`schedule_for`'s default loan, worked by hand
#: (tests must not take expected amounts from ``build_schedule``, the code under test):
#: 12,000.00 at r = 0.06 / 12 = 0.005 a month over 12 months pays
#: 12000 * 0.005 / (1 - 1.005**-12) = 1,032.797... -> 1,032.80.
INSTALMENT_CENTS = 103_280


def schedule_for(first_due: date, months: int = 12, principal: str = "12000.00") -> Schedule:
    """An annuity of ``principal`` at 6% a year over ``months``, the first instalment due on
    ``first_due``."""
    terms = LoanTerms(Decimal(principal), Decimal("0.06"), months, first_due, ScheduleKind.ANNUITY)
    return build_schedule(terms)


def make_loan(
    mirror: Mirror,
    vin: str,
    *,
    first_due_in_days: int = 10,
    months: int = 12,
    lender: RegistryClient | None = None,
    record: bool = True,
) -> tuple[int, int, Schedule]:
    """A lien on ``vin``, a loan committing a schedule (its record saved where ``mirror``'s
    indexer reads it, unless not ``record``), disbursed: (lien id, loan id, schedule)."""
    chain = mirror.registry
    bank = lender or chain.lender
    lien = bank.register_lien(vin).id
    schedule = schedule_for(chain.today() + timedelta(days=first_due_in_days), months)
    salt = ref("salt")
    loan = bank.originate_loan(lien, ref("loan"), *commitment_hashes(schedule, salt)).id
    if record:
        record_ = loan_records.LoanRecord(loan, salt, schedule)
        loan_records.save(mirror.records, chain.deployment.chain_id, record_)
    bank.record_disbursement(loan, int(schedule.terms.principal * 100))
    return lien, loan, schedule
