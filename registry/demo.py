"""A realistic demo book on a fresh deployment: the data the README's run command shows.

Several lenders, dealers and insurers; thousands of titled vehicles with valid VINs;
consumer loans with payment histories (some late), floor-planned dealer stock, and the cases
a registry exists to expose: a double pledge, a floor-plan sale out of trust, a total loss,
a repossession, a payoff, a lien assignment, ordinary transfers, an odometer correction.
The book is dated over about three years (:mod:`registry.demo_clock`): on a chain started
that far back (``registry up``) every event carries its book date.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from registry import loan_records
from registry.accounts import dev_account
from registry.chunks import chunks
from registry.client import RegistryClient
from registry.demo_clock import (
    DAY,
    DemoClock,
    Payer,
    add_months,
    at_noon,
    mid_month,
    month_index,
)
from registry.demo_funders import build_pledges
from registry.errors import InvalidInput
from registry.schedules import LoanTerms, Schedule, ScheduleKind, build_schedule, commitment_hashes
from registry.vin import generate_vin

Progress = Callable[[str, int], None]  # (stage description, units done)

LENDERS = ("First Auto Bank", "Captive Motor Finance", "Prairie Credit Union")
DEALERS = ("Main Street Motors", "Harbor Auto Group")
INSURERS = ("Shield Mutual", "Northstar Insurance")
BATCH = 250  # titles and liens per transaction
LOAN_BATCH = 100  # loans per transaction (each origination reads the lien across contracts)
RATES = ("0.0399", "0.0549", "0.0649", "0.0799", "0.1199")
#: The smallest book that still shows every case (the highlights need five financed cars).
MIN_VEHICLES = 20
FINANCED_SHARE = 0.6  # of consumer vehicles
HIGHLIGHT_DAYS = 9  # the cases happen one a day over the book's last days
COHORTS = 11  # loans are originated quarterly, from the book's first month to its 31st


@dataclass(frozen=True)
class DemoPlan:
    """How a book of ``vehicles`` splits: dealer stock, four private owners' cars, consumers.

    Vehicle ``i`` is dealer stock for ``i < stock``, then come the four cars of the private
    owners, then consumers' cars, of which :attr:`financed` carry a loan.
    """

    vehicles: int

    @property
    def stock(self) -> int:
        return max(4, self.vehicles // 10)

    @property
    def private(self) -> list[int]:
        return [self.stock + k for k in range(4)]

    @property
    def consumers(self) -> range:
        return range(self.stock + 4, self.vehicles)

    @property
    def financed(self) -> int:
        return int(len(self.consumers) * FINANCED_SHARE)

    @property
    def units(self) -> int:
        """What the progress callback counts in all: titles, floor-plan liens, loans."""
        return self.vehicles + self.stock + self.financed


@dataclass
class DemoBook:
    """What the demo built, for the summary and the tests."""

    vehicles: int = 0
    liens: int = 0
    loans: int = 0
    payments: int = 0
    highlights: dict[str, str] = field(default_factory=dict)
    #: chain time of its first and its last step (unix seconds)
    since: int = 0
    until: int = 0


@dataclass(frozen=True)
class Cast:
    registrar: LocalAccount
    lenders: tuple[LocalAccount, ...]
    dealers: tuple[LocalAccount, ...]
    insurers: tuple[LocalAccount, ...]
    owners: tuple[LocalAccount, ...]  # dev accounts 8 and 9: owners who sell privately


def demo_cast() -> Cast:
    return Cast(
        registrar=dev_account(0),
        lenders=tuple(dev_account(i) for i in (1, 2, 3)),
        dealers=tuple(dev_account(i) for i in (4, 5)),
        insurers=tuple(dev_account(i) for i in (6, 7)),
        owners=(dev_account(8), dev_account(9)),
    )


def build_demo(
    client: RegistryClient,
    *,
    vehicles: int = 2000,
    seed: int = 2026,
    records_dir: Path | None = None,
    progress: Progress | None = None,
) -> DemoBook:
    """Builds the book through ``client`` (which must sign as the registrar).

    The same ``vehicles`` and ``seed`` on a fresh deployment give the same VINs, owners and
    lien, loan, policy and claim ids (payments depend on today's date, salts are random).
    Each step is dated on the book's calendar, from three years ago to now, as far as the
    chain's clock allows (:class:`~registry.demo_clock.DemoClock`).
    """
    if vehicles < MIN_VEHICLES:
        raise InvalidInput(f"a demo book needs at least {MIN_VEHICLES} vehicles, not {vehicles}")
    plan = DemoPlan(vehicles)
    rng = random.Random(seed)
    cast = demo_cast()
    tick: Progress = progress or (lambda stage, n: None)
    book = DemoBook()
    reg = client.as_(cast.registrar)
    lenders = [client.as_(a) for a in cast.lenders]
    clock = DemoClock(client.rpc)
    book.since = clock.at(clock.start)  # the register's first day: participants, titles, …

    for accounts, role, names in (
        (cast.lenders, "lender", LENDERS),
        (cast.dealers, "dealer", DEALERS),
        (cast.insurers, "insurer", INSURERS),
    ):
        for acct, name in zip(accounts, names, strict=True):
            reg.admit_participant(acct.address, role, name)
    tick("participants admitted", 0)

    # Titles: most owned by consumers (addresses without personal data), some dealer stock,
    # a few owned by the two dev owners who will sell privately.
    vins = [generate_vin(rng) for _ in range(vehicles)]
    stock = list(range(plan.stock))
    private = plan.private
    owners: list[str] = []
    for i in range(vehicles):
        if i < plan.stock:
            owners.append(cast.dealers[i % 2].address)
        elif i in private:
            owners.append(cast.owners[i % 2].address)
        else:  # a consumer: an address derived from the seed (no key, no personal data)
            owners.append(to_checksum_address(keccak(text=str(rng.random()))[-20:]))
    odometers = [0 if i < plan.stock else rng.randrange(5_000, 160_000) for i in range(vehicles)]
    for chunk in chunks(range(vehicles), BATCH):
        reg.issue_titles_batch(
            [vins[i] for i in chunk], [owners[i] for i in chunk], [odometers[i] for i in chunk]
        )
        tick("titles issued", len(chunk))
    book.vehicles = vehicles

    # Floor plan: the first lender finances all dealer stock.
    floor_plan = lenders[0]
    fp_lien: dict[int, int] = {}
    for chunk in chunks(stock, BATCH):
        result = floor_plan.register_liens_batch([vins[i] for i in chunk], [True] * len(chunk))
        for lien_id in result.ids:
            fp_lien[stock[len(fp_lien)]] = lien_id
        tick("floor-plan liens", len(chunk))
    book.liens += len(stock)

    # Consumer loans on 60% of consumer vehicles, spread over the lenders, originated in
    # quarterly cohorts over the book's years and paid month by month (some late, some not).
    financed = sorted(rng.sample(plan.consumers, plan.financed))
    by_lender: dict[int, list[int]] = {0: [], 1: [], 2: []}
    for i in financed:
        by_lender[rng.randrange(3)].append(i)
    cohort_of = {i: 3 * rng.randrange(COHORTS) for i in financed}  # the same on any date
    lending = _Lending(lenders, vins, clock, rng, records_dir, tick)
    for k in range(clock.months + 1):
        if k % 3 == 0 and k // 3 < COHORTS:
            for li, idxs in by_lender.items():
                lending.originate(li, [i for i in idxs if cohort_of[i] == k], k)
        lending.pay(k)
    book.payments = lending.payments_recorded
    loan_of_vehicle = lending.loans
    book.liens += len(financed)
    book.loans = len(financed)

    _highlights(client, book, cast, vins, fp_lien, loan_of_vehicle, private, rng, clock)
    build_pledges(reg, book, lenders, loan_of_vehicle, vins)
    tick("fraud and life events", 0)
    book.until = clock.chain_time()
    return book


class _Lending:
    """The lenders' consumer loans: cohorts originated, instalments paid month by month."""

    def __init__(
        self,
        lenders: list[RegistryClient],
        vins: list[str],
        clock: DemoClock,
        rng: random.Random,
        records_dir: Path | None,
        tick: Progress,
    ) -> None:
        self.lenders, self.vins, self.clock, self.rng = lenders, vins, clock, rng
        self.records_dir, self.tick = records_dir, tick
        self.loans: dict[int, tuple[int, int, int]] = {}  # vehicle -> (lender idx, lien, loan)
        self.due: dict[tuple[int, int], list[tuple[int, int]]] = {}  # (lender, month) -> pays
        self.payments_recorded = 0

    def originate(self, li: int, idxs: list[int], k: int) -> None:
        """Lender ``li``'s loans on vehicles ``idxs``, originated early in book month ``k``."""
        bank, clock, rng = self.lenders[li], self.clock, self.rng
        for chunk in chunks(idxs, LOAN_BATCH):
            day = clock.month(k) + timedelta(days=rng.randrange(2, 12))
            clock.at(day)
            registered = bank.register_liens_batch([self.vins[i] for i in chunk],
                                                   [False] * len(chunk))  # fmt: skip
            lien_ids = list(registered.ids)
            schedules, salts = [], []
            for _ in chunk:
                terms = LoanTerms(
                    principal=Decimal(rng.randrange(80, 600) * 100),
                    annual_rate=Decimal(rng.choice(RATES)),
                    term_months=rng.choice([36, 48, 60, 72]),
                    first_due=add_months(day, 1),
                    kind=rng.choice(list(ScheduleKind)),
                )
                schedules.append(build_schedule(terms))
                salts.append(secrets.token_bytes(32))
            hashes = [commitment_hashes(s, salt) for s, salt in zip(schedules, salts, strict=True)]
            result = bank.originate_loans_batch(
                lien_ids,
                [secrets.token_bytes(32) for _ in chunk],
                [terms for terms, _ in hashes],
                [schedule for _, schedule in hashes],
            )
            loan_ids = list(result.ids)
            bank.record_disbursements_batch(
                loan_ids, [int(s.terms.principal * 100) for s in schedules]
            )
            for i, lien_id, loan_id, s, salt in zip(chunk, lien_ids, loan_ids, schedules, salts,
                                                    strict=True):  # fmt: skip
                if self.records_dir is not None:
                    loan_records.save(self.records_dir, bank.tx.chain_id,
                                      loan_records.LoanRecord(loan_id, salt, s))  # fmt: skip
                self._plan_payments(li, loan_id, s)
                self.loans[i] = (li, lien_id, loan_id)
            self.tick("loans originated", len(chunk))

    def _plan_payments(self, li: int, loan_id: int, schedule: Schedule) -> None:
        payer = Payer.draw(self.rng, schedule.terms.term_months)
        first, last = self.clock.first_day, self.clock.last_day
        for inst in schedule.instalments:
            if inst.due > last:
                break
            month = payer.pay_month(inst.number, month_index(first, inst.due))
            if month is not None and month <= self.clock.months:
                self.due.setdefault((li, month), []).append((loan_id, int(inst.total * 100)))

    def pay(self, k: int) -> None:
        """Every lender's payments received in book month ``k``, recorded that month."""
        when = min(at_noon(mid_month(self.clock, k)), self.clock.end - HIGHLIGHT_DAYS * DAY)
        for li, bank in enumerate(self.lenders):
            payments = self.due.pop((li, k), [])
            for part in chunks(payments, 400):
                self.clock.at(when)
                bank.record_payments_batch(
                    [p[0] for p in part], [p[1] for p in part],
                    [secrets.token_bytes(32) for _ in part],
                )  # fmt: skip
            self.payments_recorded += len(payments)


def _highlights(
    client: RegistryClient,
    book: DemoBook,
    cast: Cast,
    vins: list[str],
    fp_lien: dict[int, int],
    loans: dict[int, tuple[int, int, int]],
    private: list[int],
    rng: random.Random,
    clock: DemoClock,
) -> None:
    """The cases the registry exists to expose, one or two of each, in the book's last days."""
    steps = iter(range(HIGHLIGHT_DAYS - 1, -1, -1))

    def next_day() -> int:  # each case a day after the previous, the last one today
        return clock.at(clock.end - next(steps, 0) * DAY)

    reg = client.as_(cast.registrar)
    bank = [client.as_(a) for a in cast.lenders]
    dealer = [client.as_(a) for a in cast.dealers]
    insurer = client.as_(cast.insurers[0])
    financed = sorted(loans)

    # Double pledge: a second lender registers a lien on an already financed car.
    next_day()
    v = financed[0]
    other = (loans[v][0] + 1) % 3
    bank[other].register_lien(vins[v])
    book.highlights["double_pledge"] = vins[v]

    # Sold out of trust: a dealer sells floor-planned stock without paying the lender.
    next_day()
    sot = 0
    dealer[0].record_sale(vins[sot], client.as_(cast.owners[0]).address, secrets.token_bytes(32))
    book.highlights["sold_out_of_trust"] = vins[sot]

    # A proper dealer sale: the floor-plan lender consents (payoff at sale), title passes.
    now = next_day()
    ok = 2  # dealer 0's stock alternates with dealer 1's
    buyer = cast.owners[1].address
    consent = bank[0].sign_transfer_consent(
        vins[ok],
        fp_lien[ok],
        cast.dealers[0].address,
        buyer,
        release=True,
        deadline=now + 3600,
    )
    dealer[0].record_sale(vins[ok], buyer, secrets.token_bytes(32), [consent])
    book.highlights["floor_plan_paid_at_sale"] = vins[ok]

    # Total loss on a financed car: the insurer names the lienholder as loss payee.
    now = next_day()
    v = financed[1]
    payee = cast.lenders[loans[v][0]].address
    policy = insurer.record_policy(vins[v], payee, secrets.token_bytes(32), now + 365 * DAY).id
    claim = insurer.file_claim(policy, secrets.token_bytes(32), 1_850_000).id
    insurer.declare_total_loss(claim, flood=True)
    insurer.settle_claim(claim, 1_725_000)
    book.highlights["total_loss"] = vins[v]

    # Default and repossession.
    next_day()
    v = financed[2]
    li, _, loan_id = loans[v]
    bank[li].record_delinquency(loan_id, 95)
    bank[li].declare_default(loan_id)
    bank[li].repossess(loan_id)
    book.highlights["repossessed"] = vins[v]

    # Payoff releases the lien.
    next_day()
    v = financed[3]
    li, _, loan_id = loans[v]
    bank[li].pay_off(loan_id)
    book.highlights["paid_off"] = vins[v]

    # A loan sale: a lender assigns a lien (and its loan) to First Auto Bank, or, when only
    # First Auto Bank holds the remaining loans, to the second lender.
    next_day()
    v = next((x for x in financed[4:] if loans[x][0] != 0), financed[4])
    seller = loans[v][0]
    bank[seller].assign_lien(loans[v][1], cast.lenders[0 if seller else 1].address)
    book.highlights["lien_assigned"] = vins[v]

    # Ordinary private sales between owners, with odometer readings.
    next_day()
    a, b = private[0], private[1]
    owner_a = client.as_(cast.owners[a % 2])
    owner_a.record_odometer(vins[a], client.title(vins[a]).odometer + rng.randrange(500, 3000))
    owner_a.transfer_title(vins[a], cast.owners[(a + 1) % 2].address)
    client.as_(cast.owners[b % 2]).transfer_title(vins[b], cast.owners[(b + 1) % 2].address)
    book.highlights["private_sale"] = vins[a]

    # Title washing defeated: a flood brand, and an odometer rollback caught and corrected.
    next_day()
    v = private[2]
    reg.apply_brand(vins[v], "flood")
    reg.correct_odometer(vins[v], max(1_000, client.title(vins[v]).odometer // 2))
    book.highlights["branded"] = vins[v]
    book.highlights["clean"] = vins[private[3]]
