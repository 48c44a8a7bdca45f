"""Importing a lender's live loans with their payment history.

Each loan is committed exactly as ``registry loan originate`` commits one (its schedule built
by :mod:`registry.schedules`, salted by :class:`registry.loan_records.Commitment`, the loan
reference committed by :mod:`registry.commitments`), and its schedule and salt are kept in the
lender's records, so ``registry loan verify-schedule`` and the risk rules work on it. Three
stages: origination, disbursement, then the payments, each at its own effective time.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from registry import loan_records
from registry.commitments import commit_many
from registry.enums import LienStatus, LoanState, Role
from registry.errors import InvalidInput
from registry.imports.files import Column, Row
from registry.imports.journal import Batch, Journal
from registry.imports.kinds import (
    Context,
    chunked,
    day_start,
    iso_date,
    money,
    title_refusals,
    vin_of,
    whole,
)
from registry.imports.pipeline import Pipeline, Plan
from registry.schedules import MAX_TERM_MONTHS, LoanTerms, ScheduleKind

ZERO_REF = b"\x00" * 32
MAX_PAYMENTS = 9999


@dataclass(frozen=True)
class Payment:
    cents: int
    at: int  # effective unix time
    ref: str  # the lender's payment reference ('' for none)


@dataclass(frozen=True)
class LoanRow:
    row: Row
    vin: str
    lien_id: int  # 0: the lender's active lien on the VIN (found on chain)
    loan_ref: str
    terms: LoanTerms
    disbursed_cents: int
    originated_at: int
    disbursed_at: int
    payments: tuple[Payment, ...]


def _rate(text: str) -> Decimal:
    try:
        if text.endswith("%"):
            return Decimal(text[:-1].strip()) / 100
        return Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"rate {text!r} is not a number (e.g. 0.0649 or 6.49%)") from None


def _kind(text: str) -> ScheduleKind:
    key = (text or ScheduleKind.ANNUITY.value).strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return ScheduleKind(key)
    except ValueError:
        known = ", ".join(k.value for k in ScheduleKind)
        raise InvalidInput(f"unknown schedule kind {text!r}; known: {known}") from None


def _payments(value: object, ctx: Context, disbursed_at: int) -> tuple[Payment, ...]:
    """``date:amount[:ref]`` entries split by ``;`` (CSV), or a JSON list of objects."""
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(";") if p.strip()]
        entries: list[dict[str, Any]] = []
        for p in parts:
            fields = [f.strip() for f in p.split(":", 2)]
            if len(fields) < 2:
                raise InvalidInput(f"payment {p!r} is not date:amount[:reference]")
            entries.append({"date": fields[0], "amount": fields[1],
                            "ref": fields[2] if len(fields) > 2 else ""})  # fmt: skip
    elif isinstance(value, list) and all(isinstance(e, dict) for e in value):
        entries = value
    else:
        raise InvalidInput("payments must be date:amount[:reference];… or a list of objects")
    if len(entries) > MAX_PAYMENTS:
        raise InvalidInput(f"more than {MAX_PAYMENTS} payments on one loan")
    out = []
    for n, e in enumerate(entries, start=1):
        day = iso_date(str(e.get("date", "")), f"payment {n} date")
        at = day_start(day)
        if at > ctx.now:
            raise InvalidInput(f"payment {n} is dated {day}, after today (chain time)")
        if at < disbursed_at:
            raise InvalidInput(f"payment {n} is dated {day}, before the disbursement")
        out.append(Payment(money(str(e.get("amount", "")), f"payment {n} amount"), at,
                           str(e.get("ref") or "")))  # fmt: skip
    return tuple(out)


#: From this many loans on, their schedules are built and hashed on every core.
PARALLEL_FROM = 1000


def commit_schedules(terms: list[LoanTerms]) -> list[loan_records.Commitment]:
    """Each loan's commitment (fresh salts): on every core for a large book (building and
    hashing a schedule is what an import of loans spends its CPU on)."""
    cores = os.cpu_count() or 1
    if len(terms) < PARALLEL_FROM or cores < 2:
        return [loan_records.Commitment.of(t) for t in terms]
    # spawned, not forked: an API worker runs imports in a thread, and forking a threaded
    # process can copy a lock held by another thread
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(cores, 8), mp_context=context) as pool:
        return list(pool.map(loan_records.Commitment.of, terms, chunksize=200))


class Loans:
    """``registry import loans``: a lender brings its live loans and their payments."""

    name = "loans"
    role = Role.LENDER
    stages: tuple[str, ...] = ("originate", "disburse", "pay")
    columns: tuple[Column, ...] = (
        Column("vin", "17 characters; the loan is secured by your active lien on it", False),
        Column("lien_id", "or the id of your lien that secures it", False, ("lien",)),
        Column(
            "loan_ref",
            "your loan number (kept private: committed by salted hash)",
            True,
            ("loan_reference", "reference", "ref", "loan_number"),
        ),
        Column("principal", "amount lent, e.g. 24000.00", True, ("amount",)),
        Column("rate", "annual rate: 0.0649 or 6.49%", True, ("annual_rate", "interest_rate")),
        Column("term", f"months, 1 to {MAX_TERM_MONTHS}", True, ("term_months", "months")),
        Column(
            "kind",
            "schedule: annuity (default), equal_principal, interest_only_balloon",
            False,
            ("schedule_kind", "schedule"),
        ),
        Column(
            "first_due",
            "date of the first instalment, YYYY-MM-DD",
            True,
            ("first_due_date", "first_payment_date"),
        ),
        Column(
            "disbursed_on",
            "date the funds went out, YYYY-MM-DD",
            True,
            ("disbursement_date", "disbursement", "disbursed_at"),
        ),
        Column(
            "disbursed",
            "amount disbursed (default: the principal)",
            False,
            ("disbursed_amount", "disbursement_amount"),
        ),
        Column(
            "originated_on",
            "date of origination (default: the disbursement's)",
            False,
            ("origination_date", "originated_at"),
        ),
        Column(
            "payments",
            "payments made: date:amount[:reference] separated by ; "
            "(JSON Lines: a list of {date, amount, ref})",
            False,
        ),
    )

    def __init__(self) -> None:
        self._liens: dict[int, int] = {}
        self._commitments: dict[int, loan_records.Commitment] = {}

    def parse(self, row: Row, ctx: Context) -> LoanRow:
        lien_text = row.get("lien_id")
        vin = vin_of(row) if row.get("vin") or not lien_text else ""
        lien_id = whole(lien_text, "lien_id", 1, 2**48 - 1) if lien_text else 0
        loan_ref = row.get("loan_ref")
        if not loan_ref:
            raise InvalidInput("no loan reference")
        terms = LoanTerms(
            Decimal(money(row.get("principal"), "principal")) / 100,
            _rate(row.get("rate")),
            whole(row.get("term"), "term", 1, MAX_TERM_MONTHS),
            iso_date(row.get("first_due"), "first_due"),
            _kind(row.get("kind")),
        )
        disbursed_on = iso_date(row.get("disbursed_on"), "disbursed_on")
        originated_on = iso_date(row.get("originated_on") or disbursed_on.isoformat(),
                                 "originated_on")  # fmt: skip
        if originated_on > disbursed_on:
            raise InvalidInput(f"disbursed on {disbursed_on}, before its origination")
        if day_start(disbursed_on) > ctx.now:
            raise InvalidInput(f"disbursed on {disbursed_on}, after today (chain time)")
        disbursed = row.get("disbursed")
        cents = money(disbursed, "disbursed") if disbursed else int(terms.principal * 100)
        payments = _payments(row.values.get("payments"), ctx, day_start(disbursed_on))
        return LoanRow(row, vin, lien_id, loan_ref, terms, cents, day_start(originated_on),
                       day_start(disbursed_on), payments)  # fmt: skip

    def landed(self, batch: Batch, items: dict[int, LoanRow], ctx: Context) -> list[int] | None:
        """Originations and disbursements leave state to read; payments leave only events,
        so a payment batch the node forgot is sent again."""
        if batch.stage == "pay":
            return None
        loan_ids = self._loan_ids(batch.rows, items, ctx)
        if batch.stage == "originate" or loan_ids is None:
            return loan_ids
        states = {ctx.client.loan(i).state for i in (loan_ids[0], loan_ids[-1])}
        return [] if LoanState.ORIGINATED not in states else None

    def _loan_ids(self, rows: list[int], items: dict[int, LoanRow],
                  ctx: Context) -> list[int] | None:  # fmt: skip
        found = [items.get(r) for r in rows]
        if any(i is None for i in found):
            return None
        liens = [i.lien_id or 0 for i in found if i is not None]
        vins = [i.vin for i in found if i is not None and not i.lien_id]
        held = iter(ctx.client.liens_held_on(vins, ctx.signer) if vins else [])
        liens = [lien or next(held) for lien in liens]
        if not all(liens):
            return None
        loans = ctx.client.loans_of_liens(liens)
        ids = [loan_id for loan_id, _ in loans]
        if not all(ids) or any(ctx.client.loan(i).lender != ctx.signer for i in ids[:1]):
            return None
        return ids

    def keys(self, item: LoanRow) -> list[tuple[str, str]]:
        out = [("loan reference", item.loan_ref)]
        out.append(("VIN", item.vin) if item.vin else ("lien", str(item.lien_id)))
        return out

    # ------------------------------------------------------------ the chain's view

    def check(self, items: Sequence[LoanRow], ctx: Context) -> dict[int, str]:
        out: dict[int, str] = {}
        liens: dict[int, int] = {}
        for item in (i for i in items if i.lien_id):
            lien = ctx.client.lien(item.lien_id)
            if lien.status is not LienStatus.ACTIVE:
                out[item.row.number] = f"lien {item.lien_id} is not active"
            elif lien.holder.lower() != ctx.signer.lower():
                out[item.row.number] = f"lien {item.lien_id} is held by {lien.holder}, not by you"
            elif item.vin and lien.vin != item.vin:
                out[item.row.number] = f"lien {item.lien_id} is on {lien.vin}, not {item.vin}"
            else:
                liens[item.row.number] = item.lien_id
        by_vin = [i for i in items if not i.lien_id]
        reasons = title_refusals([i.vin for i in by_vin], ctx, what="new loans")
        for item, reason in zip(by_vin, reasons, strict=True):
            if reason:
                out[item.row.number] = reason
        pending = [i for i in by_vin if i.row.number not in out]
        for chunk in chunked(pending, ctx.view_chunk):
            held = ctx.client.liens_held_on([i.vin for i in chunk], ctx.signer)
            for item, lien_id in zip(chunk, held, strict=True):
                if lien_id:
                    liens[item.row.number] = lien_id
                else:
                    out[item.row.number] = (f"you hold no active lien on {item.vin}: import "
                                            "your liens first")  # fmt: skip
        numbered = list(liens.items())
        for chunk in chunked(numbered, ctx.view_chunk):
            financed = ctx.client.loans_of_liens([lien for _, lien in chunk])
            for (number, lien_id), (loan_id, _) in zip(chunk, financed, strict=True):
                if loan_id:
                    out[number] = f"lien {lien_id} already secures loan {loan_id}"
        self._liens = liens
        return out

    # ------------------------------------------------------------------ sending

    def send(self, items: Sequence[LoanRow], pipeline: Pipeline, journal: Journal,
             ctx: Context) -> int:  # fmt: skip
        by_row = {i.row.number: i for i in items}
        started = {r for b in journal.live("originate") for r in b.rows}
        fresh = [i for i in items if i.row.number not in started]
        if fresh:
            self._originate(fresh, pipeline, ctx)
        loan_of = self._keep_records(journal, by_row, ctx)
        disbursed = {r for b in journal.live("disburse") for r in b.rows}
        todo = [r for r in sorted(loan_of) if r not in disbursed]
        loans = ctx.client.loans
        if todo:

            def disburse(rows: Sequence[int]) -> tuple[str, dict[str, Any]]:
                batch = [by_row[r] for r in rows]
                return loans.encode(
                    "recordDisbursementsBatch", [loan_of[r] for r in rows],
                    [i.disbursed_cents for i in batch], [i.disbursed_at for i in batch],
                ), {}  # fmt: skip

            pipeline.send(Plan("disburse", loans.address, "recording disbursements", None,
                               todo, [1] * len(todo), disburse))  # fmt: skip
        self._pay(by_row, loan_of, pipeline, journal, ctx)
        return len(fresh)

    def _originate(self, fresh: list[LoanRow], pipeline: Pipeline, ctx: Context) -> None:
        refs = commit_many([i.loan_ref for i in fresh], ctx.data_dir / "commitments.jsonl",
                           kind="loan")  # fmt: skip
        commitments = commit_schedules([i.terms for i in fresh])
        prepared = {
            i.row.number: (c, ref) for i, c, ref in zip(fresh, commitments, refs, strict=True)
        }
        self._commitments = {row: c for row, (c, _) in prepared.items()}
        by_row = {i.row.number: i for i in fresh}
        loans = ctx.client.loans

        def encode(rows: Sequence[int]) -> tuple[str, dict[str, Any]]:
            cs = [prepared[r] for r in rows]
            data = loans.encode(
                "originateLoansBatch", [self._liens[r] for r in rows], [ref for _, ref in cs],
                [c.terms_hash for c, _ in cs], [c.schedule_hash for c, _ in cs],
                [by_row[r].originated_at for r in rows],
            )  # fmt: skip
            return data, {"salts": [c.salt.hex() for c, _ in cs]}

        pipeline.send(Plan("originate", loans.address, "originating loans", "LoanOriginated",
                           [i.row.number for i in fresh], [1] * len(fresh), encode))  # fmt: skip

    def _keep_records(self, journal: Journal, by_row: dict[int, LoanRow],
                      ctx: Context) -> dict[int, int]:  # fmt: skip
        """Loan id by row for every origination that landed; their records kept (once)."""
        directory = ctx.data_dir / "loans"
        loan_of: dict[int, int] = {}
        for batch in journal.live("originate"):
            assert batch.done is not None
            for row, loan_id, salt in zip(batch.rows, batch.done["ids"], batch.extra["salts"],
                                          strict=True):  # fmt: skip
                loan_of[row] = loan_id
                if (
                    row in by_row
                    and not loan_records.record_path(directory, ctx.chain_id, loan_id).exists()
                ):
                    c = self._commitments.get(row)  # built by this run, else from the salt
                    if c is None or c.salt.hex() != salt:
                        c = loan_records.Commitment.of(by_row[row].terms, bytes.fromhex(salt))
                    c.keep(directory, ctx.chain_id, loan_id)
        return loan_of

    def _pay(self, by_row: dict[int, LoanRow], loan_of: dict[int, int], pipeline: Pipeline,
             journal: Journal, ctx: Context) -> None:  # fmt: skip
        sent = {(r, n) for b in journal.live("pay") for r, n in b.rows}
        units = [(r, n) for r in sorted(loan_of) if r in by_row
                 for n in range(len(by_row[r].payments)) if (r, n) not in sent]  # fmt: skip
        if not units:
            return
        texts = [by_row[r].payments[n].ref for r, n in units]
        named = [t for t in texts if t]
        committed = iter(commit_many(named, ctx.data_dir / "commitments.jsonl", kind="payment")
                         if named else [])  # fmt: skip
        refs = {u: (next(committed) if t else ZERO_REF) for u, t in zip(units, texts, strict=True)}
        loans = ctx.client.loans

        def encode(batch: Sequence[tuple[int, int]]) -> tuple[str, dict[str, Any]]:
            pays = [by_row[r].payments[n] for r, n in batch]
            return loans.encode(
                "recordPaymentsBatch", [loan_of[r] for r, _ in batch], [p.cents for p in pays],
                [refs[(r, n)] for r, n in batch], [p.at for p in pays],
            ), {}  # fmt: skip

        pipeline.send(Plan("pay", loans.address, "recording payments", None,
                           [list(u) for u in units], [1] * len(units),
                           lambda b: encode([(r, n) for r, n in b])))  # fmt: skip
