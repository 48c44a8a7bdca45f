"""Checking a loan tape against the SQL mirror: every exception of every row.

For each row (the loan by id or committed reference, its VIN, balance and days past due as
the tape states them) :func:`check_tape` reports each :class:`~registry.enums.TapeException`
that applies. The lender is ``lender`` when given, else the loan's current servicer; the
collateral checks look at the loan's VIN on chain (a tape VIN that differs is reported once,
as ``vin_mismatch``):

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
* ``pledged_elsewhere``: the loan's active pledge is to another funder than ``funder``;
* ``duplicate_loan`` / ``duplicate_vin``: the same loan on several rows; one VIN on rows of
  different loans.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
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
STATUS_KINDS = {
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

    by_id: dict[int, Any]
    by_ref: dict[str, Any]
    standing: dict[int, Any] = field(default_factory=dict)
    liens: dict[str, list[Any]] = field(default_factory=dict)
    titles: dict[str, Any] = field(default_factory=dict)
    pledges: dict[int, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def loan(self, row: TapeRow) -> Any:
        if row.loan_id is not None:
            return self.by_id.get(row.loan_id)
        return self.by_ref.get(str(row.loan_ref))


def _facts(conn: Connection, rows: list[TapeRow], funder: str | None) -> _Facts:
    ids = [r.loan_id for r in rows if r.loan_id is not None]
    refs = [str(r.loan_ref) for r in rows if r.loan_id is None]
    facts = _Facts(mirror.loans_by_id(conn, ids), mirror.loans_by_ref(conn, refs))
    loans = [*facts.by_id.values(), *facts.by_ref.values()]
    loan_ids = [loan.loan_id for loan in loans]
    vins = [loan.vin for loan in loans]
    facts.standing = mirror.standing(conn, loan_ids)
    facts.liens = mirror.liens_on(conn, vins)
    facts.titles = mirror.titles_of(conn, vins)
    if funder is not None:
        facts.pledges = mirror.active_pledges(conn, loan_ids)
    facts.names = mirror.lender_names(conn)
    return facts


class _Row:
    """The findings of one tape row."""

    def __init__(self, row: TapeRow) -> None:
        self.row = row
        self.findings: list[Finding] = []

    def add(self, kind: TapeException, message: str, **details: Any) -> None:
        r = self.row
        self.findings.append(Finding(r.row, r.loan_key, r.vin, kind, r.balance_cents,
                                     f"row {r.row}: {message}", details))  # fmt: skip


def _duplicates(rows: list[TapeRow], facts: _Facts) -> dict[int, list[tuple[TapeException, Any]]]:
    """Row number -> (kind, details) of the duplicate findings."""
    identity: dict[int, str] = {}
    for r in rows:
        loan = facts.loan(r)
        identity[r.row] = f"id:{loan.loan_id}" if loan is not None else f"tape:{r.loan_key}"
    by_loan: dict[str, list[int]] = defaultdict(list)
    by_vin: dict[str, list[TapeRow]] = defaultdict(list)
    for r in rows:
        by_loan[identity[r.row]].append(r.row)
        by_vin[r.vin].append(r)
    out: dict[int, list[tuple[TapeException, Any]]] = defaultdict(list)
    for numbers in by_loan.values():
        if len(numbers) > 1:
            for n in numbers:
                out[n].append((TapeException.DUPLICATE_LOAN, [m for m in numbers if m != n]))
    for group in by_vin.values():
        if len({identity[r.row] for r in group}) > 1:
            for r in group:
                others = [o.row for o in group if identity[o.row] != identity[r.row]]
                out[r.row].append((TapeException.DUPLICATE_VIN, others))
    return out


def _liens(out: _Row, loan: Any, lender: str, facts: _Facts, ended: bool) -> None:
    liens = facts.liens.get(loan.vin, [])
    active = [lien for lien in liens if lien.status == LienStatus.ACTIVE]
    mine = [lien for lien in active if lien.holder == lender]
    if not mine and not ended:
        out.add(TapeException.NO_ACTIVE_LIEN, f"{lender} holds no active lien on {loan.vin}",
                lender=lender, lien_id=loan.lien_id)  # fmt: skip
    if mine:
        best = min(mine, key=lambda lien: lien.priority)
        if best.priority != 1:
            out.add(TapeException.NOT_FIRST_PRIORITY,
                    f"{lender}'s lien {best.lien_id} on {loan.vin} ranks {best.priority}, "
                    "not first", lien_id=best.lien_id, priority=best.priority)  # fmt: skip
    for lien in active:
        if lien.holder != lender:
            name = facts.names.get(lien.holder, "")
            who = f"{lien.holder} ({name})" if name else lien.holder
            out.add(TapeException.OTHER_LENDER_LIEN,
                    f"{who} holds active lien {lien.lien_id} on {loan.vin} (priority "
                    f"{lien.priority}), registered in block {lien.registered_block}",
                    holder=lien.holder, holder_name=name, lien_id=lien.lien_id,
                    priority=lien.priority, registered_block=lien.registered_block,
                    registered_at=lien.registered_at,
                    registered_tx=lien.registered_tx)  # fmt: skip


def _title(out: _Row, loan: Any, facts: _Facts) -> None:
    title = facts.titles.get(loan.vin)
    if title is None:
        return
    kind = STATUS_KINDS.get(title.status)
    if kind is not None:
        out.add(kind, f"the title of {loan.vin} is {title.status.lower().replace('_', ' ')}",
                status=title.status)  # fmt: skip
    brands = [b for b in brand_names(int(title.brands))
              if b not in EXPLAINED.get(title.status, frozenset())]  # fmt: skip
    if brands:
        labels = ", ".join(Brand(b).label for b in brands)
        out.add(TapeException.TITLE_BRANDED, f"the title of {loan.vin} is branded {labels}",
                brands=brands)  # fmt: skip


def _standing(out: _Row, loan: Any, facts: _Facts, tolerance: Tolerance) -> None:
    s = facts.standing.get(loan.loan_id)
    if s is not None:
        dpd, balance, source = int(s.dpd), int(s.exposure_cents), s.source
    else:
        dpd, source = int(loan.days_past_due), "lender_reported"
        balance = max(0, int(loan.disbursed_amount) - int(loan.total_paid))
    row = out.row
    if abs(row.dpd - dpd) > tolerance.dpd_days:
        out.add(TapeException.DPD_MISMATCH,
                f"the tape says {row.dpd} days past due, the chain {dpd}",
                tape_dpd=row.dpd, chain_dpd=dpd, source=source)  # fmt: skip
    if tolerance.balance_differs(row.balance_cents, balance):
        out.add(TapeException.BALANCE_MISMATCH,
                f"the tape's balance is {row.balance_cents / 100:,.2f}, "
                f"the chain's {balance / 100:,.2f}",
                tape_balance_cents=row.balance_cents, chain_balance_cents=balance,
                source=source)  # fmt: skip


def _row(row: TapeRow, facts: _Facts, lender: str | None, funder: str | None,
         tolerance: Tolerance) -> _Row:  # fmt: skip
    out = _Row(row)
    loan = facts.loan(row)
    if loan is None:
        what = f"loan {row.loan_id}" if row.loan_id is not None else f"loan {row.loan_ref}"
        out.add(TapeException.LOAN_UNKNOWN, f"{what} is not on chain")
        return out
    if row.loan_id is not None and row.loan_ref is not None and loan.loan_ref != row.loan_ref:
        out.add(TapeException.LOAN_UNKNOWN,
                f"loan {row.loan_id}'s reference on chain is {loan.loan_ref}, not {row.loan_ref}",
                chain_loan_ref=loan.loan_ref)  # fmt: skip
        return out
    if row.vin != loan.vin:
        out.add(TapeException.VIN_MISMATCH,
                f"loan {loan.loan_id} is on {loan.vin}, the tape says {row.vin}",
                chain_vin=loan.vin)  # fmt: skip
    holder = lender or loan.lender
    own = next((lien for lien in facts.liens.get(loan.vin, []) if lien.lien_id == loan.lien_id),
               None)  # fmt: skip
    repossessed = loan.state == LoanState.REPOSSESSED or (
        own is not None and own.status == LienStatus.REPOSSESSED
    )
    closed = loan.state in CLOSED
    _liens(out, loan, holder, facts, ended=closed or repossessed)
    _title(out, loan, facts)
    if repossessed:
        out.add(TapeException.REPOSSESSED, f"loan {loan.loan_id}'s vehicle was repossessed",
                state=loan.state)  # fmt: skip
    if closed and row.balance_cents > 0:
        out.add(TapeException.CLOSED_ON_CHAIN,
                f"loan {loan.loan_id} is {loan.state.lower().replace('_', ' ')} on chain but "
                "live in the tape", state=loan.state)  # fmt: skip
    if not closed:
        _standing(out, loan, facts, tolerance)
    pledge = facts.pledges.get(loan.loan_id)
    if funder is not None and pledge is not None and pledge.funder != funder:
        out.add(TapeException.PLEDGED_ELSEWHERE,
                f"loan {loan.loan_id} is pledged to {pledge.funder} (pledge {pledge.pledge_id}, "
                f"block {pledge.pledged_block})", funder=pledge.funder,
                pledge_id=pledge.pledge_id, pledged_block=pledge.pledged_block,
                pledged_at=pledge.pledged_at)  # fmt: skip
    return out


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
    facts = _facts(conn, tape.rows, funder)
    duplicates = _duplicates(tape.rows, facts)
    findings: list[Finding] = []
    for row in tape.rows:
        out = _row(row, facts, lender, funder, tolerance)
        for kind, others in duplicates.get(row.row, []):
            what = "loan" if kind is TapeException.DUPLICATE_LOAN else "VIN"
            rows = ", ".join(str(n) for n in others)
            out.add(kind, f"the same {what} is on row{'s' if len(others) > 1 else ''} {rows}",
                    rows=others)  # fmt: skip
        findings.extend(out.findings)
    return build_result(tape, state, findings, lender=lender, funder=funder,
                        tolerance=tolerance.as_json())  # fmt: skip
