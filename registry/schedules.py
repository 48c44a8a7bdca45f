"""Loan repayment schedules and their on-chain commitments.

Three kinds: annuity (equal instalments), equal principal, and interest-only with a
balloon. Money is :class:`~decimal.Decimal` in cents, rounded half-up; interest accrues
monthly at ``annual_rate / 12`` on the outstanding balance, and the last instalment absorbs
every rounding remainder so the principal parts sum exactly to the loan.

A schedule is committed on chain as ``keccak256(salt || canonical_json(schedule))``; the
lender keeps the JSON and the salt, and anyone shown them can recompute the hash.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum
from typing import Any

from eth_utils import keccak

from registry.errors import InvalidInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_TERM_MONTHS = 600
#: A sanity bound far above any vehicle loan; keeps Decimal arithmetic exact.
MAX_PRINCIPAL = Decimal("1000000000000000")
SALT_LENGTH = 32
_PRECISION = 50

_AMOUNT_RE = re.compile(r"-?\d+\.\d{2}")
_RATE_RE = re.compile(r"\d+(\.\d+)?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TERMS_KEYS = {"annual_rate", "first_due", "kind", "principal", "term_months"}
_INSTALMENT_KEYS = {"balance_after", "due", "interest", "number", "principal", "total"}


class ScheduleKind(StrEnum):
    """How principal is repaid."""

    ANNUITY = "annuity"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_ONLY_BALLOON = "interest_only_balloon"


def cents(amount: Decimal) -> Decimal:
    """Round to cents, half-up."""
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return ZERO if rounded.is_zero() else rounded


@dataclass(frozen=True)
class LoanTerms:
    """The terms a schedule is built from; validated on construction."""

    principal: Decimal
    annual_rate: Decimal
    term_months: int
    first_due: date
    kind: ScheduleKind

    def __post_init__(self) -> None:
        p, rate, term = self.principal, self.annual_rate, self.term_months
        if not isinstance(p, Decimal) or not p.is_finite():
            raise InvalidInput(f"principal must be a finite Decimal, got {p!r}", field="principal")
        if p <= 0:
            raise InvalidInput(f"principal must be positive, got {p}", field="principal")
        if p > MAX_PRINCIPAL:
            raise InvalidInput(
                f"principal {p} is above the limit of {MAX_PRINCIPAL}", field="principal"
            )
        if p != p.quantize(CENT):
            raise InvalidInput(
                f"principal {p} has fractions of a cent; give it in whole cents",
                field="principal",
            )
        if not isinstance(rate, Decimal) or not rate.is_finite():
            raise InvalidInput(
                f"annual_rate must be a finite Decimal, got {rate!r}", field="annual_rate"
            )
        if not 0 <= rate < 1:
            raise InvalidInput(
                f"annual_rate must be at least 0 and below 1 (0.0699 means 6.99%), got {rate}",
                field="annual_rate",
            )
        if isinstance(term, bool) or not isinstance(term, int):
            raise InvalidInput(
                f"term_months must be a whole number, got {term!r}", field="term_months"
            )
        if not 1 <= term <= MAX_TERM_MONTHS:
            raise InvalidInput(
                f"term_months must be between 1 and {MAX_TERM_MONTHS}, got {term}",
                field="term_months",
            )
        if isinstance(self.first_due, datetime) or not isinstance(self.first_due, date):
            raise InvalidInput(
                f"first_due must be a date, got {self.first_due!r}", field="first_due"
            )
        if not isinstance(self.kind, ScheduleKind):
            raise InvalidInput(
                f"kind must be one of {', '.join(k.value for k in ScheduleKind)}, "
                f"got {self.kind!r}",
                field="kind",
            )


@dataclass(frozen=True)
class Instalment:
    """One scheduled payment; ``total = principal + interest``."""

    number: int
    due: date
    principal: Decimal
    interest: Decimal
    total: Decimal
    balance_after: Decimal


@dataclass(frozen=True)
class Schedule:
    """Terms and the instalments they produce, numbered 1..term_months."""

    terms: LoanTerms
    instalments: tuple[Instalment, ...]

    def __post_init__(self) -> None:
        numbers = [i.number for i in self.instalments]
        if numbers != list(range(1, self.terms.term_months + 1)):
            raise InvalidInput(
                f"a {self.terms.term_months}-month schedule needs instalments numbered "
                f"1 to {self.terms.term_months}, got {len(numbers)} instalments",
                field="instalments",
            )

    @property
    def total_interest(self) -> Decimal:
        """Interest over the life of the loan."""
        return sum((i.interest for i in self.instalments), ZERO)

    @property
    def total_paid(self) -> Decimal:
        """Principal plus interest over the life of the loan."""
        return sum((i.total for i in self.instalments), ZERO)


def due_date(first_due: date, months_after: int) -> date:
    """``first_due`` moved ``months_after`` months on, its day clamped to the month's end.

    The anchor day is always ``first_due.day``, so Jan 31 → Feb 29 → Mar 31 (no drift).
    """
    month_index = first_due.month - 1 + months_after
    year, month = first_due.year + month_index // 12, month_index % 12 + 1
    day = min(first_due.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def annuity_payment(terms: LoanTerms) -> Decimal:
    """The level instalment ``P*r / (1 - (1 + r)**-n)`` in cents (``P / n`` at zero rate)."""
    with localcontext(prec=_PRECISION):
        n = terms.term_months
        if terms.annual_rate == 0:
            return cents(terms.principal / n)
        r = terms.annual_rate / 12
        return cents(terms.principal * r / (1 - 1 / (1 + r) ** n))


def _principal_due(terms: LoanTerms, payment: Decimal, interest: Decimal) -> Decimal:
    if terms.kind is ScheduleKind.ANNUITY:
        return payment - interest
    if terms.kind is ScheduleKind.EQUAL_PRINCIPAL:
        return payment
    return ZERO


def build_schedule(terms: LoanTerms) -> Schedule:
    """Every instalment of ``terms``; the last one pays whatever principal remains."""
    if terms.kind is ScheduleKind.ANNUITY:
        payment = annuity_payment(terms)
    else:
        with localcontext(prec=_PRECISION):
            payment = cents(terms.principal / terms.term_months)
    balance = cents(terms.principal)
    instalments = []
    with localcontext(prec=_PRECISION):
        for number in range(1, terms.term_months + 1):
            interest = cents(balance * terms.annual_rate / 12)
            if number == terms.term_months:
                principal = balance
            else:
                # Rounding can make early instalments overshoot a tiny loan; never below 0.
                principal = min(_principal_due(terms, payment, interest), balance)
            balance -= principal
            instalments.append(
                Instalment(
                    number=number,
                    due=due_date(terms.first_due, number - 1),
                    principal=principal,
                    interest=interest,
                    total=principal + interest,
                    balance_after=balance,
                )
            )
    return Schedule(terms=terms, instalments=tuple(instalments))


def instalments_due(schedule: Schedule, on: date) -> tuple[Instalment, ...]:
    """The instalments due on or before ``on``."""
    return tuple(i for i in schedule.instalments if i.due <= on)


def due_to_date(schedule: Schedule, on: date) -> Decimal:
    """The sum of the totals of the instalments due on or before ``on``."""
    return sum((i.total for i in instalments_due(schedule, on)), ZERO)


# --- canonical form and commitments -------------------------------------------------------


def _amount(value: Decimal) -> str:
    return f"{cents(value):f}"


def _rate(value: Decimal) -> str:
    if value.is_zero():
        return "0"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _terms_dict(terms: LoanTerms) -> dict[str, Any]:
    return {
        "annual_rate": _rate(terms.annual_rate),
        "first_due": terms.first_due.isoformat(),
        "kind": terms.kind.value,
        "principal": _amount(terms.principal),
        "term_months": terms.term_months,
    }


def _instalment_dict(i: Instalment) -> dict[str, Any]:
    return {
        "balance_after": _amount(i.balance_after),
        "due": i.due.isoformat(),
        "interest": _amount(i.interest),
        "number": i.number,
        "principal": _amount(i.principal),
        "total": _amount(i.total),
    }


def _dump(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def canonical_terms_json(terms: LoanTerms) -> bytes:
    """The terms as canonical JSON (sorted keys, no whitespace, amounts as strings)."""
    return _dump(_terms_dict(terms))


def canonical_json(schedule: Schedule) -> bytes:
    """The schedule as canonical JSON: ``{"instalments": [...], "terms": {...}}``.

    Sorted keys, no whitespace, amounts as strings with exactly two decimals, the rate as
    a plain decimal string without trailing zeros, dates as ISO ``YYYY-MM-DD``.
    """
    return _dump(
        {
            "instalments": [_instalment_dict(i) for i in schedule.instalments],
            "terms": _terms_dict(schedule.terms),
        }
    )


def _check_salt(salt: bytes) -> None:
    if not isinstance(salt, bytes | bytearray) or len(salt) != SALT_LENGTH:
        found = len(salt) if isinstance(salt, bytes | bytearray) else type(salt).__name__
        raise InvalidInput(f"salt must be {SALT_LENGTH} bytes, got {found}", field="salt")


def schedule_hash(schedule: Schedule, salt: bytes) -> bytes:
    """``keccak256(salt || canonical_json(schedule))``, the on-chain schedule commitment."""
    return committed_schedule(schedule, salt)[1]


def committed_schedule(schedule: Schedule, salt: bytes) -> tuple[bytes, bytes]:
    """(``canonical_json(schedule)``, :func:`schedule_hash`) at once: a lender keeps the one
    and commits the other."""
    _check_salt(salt)
    text = canonical_json(schedule)
    return text, keccak(bytes(salt) + text)


def terms_hash(terms: LoanTerms, salt: bytes) -> bytes:
    """``keccak256(salt || canonical_terms_json(terms))``, the on-chain terms commitment."""
    _check_salt(salt)
    return keccak(bytes(salt) + canonical_terms_json(terms))


def commitment_hashes(schedule: Schedule, salt: bytes) -> tuple[bytes, bytes]:
    """The loan's on-chain commitments to ``schedule`` under ``salt``: (terms hash, schedule
    hash)."""
    return terms_hash(schedule.terms, salt), schedule_hash(schedule, salt)


# --- parsing ------------------------------------------------------------------------------


def _object(value: Any, keys: set[str], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"schedule JSON: {where} must be an object")
    if set(value) != keys:
        missing, extra = sorted(keys - set(value)), sorted(set(value) - keys)
        raise InvalidInput(
            f"schedule JSON: {where} has missing keys {missing} and unexpected keys {extra}"
        )
    return value


def _parse_str(value: Any, pattern: re.Pattern[str], what: str, where: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidInput(f"schedule JSON: {where} must be {what}, got {value!r}")
    return value


def _parse_amount(value: Any, where: str) -> Decimal:
    return Decimal(_parse_str(value, _AMOUNT_RE, "an amount string like '12.34'", where))


def _parse_date(value: Any, where: str) -> date:
    text = _parse_str(value, _DATE_RE, "an ISO date string like '2028-01-31'", where)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"schedule JSON: {where} is not a real date: {text}") from None


def _parse_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"schedule JSON: {where} must be an integer, got {value!r}")
    return value


def _parse_terms(value: Any) -> LoanTerms:
    raw = _object(value, _TERMS_KEYS, "terms")
    kind = raw["kind"]
    if kind not in {k.value for k in ScheduleKind}:
        raise InvalidInput(f"schedule JSON: terms.kind {kind!r} is not a schedule kind")
    rate = _parse_str(
        raw["annual_rate"], _RATE_RE, "a decimal string like '0.0699'", "terms.annual_rate"
    )
    return LoanTerms(
        principal=_parse_amount(raw["principal"], "terms.principal"),
        annual_rate=Decimal(rate),
        term_months=_parse_int(raw["term_months"], "terms.term_months"),
        first_due=_parse_date(raw["first_due"], "terms.first_due"),
        kind=ScheduleKind(kind),
    )


def _parse_instalment(value: Any, index: int) -> Instalment:
    where = f"instalments[{index}]"
    raw = _object(value, _INSTALMENT_KEYS, where)
    return Instalment(
        number=_parse_int(raw["number"], f"{where}.number"),
        due=_parse_date(raw["due"], f"{where}.due"),
        principal=_parse_amount(raw["principal"], f"{where}.principal"),
        interest=_parse_amount(raw["interest"], f"{where}.interest"),
        total=_parse_amount(raw["total"], f"{where}.total"),
        balance_after=_parse_amount(raw["balance_after"], f"{where}.balance_after"),
    )


def parse_schedule_json(data: bytes) -> Schedule:
    """Read a schedule back from its JSON (the inverse of :func:`canonical_json`).

    Any JSON layout is accepted; re-serialising with :func:`canonical_json` gives the
    bytes the commitment was made over.
    """
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"schedule JSON is not valid JSON: {exc}") from None
    raw = _object(doc, {"instalments", "terms"}, "the document")
    terms = _parse_terms(raw["terms"])
    items = raw["instalments"]
    if not isinstance(items, list):
        raise InvalidInput("schedule JSON: instalments must be a list")
    instalments = tuple(_parse_instalment(item, n) for n, item in enumerate(items))
    return Schedule(terms=terms, instalments=instalments)
