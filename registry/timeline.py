"""A vehicle's history in words: every event explained, with its details.

Each event of a VIN's history gets a one-line ``summary`` and ``details`` (label and value
pairs): amounts of payments and disbursements, lien ids and their priority at the time,
counterparties by participant name, brand names, odometer values, who consented to a
transfer. What stood at the time comes from replaying the VIN's events through the
projection handlers (:func:`registry.queries.asof.replay`), so it is what the register said
then. An event this module has no words for (another module's, say) gets a generic
explanation naming each of its arguments.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from registry.contracts import brand_names
from registry.db.models import Participant
from registry.enums import Brand, LienStatus, PledgeReleaseReason, ReleaseReason, TitleStatus
from registry.events import DecodedEvent
from registry.indexer.projections import role_name
from registry.indexer.state import BatchState
from registry.queries import Reader, table
from registry.queries.asof import replay, vin_rows

PARTICIPANTS = table(Participant)

Detail = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Explanation:
    summary: str
    details: tuple[Detail, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "details": [{"label": k, "value": v} for k, v in self.details],
        }


@dataclass
class Moment:
    """What an explanation may look at: the event, the names of participants, the active
    liens before the event (id -> (priority, holder)) and the rows after it."""

    event: DecodedEvent
    names: dict[str, str]
    liens_before: dict[int, tuple[int, str]]
    after: BatchState

    def who(self, address: str | None) -> str:
        if not address:
            return "-"
        name = self.names.get(address.lower())
        return f"{name} ({address})" if name else address

    def priority_after(self, lien_id: int) -> int:
        row = self.after.liens.get(lien_id)
        return int(row["priority"]) if row else 0


def money(cents: int) -> str:
    """Cents as an amount: 2400000 -> '24,000.00'."""
    return f"{cents // 100:,}.{cents % 100:02d}"


def _when(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _enum(kind: Any, index: int) -> str:
    try:
        return str(kind.from_chain(index).value).lower().replace("_", " ")
    except ValueError:
        return str(index)


# ----------------------------------------------------------------------- the words

Words = Callable[[Moment], Explanation]


def _e(summary: str, *details: Detail) -> Explanation:
    return Explanation(summary, details)


def _title_issued(m: Moment) -> Explanation:
    a = m.event.args
    return _e(
        f"Title issued to {m.who(a['owner'])} by {m.who(a['registrar'])}, odometer "
        f"{a['odometer']:,}",
        ("owner", m.who(a["owner"])),
        ("registrar", m.who(a["registrar"])),
        ("odometer", f"{a['odometer']:,}"),
    )


def _title_transferred(m: Moment) -> Explanation:
    a = m.event.args
    holders = [m.who(h) for _, h in sorted(m.liens_before.values())]
    consent = f", with the consent of {', '.join(holders)}" if holders else ""
    return _e(
        f"Title transferred from {m.who(a['from'])} to {m.who(a['to'])}{consent}",
        ("from", m.who(a["from"])),
        ("to", m.who(a["to"])),
        ("transfer number", str(a["nonce"])),
        ("consented by", ", ".join(holders) or "no lien stood: no consent needed"),
    )


def _status_changed(m: Moment) -> Explanation:
    a = m.event.args
    status = _enum(TitleStatus, a["status"])
    return _e(
        f"Title status changed to {status} by {m.who(a['actor'])}",
        ("status", status),
        ("by", m.who(a["actor"])),
    )


def _odometer(m: Moment) -> Explanation:
    a = m.event.args
    note = (
        " (not actual: a registrar's correction below an earlier reading)" if a["notActual"] else ""
    )
    return _e(
        f"Odometer reading {a['reading']:,} recorded by {m.who(a['recorder'])}{note}",
        ("reading", f"{a['reading']:,}"),
        ("recorded by", m.who(a["recorder"])),
        ("not actual", "yes" if a["notActual"] else "no"),
    )


def _brand(m: Moment) -> Explanation:
    a = m.event.args
    brand = _enum(Brand, a["brand"])
    now = ", ".join(b.value.lower().replace("_", " ") for b in brand_names(a["brands"]))
    return _e(
        f"Brand {brand} applied by {m.who(a['actor'])}",
        ("brand", brand),
        ("by", m.who(a["actor"])),
        ("brands now", now or "none"),
    )


def _sale(m: Moment) -> Explanation:
    a = m.event.args
    fp = a["floorPlanLienId"]
    trust = f": floor-plan lien {fp} still stood, sold out of trust" if fp else ""
    passed = "the title passed" if a["titleTransferred"] else "the title did not pass yet"
    return _e(
        f"Sold by dealer {m.who(a['dealer'])} to {m.who(a['buyer'])} ({passed}){trust}",
        ("dealer", m.who(a["dealer"])),
        ("buyer", m.who(a["buyer"])),
        ("title transferred", "yes" if a["titleTransferred"] else "no"),
        ("floor-plan lien standing", str(fp) if fp else "none"),
    )


def _lien_registered(m: Moment) -> Explanation:
    a = m.event.args
    rank = m.priority_after(a["lienId"])
    kind = "floor-plan" if a["floorPlan"] else "consumer"
    return _e(
        f"Lien {a['lienId']} ({kind}) registered by {m.who(a['holder'])}, priority {rank}",
        ("lien", str(a["lienId"])),
        ("holder", m.who(a["holder"])),
        ("type", kind),
        ("priority", str(rank)),
    )


def _lien_released(m: Moment) -> Explanation:
    a = m.event.args
    rank = m.liens_before.get(a["lienId"], (0, ""))[0]
    reason = _enum(ReleaseReason, a["reason"])
    return _e(
        f"Lien {a['lienId']} released by {m.who(a['holder'])} ({reason}); it ranked {rank}",
        ("lien", str(a["lienId"])),
        ("holder", m.who(a["holder"])),
        ("reason", reason),
        ("priority before release", str(rank)),
    )


def _lien_assigned(m: Moment) -> Explanation:
    a = m.event.args
    rank = m.priority_after(a["lienId"])
    return _e(
        f"Lien {a['lienId']} assigned by {m.who(a['from'])} to {m.who(a['to'])} (priority {rank})",
        ("lien", str(a["lienId"])),
        ("from", m.who(a["from"])),
        ("to", m.who(a["to"])),
        ("priority", str(rank)),
    )


def _loan(what: str, *fields: str) -> Words:
    def words(m: Moment) -> Explanation:
        a = m.event.args
        details: list[Detail] = [("loan", str(a["loanId"])), ("lender", m.who(a.get("lender")))]
        text = f"Loan {a['loanId']}: {what}"
        for f in fields:
            if f == "amount":
                text += f" of {money(a['amount'])}"
                details.append(("amount", money(a["amount"])))
            elif f == "lienId":
                text += f" (lien {a['lienId']})"
                details.append(("lien", str(a["lienId"])))
            elif f == "daysPastDue":
                text += f": {a['daysPastDue']} days past due" if a["daysPastDue"] else ": cured"
                details.append(("days past due", str(a["daysPastDue"])))
            elif f == "paid":
                loan = m.after.loans.get(a["loanId"])
                if loan is not None:
                    details.append(("total paid so far", money(loan["total_paid"])))
            else:
                details.append((f, str(a[f])))
        return _e(f"{text}, by {m.who(a.get('lender'))}", *details)

    return words


def _servicing(m: Moment) -> Explanation:
    a = m.event.args
    return _e(
        f"Loan {a['loanId']}: servicing moved from {m.who(a['from'])} to {m.who(a['to'])}",
        ("loan", str(a["loanId"])),
        ("from", m.who(a["from"])),
        ("to", m.who(a["to"])),
    )


def _policy(m: Moment) -> Explanation:
    a = m.event.args
    return _e(
        f"Policy {a['policyId']} recorded by {m.who(a['insurer'])}, loss payee "
        f"{m.who(a['lossPayee'])}",
        ("policy", str(a["policyId"])),
        ("insurer", m.who(a["insurer"])),
        ("loss payee", m.who(a["lossPayee"])),
        ("expires", _when(a["expiresAt"])),
    )


def _insurance(what: str, *fields: str) -> Words:
    def words(m: Moment) -> Explanation:
        a = m.event.args
        subject = f"Claim {a['claimId']}" if "claimId" in a else f"Policy {a['policyId']}"
        details: list[Detail] = [
            (subject.split()[0].lower(), subject.split()[1]),
            ("insurer", m.who(a.get("insurer"))),
        ]
        text = f"{subject}: {what}"
        for f in fields:
            if f == "amount":
                text += f" ({money(a['amount'])})"
                details.append(("amount", money(a["amount"])))
            elif f == "lossPayee":
                text += f", loss payee {m.who(a['lossPayee'])}"
                details.append(("loss payee", m.who(a["lossPayee"])))
        return _e(f"{text}, by {m.who(a.get('insurer'))}", *details)

    return words


def _total_loss(m: Moment) -> Explanation:
    a = m.event.args
    flood = " (flood)" if a["flood"] else ""
    return _e(
        f"Total loss{flood} declared by {m.who(a['insurer'])} on claim {a['claimId']}: "
        f"the title is branded salvage; loss payee {m.who(a['lossPayee'])}",
        ("claim", str(a["claimId"])),
        ("policy", str(a["policyId"])),
        ("insurer", m.who(a["insurer"])),
        ("loss payee", m.who(a["lossPayee"])),
        ("flood", "yes" if a["flood"] else "no"),
    )


def _pledged(m: Moment) -> Explanation:
    a = m.event.args
    return _e(
        f"Loan {a['loanId']} pledged to funder {m.who(a['funder'])} by {m.who(a['lender'])} "
        f"(pledge {a['pledgeId']})",
        ("pledge", str(a["pledgeId"])),
        ("loan", str(a["loanId"])),
        ("funder", m.who(a["funder"])),
        ("lender", m.who(a["lender"])),
    )


def _pledge_released(m: Moment) -> Explanation:
    a = m.event.args
    reason = _enum(PledgeReleaseReason, a["reason"])
    return _e(
        f"Pledge {a['pledgeId']} of loan {a['loanId']} released by funder {m.who(a['funder'])} "
        f"({reason})",
        ("pledge", str(a["pledgeId"])),
        ("loan", str(a["loanId"])),
        ("funder", m.who(a["funder"])),
        ("reason", reason),
    )


WORDS: dict[str, Words] = {
    "TitleIssued": _title_issued,
    "TitleTransferred": _title_transferred,
    "TitleStatusChanged": _status_changed,
    "OdometerRecorded": _odometer,
    "BrandApplied": _brand,
    "SaleRecorded": _sale,
    "LienRegistered": _lien_registered,
    "LienReleased": _lien_released,
    "LienAssigned": _lien_assigned,
    "LoanOriginated": _loan("originated", "lienId", "termsHash", "scheduleHash"),
    "LoanDisbursed": _loan("disbursement", "amount"),
    "LoanPaymentRecorded": _loan("payment", "amount", "paid"),
    "LoanDelinquencyRecorded": _loan("delinquency recorded", "daysPastDue"),
    "LoanDefaulted": _loan("defaulted"),
    "LoanRestructured": _loan("restructured", "termsHash", "scheduleHash"),
    "LoanRepossessed": _loan("vehicle repossessed, the title passes to the lienholder", "lienId"),
    "LoanPaidOff": _loan("paid off, its lien released", "lienId"),
    "LoanChargedOff": _loan("charged off", "amount"),
    "LoanServicingTransferred": _servicing,
    "PolicyRecorded": _policy,
    "LossPayeeChanged": _insurance("loss payee changed", "lossPayee"),
    "PolicyCancelled": _insurance("cancelled"),
    "ClaimFiled": _insurance("filed", "amount"),
    "ClaimSettled": _insurance("settled", "amount", "lossPayee"),
    "ClaimDenied": _insurance("denied"),
    "TotalLossDeclared": _total_loss,
    "LoanPledged": _pledged,
    "PledgeReleased": _pledge_released,
}


def _value(m: Moment, key: str, value: Any) -> str:
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return m.who(value)
    if key == "role" and isinstance(value, str):
        return role_name(value)
    return str(value)


def generic(m: Moment) -> Explanation:
    """The words for an event this module does not know: its name and every argument."""
    ev = m.event
    details = tuple((k, _value(m, k, v)) for k, v in ev.args.items())
    return _e(
        f"{ev.name} recorded"
        + (f" ({', '.join(f'{k} {v}' for k, v in details)})" if details else ""),
        *details,
    )


def explain(m: Moment) -> Explanation:
    """The words for one event."""
    return WORDS.get(m.event.name, generic)(m)


REDACTED = "details shown to the lender, auditors and the registrar"


def redacted(m: Moment) -> Explanation:
    """A loan event for a caller who may not see its amounts and terms."""
    loan = m.event.args.get("loanId")
    return _e(f"Loan {loan}: {m.event.name} ({REDACTED})", ("loan", str(loan)))


# ---------------------------------------------------------------------- the timeline

_NAMES = select(PARTICIPANTS.c.address, PARTICIPANTS.c.name).order_by(PARTICIPANTS.c.admitted_block)


def participant_names(reader: Reader) -> dict[str, str]:
    """Every participant's latest name, by lowercase address."""
    return {a: n for a, n in reader.rows(_NAMES) if n}


def explanations(
    reader: Reader, vin: str, until: int, hide: Callable[[DecodedEvent], bool] | None = None
) -> dict[tuple[int, int], Explanation]:
    """Every event of ``vin`` up to block ``until`` explained, by (block, log index);
    ``hide(event)`` true gives a loan event the :func:`redacted` words."""
    names = participant_names(reader)
    out: dict[tuple[int, int], Explanation] = {}
    before: dict[int, tuple[int, str]] = {}

    def observe(ev: DecodedEvent, state: BatchState) -> None:
        nonlocal before
        moment = Moment(ev, names, before, state)
        words = redacted if hide is not None and hide(ev) else explain
        out[(ev.block_number, ev.log_index)] = words(moment)
        before = {
            i: (int(r["priority"]), str(r["holder"]))
            for i, r in state.liens.items()
            if r["status"] == LienStatus.ACTIVE
        }

    replay(vin_rows(reader, vin, until), observe=observe)
    return out


def explained(
    items: list[dict[str, Any]], words: dict[tuple[int, int], Explanation]
) -> list[dict[str, Any]]:
    """History items (:func:`registry.queries.vehicles.event_row`) with their words."""
    return [{**item, **words[(item["block"], item["log_index"])].as_json()} for item in items]


CSV_COLUMNS = (
    "block",
    "log_index",
    "time",
    "kind",
    "event",
    "summary",
    "details",
    "actor",
    "lien_id",
    "loan_id",
    "policy_id",
    "claim_id",
    "tx_hash",
    "block_hash",
)


def to_csv(items: Iterable[dict[str, Any]]) -> str:
    """Explained history items as CSV (a header row, then one row per event)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        row = {
            **item,
            "time": _when(item["time"]),
            "details": "; ".join(f"{d['label']}: {d['value']}" for d in item["details"]),
        }
        writer.writerow(["" if row.get(c) is None else row[c] for c in CSV_COLUMNS])
    return out.getvalue()
