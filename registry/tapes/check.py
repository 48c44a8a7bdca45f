"""Checking a loan tape against the SQL mirror: every exception of every row.

For each row (the loan by id or committed reference, its VIN, balance and days past due as
the tape states them) :func:`check_tape` reports each :class:`~registry.enums.TapeException`
that applies. The lender is ``lender`` when given, else the loan's current servicer; the
collateral checks look at the loan's VIN on chain (a tape VIN that differs is reported once,
as ``vin_mismatch``):

* ``loan_unknown``: no loan has the row's id or reference (or a row giving both names two
  different loans): nothing else is checked for that row;
* ``no_active_lien``: the lender holds no active lien on the VIN (not reported when the loan
  is paid off, charged off or repossessed: those end the lien, and are reported themselves);
* ``not_first_priority``: the lender's best active lien ranks below first;
* ``other_lender_lien``: one per active lien of another holder (named, with when it was
  registered);
* ``title_total_loss`` / ``title_stolen`` / ``title_junk``: the title's status (total loss,
  stolen, scrapped by a junk brand); ``title_branded``: brands those statuses do not explain
  (salvage is explained by a total loss, stolen by a stolen status, junk always);
* ``repossessed``: the loan or its lien was repossessed;
* ``closed_on_chain``: paid off or charged off on chain while the tape shows a balance;
* ``dpd_mismatch`` / ``balance_mismatch`` (open loans): beyond the tolerance from the risk
  module's standing (its DPD and principal outstanding; the lender-recorded DPD and
  ``disbursed - paid`` for a loan without one);
* ``pledged_elsewhere``: the loan's active pledge is to another funder than ``funder`` (only
  checked when ``funder`` is given);
* ``duplicate_loan`` / ``duplicate_vin``: the same loan on several rows; one VIN on rows of
  different loans.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from registry.contracts import brand_names
from registry.enums import Brand, LienStatus, LoanState, TapeException, TitleStatus
from registry.errors import MirrorNotReady
from registry.queries import Reader, mirror_state
from registry.tapes import mirror
from registry.tapes.result import Finding, TapeResult, build_result
from registry.tapes.tape import Tape, TapeRow

CLOSED = (LoanState.PAID_OFF, LoanState.CHARGED_OFF)
#: Brands a title status already says (reported as that status, not again as a brand).
EXPLAINED: dict[str, frozenset[str]] = {
    TitleStatus.TOTAL_LOSS: frozenset({Brand.SALVAGE}),
    TitleStatus.STOLEN: frozenset({Brand.STOLEN}),
    TitleStatus.SCRAPPED: frozenset({Brand.JUNK}),
}
STATUS_KINDS: dict[str, TapeException] = {
    TitleStatus.TOTAL_LOSS: TapeException.TITLE_TOTAL_LOSS,
    TitleStatus.STOLEN: TapeException.TITLE_STOLEN,
    TitleStatus.SCRAPPED: TapeException.TITLE_JUNK,
}


@dataclass(frozen=True)
class Tolerance:
    """How far the tape's DPD and balance may be from the chain's before they differ."""

    dpd_days: int = 5
    balance_cents: int = 100  # absolute...
    balance_ratio: float = 0.01  # ... or this share of the chain's balance, whichever is more

    def balance_differs(self, tape: int, chain: int) -> bool:
        return abs(tape - chain) > max(self.balance_cents, self.balance_ratio * chain)

    def as_json(self) -> dict[str, Any]:
        return {"dpd_days": self.dpd_days, "balance_cents": self.balance_cents,
                "balance_ratio": self.balance_ratio}  # fmt: skip


@dataclass
class _Facts:
    """What the mirror says about a tape's loans, read in a few set-based queries."""

    loans: dict[int, mirror.LoanFacts]
    by_ref: dict[str, int]
    liens: dict[str, list[mirror.LienFacts]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def loan(self, row: TapeRow) -> mirror.LoanFacts | None:
        if row.loan_id is not None:
            return self.loans.get(row.loan_id)
        loan_id = self.by_ref.get(str(row.loan_ref))
        return None if loan_id is None else self.loans.get(loan_id)


def _sole_lien(loan: mirror.LoanFacts, lender: str) -> bool:
    """The usual case: the loan's own lien is the vehicle's one active lien, the lender's."""
    return (loan.active_liens == 1 and loan.lien_status == LienStatus.ACTIVE
            and loan.lien_holder == lender)  # fmt: skip


def _facts(conn: Connection, rows: list[TapeRow], lender: str | None) -> _Facts:
    by_ref = mirror.loans_by_ref(conn, [r.loan_ref for r in rows if r.loan_ref is not None])
    ids = [r.loan_id for r in rows if r.loan_id is not None]
    with mirror.tape_keys(conn, [*ids, *by_ref.values()]) as keys:
        facts = _Facts(mirror.loans(conn, keys), by_ref)
    others = [x.vin for x in facts.loans.values() if not _sole_lien(x, lender or x.lender)]
    facts.liens = mirror.liens_on(conn, others)
    facts.names = mirror.lender_names(conn)
    return facts


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _finding(row: TapeRow, kind: TapeException, message: str, **details: Any) -> Finding:
    return Finding(row.row, row.loan_key, row.vin, kind, row.balance_cents,
                   f"row {row.row}: {message}", details)  # fmt: skip


def _duplicates(rows: list[TapeRow], loans: list[mirror.LoanFacts | None]
                ) -> dict[int, list[Finding]]:  # fmt: skip
    """Row number -> its duplicate findings (the same loan twice; one VIN, several loans)."""
    identity: dict[int, int | str] = {
        r.row: loan.loan_id if loan is not None else f"tape:{r.loan_key}"
        for r, loan in zip(rows, loans, strict=True)
    }
    loan_count = Counter(identity.values())
    vin_count = Counter(r.vin for r in rows)
    by_loan: dict[int | str, list[int]] = defaultdict(list)
    by_vin: dict[str, list[TapeRow]] = defaultdict(list)
    for r in rows:
        if loan_count[identity[r.row]] > 1:
            by_loan[identity[r.row]].append(r.row)
        if vin_count[r.vin] > 1:
            by_vin[r.vin].append(r)
    out: dict[int, list[Finding]] = defaultdict(list)
    by_row = {r.row: r for r in rows}
    for numbers in by_loan.values():
        for n in numbers:
            others = [m for m in numbers if m != n]
            out[n].append(_duplicate(by_row[n], TapeException.DUPLICATE_LOAN, others))
    for group in by_vin.values():
        if len({identity[r.row] for r in group}) > 1:
            for r in group:
                others = [o.row for o in group if identity[o.row] != identity[r.row]]
                out[r.row].append(_duplicate(r, TapeException.DUPLICATE_VIN, others))
    return out


def _duplicate(row: TapeRow, kind: TapeException, others: list[int]) -> Finding:
    what = "loan" if kind is TapeException.DUPLICATE_LOAN else "VIN"
    listed = ", ".join(str(n) for n in others)
    plural = "s" if len(others) > 1 else ""
    return _finding(row, kind, f"the same {what} is on row{plural} {listed}", rows=others)


def _liens(out: list[Finding], row: TapeRow, loan: mirror.LoanFacts, lender: str,
           facts: _Facts, ended: bool) -> None:  # fmt: skip
    if _sole_lien(loan, lender):
        return  # the usual case: one lien, the lender's, first by itself
    liens = facts.liens.get(loan.vin, ())
    active = [lien for lien in liens if lien.status == LienStatus.ACTIVE]
    mine = [lien for lien in active if lien.holder == lender]
    if not mine and not ended:
        out.append(_finding(row, TapeException.NO_ACTIVE_LIEN,
                            f"{lender} holds no active lien on {loan.vin}",
                            lender=lender, lien_id=loan.lien_id))  # fmt: skip
    if mine:
        best = min(mine, key=lambda lien: lien.priority)
        if best.priority != 1:
            out.append(_finding(row, TapeException.NOT_FIRST_PRIORITY,
                                f"{lender}'s lien {best.lien_id} on {loan.vin} ranks "
                                f"{best.priority}, not first",
                                lien_id=best.lien_id, priority=best.priority))  # fmt: skip
    for lien in active:
        if lien.holder != lender:
            name = facts.names.get(lien.holder, "")
            who = f"{lien.holder} ({name})" if name else lien.holder
            out.append(_finding(row, TapeException.OTHER_LENDER_LIEN,
                                f"{who} holds active lien {lien.lien_id} on {loan.vin} "
                                f"(priority {lien.priority}), registered in block "
                                f"{lien.registered_block} ({_when(lien.registered_at)})",
                                holder=lien.holder, holder_name=name, lien_id=lien.lien_id,
                                priority=lien.priority, registered_block=lien.registered_block,
                                registered_at=lien.registered_at,
                                registered_tx=lien.registered_tx))  # fmt: skip


def _title(out: list[Finding], row: TapeRow, loan: mirror.LoanFacts) -> None:
    status, mask = loan.title_status, int(loan.brands or 0)
    if status is None or (status == TitleStatus.ACTIVE and mask == 0):
        return
    kind = STATUS_KINDS.get(status)
    if kind is not None:
        out.append(_finding(row, kind, f"the title of {loan.vin} is "
                            f"{status.lower().replace('_', ' ')}", status=status))  # fmt: skip
    brands = [b for b in brand_names(mask) if b not in EXPLAINED.get(status, frozenset())]
    if brands:
        labels = ", ".join(Brand(b).label for b in brands)
        out.append(_finding(row, TapeException.TITLE_BRANDED,
                            f"the title of {loan.vin} is branded {labels}",
                            brands=brands))  # fmt: skip


def _standing(out: list[Finding], row: TapeRow, loan: mirror.LoanFacts,
              tolerance: Tolerance) -> None:  # fmt: skip
    if loan.dpd is not None and loan.exposure_cents is not None:
        dpd, balance, source = int(loan.dpd), int(loan.exposure_cents), str(loan.source)
    else:
        dpd, source = int(loan.days_past_due), "lender_reported"
        balance = max(0, int(loan.disbursed_amount) - int(loan.total_paid))
    if abs(row.dpd - dpd) > tolerance.dpd_days:
        out.append(_finding(row, TapeException.DPD_MISMATCH,
                            f"the tape says {row.dpd} days past due, the chain {dpd}",
                            tape_dpd=row.dpd, chain_dpd=dpd, source=source))  # fmt: skip
    if tolerance.balance_differs(row.balance_cents, balance):
        out.append(_finding(row, TapeException.BALANCE_MISMATCH,
                            f"the tape's balance is {row.balance_cents / 100:,.2f}, "
                            f"the chain's {balance / 100:,.2f}",
                            tape_balance_cents=row.balance_cents, chain_balance_cents=balance,
                            source=source))  # fmt: skip


def _pledge(out: list[Finding], row: TapeRow, loan: mirror.LoanFacts, funder: str) -> None:
    if loan.funder is not None and loan.funder != funder:
        out.append(_finding(row, TapeException.PLEDGED_ELSEWHERE,
                            f"loan {loan.loan_id} is pledged to {loan.funder} (pledge "
                            f"{loan.pledge_id}, block {loan.pledged_block})",
                            funder=loan.funder, pledge_id=loan.pledge_id,
                            pledged_block=loan.pledged_block,
                            pledged_at=loan.pledged_at))  # fmt: skip


def _row(out: list[Finding], row: TapeRow, loan: mirror.LoanFacts | None, facts: _Facts,
         lender: str | None, funder: str | None, tolerance: Tolerance) -> None:  # fmt: skip
    if loan is None:
        what = f"loan {row.loan_id}" if row.loan_id is not None else f"loan {row.loan_ref}"
        out.append(_finding(row, TapeException.LOAN_UNKNOWN, f"{what} is not on chain"))
        return
    named = facts.by_ref.get(row.loan_ref) if row.loan_ref is not None else loan.loan_id
    if named != loan.loan_id:  # a row with both: the reference is another loan's, or none
        what = f"loan {named}'s" if named is not None else "no loan's"
        out.append(_finding(row, TapeException.LOAN_UNKNOWN,
                            f"the reference {row.loan_ref} is {what}, not loan {loan.loan_id}'s",
                            ref_loan_id=named))  # fmt: skip
        return
    if row.vin != loan.vin:
        out.append(_finding(row, TapeException.VIN_MISMATCH,
                            f"loan {loan.loan_id} is on {loan.vin}, the tape says {row.vin}",
                            chain_vin=loan.vin))  # fmt: skip
    state = loan.state
    closed = state in CLOSED
    repossessed = state == LoanState.REPOSSESSED or loan.lien_status == LienStatus.REPOSSESSED
    _liens(out, row, loan, lender or loan.lender, facts, ended=closed or repossessed)
    _title(out, row, loan)
    if repossessed:
        out.append(_finding(row, TapeException.REPOSSESSED,
                            f"loan {loan.loan_id}'s vehicle was repossessed",
                            state=state))  # fmt: skip
    if closed and row.balance_cents > 0:
        out.append(_finding(row, TapeException.CLOSED_ON_CHAIN,
                            f"loan {loan.loan_id} is {state.lower().replace('_', ' ')} on "
                            "chain but live in the tape", state=state))  # fmt: skip
    if not closed:
        _standing(out, row, loan, tolerance)
    if funder is not None:
        _pledge(out, row, loan, funder)


def check_tape(
    conn: Connection,
    tape: Tape,
    *,
    lender: str | None = None,
    funder: str | None = None,
    tolerance: Tolerance | None = None,
) -> TapeResult:
    """Every exception of every row of ``tape`` (lowercase addresses), as the mirror holds
    the chain in ``conn``'s snapshot.

    Raises:
        MirrorNotReady: the mirror has not been indexed yet.
    """
    state = mirror_state(Reader.of(conn))
    if state is None:
        raise MirrorNotReady("the SQL mirror is empty: the indexer has not run yet")
    tolerance = tolerance or Tolerance()
    facts = _facts(conn, tape.rows, lender)
    loans = [facts.loan(row) for row in tape.rows]
    duplicates = _duplicates(tape.rows, loans)
    findings: list[Finding] = []
    for row, loan in zip(tape.rows, loans, strict=True):
        _row(findings, row, loan, facts, lender, funder, tolerance)
        findings.extend(duplicates.get(row.row, ()))
    return build_result(tape, state, findings, lender=lender, funder=funder,
                        tolerance=tolerance.as_json())  # fmt: skip
