"""Loan tapes of the test kit: a book on a real chain with planted exceptions and near misses.

:func:`planted_book` originates ``size`` loans of the cast's lender (batches), then changes
some of them on chain (a lien released, another lender's lien, a brand, a total loss, a
repossession, a payoff...) and writes the tape rows, some of them wrong on purpose (a VIN,
a balance, a DPD, an unknown loan, a row twice). Each row carries the exceptions a correct
check must find, decided here from what was planted (never from the code under test); the
near misses (a second lien of the same lender, a release followed by a new lien, another
lender's lien since released, figures within tolerance, a paid-off loan at zero) expect none.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from registry.chunks import chunks
from registry.enums import TapeException as K
from tests.kit.chain import Registry, ref
from tests.kit.vins import fresh_vins

#: How many loans each plant changes (the issue asks for at least five of every kind).
PER_KIND = 5


@dataclass
class Row:
    """A tape row and the exceptions it must raise."""

    loan: str  # the loan id, or its reference for a ``ref`` row
    vin: str
    balance_cents: int
    dpd: int = 0
    expected: set[K] = field(default_factory=set)
    ref: bool = False


@dataclass
class PlantedBook:
    """The rows of the tape (in file order, row ``i`` on line ``i + 2``) and what they hide."""

    rows: list[Row]
    lender: str
    other_lender: str
    funder: str
    other_funder: str
    near_misses: dict[str, list[int]]  # what kind of near miss -> indexes into ``rows``

    def csv(self, header: tuple[str, ...] = ("Loan ID", "Loan Ref", "vin", "Balance", "DPD"),
            lowercase_vins: bool = True) -> bytes:  # fmt: skip
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for r in self.rows:
            vin = r.vin.lower() if lowercase_vins else r.vin
            loan_id, loan_ref = ("", r.loan) if r.ref else (r.loan, "")
            w.writerow((loan_id, loan_ref, vin, f"{r.balance_cents / 100:,.2f}", r.dpd))
        return buf.getvalue().encode()

    def expected(self) -> set[tuple[int, K]]:
        """(line number, kind) of every exception the tape hides."""
        return {(i + 2, k) for i, r in enumerate(self.rows) for k in r.expected}


@dataclass
class _Loan:
    loan_id: int
    lien_id: int
    vin: str
    amount: int
    loan_ref: str


def _originate(chain: Registry, vins: list[str], amount: Callable[[int], int]) -> list[_Loan]:
    """A lien and a disbursed loan of the cast's lender on each of ``vins`` (batches)."""
    bank = chain.lender
    out: list[_Loan] = []
    for part in chunks(vins, 100):
        liens = list(bank.register_liens_batch(list(part), [False] * len(part)).ids)
        refs = [ref("loan") for _ in liens]
        res = bank.originate_loans_batch(liens, refs, [ref() for _ in liens],
                                         [ref() for _ in liens])  # fmt: skip
        loans = list(res.ids)
        amounts = [amount(len(out) + i) for i in range(len(loans))]
        bank.record_disbursements_batch(loans, amounts)
        out += [_Loan(loan, lien, vin, a, "0x" + r.hex())
                for loan, lien, vin, a, r in zip(loans, liens, part, amounts, refs,
                                                 strict=True)]  # fmt: skip
    return out


def _amount(i: int) -> int:
    return 1_000_000 + 37 * i


def _titles(chain: Registry, n: int) -> list[str]:
    vins = fresh_vins(n)
    for part in chunks(vins, 250):
        chain.registrar.issue_titles_batch(list(part), [chain.cast.owner.address] * len(part),
                                           [1_000] * len(part))  # fmt: skip
    return vins


def _row(source: _Loan, /, *expected: K, **changes: object) -> Row:
    row = Row(str(source.loan_id), source.vin, source.amount, expected=set(expected))
    for name, value in changes.items():
        setattr(row, name, value)
    return row


class _Supply:
    """Hands out the book's loans, ``PER_KIND`` at a time, each to one plant only."""

    def __init__(self, loans: list[_Loan]) -> None:
        self._loans = iter(loans)

    def some(self, k: int = PER_KIND) -> list[_Loan]:
        return [next(self._loans) for _ in range(k)]

    def rest(self) -> list[_Loan]:
        return list(self._loans)


def planted_book(chain: Registry, size: int = 2_000, seed: int = 9) -> PlantedBook:
    """A tape of ``size`` rows over a fresh book of the cast's lender, exceptions planted."""
    behind = _titles(chain, PER_KIND)  # another lender registers first on these
    for vin in behind:
        chain.lender2.register_lien(vin)
    book = _originate(chain, _titles(chain, size - 20 * PER_KIND) + behind, _amount)
    plants = [_row(x, K.NOT_FIRST_PRIORITY, K.OTHER_LENDER_LIEN) for x in book[-PER_KIND:]]
    supply = _Supply(book[:-PER_KIND])
    near: dict[str, list[Row]] = {}
    plants += _pledges(chain, book, supply.some(), supply.some(), supply.some(), near)
    plants += _chain_plants(chain, supply)
    plants += _tape_plants(chain, supply)
    near |= _near_misses(chain, book, supply)
    rows = plants + [_row(x) for x in supply.rest()] + [r for g in near.values() for r in g]
    assert len(rows) <= size, f"{len(rows)} rows planted for a tape of {size}"
    more = _originate(chain, _titles(chain, size - len(rows)), _amount) if len(rows) < size else []
    rows += [_row(x) for x in more]
    random.Random(seed).shuffle(rows)
    where = {id(r): i for i, r in enumerate(rows)}
    c = chain.cast
    return PlantedBook(
        rows, c.lender.address.lower(), c.lender2.address.lower(), c.funder.address.lower(),
        c.funder2.address.lower(),
        {what: [where[id(r)] for r in group] for what, group in near.items()},
    )  # fmt: skip


def _chain_plants(chain: Registry, supply: _Supply) -> list[Row]:
    """Loans changed on chain: lien released, another lender's lien, title brands and
    statuses, repossession, payoff and charge-off."""
    lender, registrar, insurer = chain.lender, chain.registrar, chain.insurer
    plants = []
    for x in supply.some():  # the lender released the loan's lien
        lender.release_lien(x.lien_id)
        plants.append(_row(x, K.NO_ACTIVE_LIEN))
    for x in supply.some():
        chain.lender2.register_lien(x.vin)
        plants.append(_row(x, K.OTHER_LENDER_LIEN))
    brands = ("flood", "odometer-not-actual", "flood", "lemon", "fire")
    for x, brand in zip(supply.some(), brands, strict=True):
        registrar.apply_brand(x.vin, brand)
        plants.append(_row(x, K.TITLE_BRANDED))
    for x in supply.some():
        policy = insurer.record_policy(x.vin, chain.cast.lender.address, ref("pol"),
                                       2_000_000_000).id  # fmt: skip
        insurer.declare_total_loss(insurer.file_claim(policy, ref("claim"), 900_000).id)
        plants.append(_row(x, K.TITLE_TOTAL_LOSS))
    for brand, kind in (("stolen", K.TITLE_STOLEN), ("junk", K.TITLE_JUNK)):
        for x in supply.some():
            registrar.apply_brand(x.vin, brand)
            plants.append(_row(x, kind))
    for x in supply.some():
        lender.record_delinquency(x.loan_id, 95)
        lender.declare_default(x.loan_id)
        lender.repossess(x.loan_id)
        plants.append(_row(x, K.REPOSSESSED, dpd=95))
    for i, x in enumerate(supply.some()):
        if i < 3:
            lender.pay_off(x.loan_id)
        else:
            lender.record_delinquency(x.loan_id, 120)
            lender.declare_default(x.loan_id)
            lender.charge_off(x.loan_id, x.amount)
        plants.append(_row(x, K.CLOSED_ON_CHAIN))
    return plants


def _tape_plants(chain: Registry, supply: _Supply) -> list[Row]:
    """Rows that say what the chain does not: DPD, balance, VIN, an unknown loan, a loan
    twice, one VIN for two loans."""
    plants = []
    for i, x in enumerate(supply.some()):
        if i < 2:  # the chain says late, the tape current
            chain.lender.record_delinquency(x.loan_id, 45)
            plants.append(_row(x, K.DPD_MISMATCH))
        else:
            plants.append(_row(x, K.DPD_MISMATCH, dpd=31 + i))
    for i, x in enumerate(supply.some()):
        plants.append(_row(x, K.BALANCE_MISMATCH, balance_cents=x.amount * (90 + i) // 100))
    for vin, x in zip(fresh_vins(PER_KIND), supply.some(), strict=True):
        plants.append(_row(x, K.VIN_MISMATCH, vin=vin))
    for i, vin in enumerate(fresh_vins(PER_KIND)):
        unknown = f"0x{ref('unknown').hex()}" if i % 2 else str(10**9 + i)
        plants.append(Row(unknown, vin, 500_000, expected={K.LOAN_UNKNOWN}, ref=i % 2 == 1))
    for x in supply.some():  # the same loan twice
        plants += [_row(x, K.DUPLICATE_LOAN), _row(x, K.DUPLICATE_LOAN)]
    twice = supply.some(3)
    for x, y in zip(twice, _second_loans(chain, twice), strict=True):
        plants += [_row(x, K.DUPLICATE_VIN), _row(y, K.DUPLICATE_VIN)]
    return plants


def _near_misses(chain: Registry, book: list[_Loan], supply: _Supply) -> dict[str, list[Row]]:
    """Rows a careless check would flag, each clean."""
    lender, lender2 = chain.lender, chain.lender2
    near: dict[str, list[Row]] = {}
    near["second lien of the same lender"] = [_row(x) for x in supply.some()]
    for r in near["second lien of the same lender"]:
        lender.register_lien(r.vin)
    near["release then a new lien"] = [_row(x) for x in supply.some()]
    for r in near["release then a new lien"]:
        lender.release_lien(_lien_of(book, r))
        lender.register_lien(r.vin)
    near["another lender's lien, released"] = [_row(x) for x in supply.some()]
    for r in near["another lender's lien, released"]:
        lender2.release_lien(lender2.register_lien(r.vin).id)
    near["figures within tolerance"] = [
        _row(x, balance_cents=x.amount + x.amount // 200, dpd=i % 5 + 1)
        for i, x in enumerate(supply.some())
    ]
    near["paid off, zero in the tape"] = [_row(x, balance_cents=0) for x in supply.some()]
    for r in near["paid off, zero in the tape"]:
        lender.pay_off(int(r.loan))
    near["named by reference"] = [_row(x, loan=x.loan_ref, ref=True) for x in supply.some()]
    return near


def _pledges(chain: Registry, book: list[_Loan], elsewhere: list[_Loan], sold: list[_Loan],
             released: list[_Loan], near: dict[str, list[Row]]) -> list[Row]:  # fmt: skip
    """The book pledged to the funder, but ``elsewhere`` (to the second funder), ``sold`` (by
    the second funder to the first) and ``released`` (by the second funder)."""
    funder, funder2 = chain.cast.funder.address, chain.cast.funder2.address
    aside = {x.loan_id for x in (*elsewhere, *sold, *released)}
    mine = [x.loan_id for x in book if x.loan_id not in aside]
    for part in chunks(mine, 200):
        chain.lender.pledge_loans_batch(list(part), funder)
    chain.lender.pledge_loans_batch([x.loan_id for x in (*elsewhere, *sold, *released)], funder2)
    for x in sold:
        chain.funder2.transfer_pledge(x.loan_id, funder)
    for x in released:
        chain.funder2.release_pledge(x.loan_id, "REMITTANCE")
    near["pledge sold on to this funder"] = [_row(x) for x in sold]
    near["pledge released by another funder"] = [_row(x) for x in released]
    return [_row(x, K.PLEDGED_ELSEWHERE) for x in elsewhere]


def _lien_of(book: list[_Loan], row: Row) -> int:
    return next(x.lien_id for x in book if str(x.loan_id) == row.loan)


def _second_loans(chain: Registry, firsts: list[_Loan]) -> list[_Loan]:
    """A second lien and loan of the lender on each of the vehicles of ``firsts``."""
    out = []
    for x in firsts:
        lien = chain.lender.register_lien(x.vin).id
        loan_ref = ref("loan")
        loan = chain.lender.originate_loan(lien, loan_ref, ref(), ref()).id
        chain.lender.record_disbursement(loan, 700_000)
        out.append(_Loan(loan, lien, x.vin, 700_000, "0x" + loan_ref.hex()))
    return out
