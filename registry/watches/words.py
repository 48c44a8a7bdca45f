"""The event of a notice in words: one sentence per contract event.

Kept minimal and in this one function on purpose: :mod:`registry.timeline` (the full
explanations of every history event) is meant to replace :func:`describe` when the branches
meet. An event it does not know still gets a sentence (its name and VIN).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.enums import Brand, ReleaseReason, TitleStatus


def _money(cents: Any) -> str:
    return f"{int(cents) / 100:,.2f}"


def _enum(kind: Any, index: Any) -> str:
    try:
        return str(kind.from_chain(int(index)).value).lower().replace("_", " ")
    except (ValueError, IndexError):
        return str(index)


_SENTENCES: dict[str, Callable[[dict[str, Any]], str]] = {
    "TitleIssued": lambda a: f"title issued to {a['owner']} at {a['odometer']:,} miles",
    "TitleTransferred": lambda a: f"title transferred from {a['from']} to {a['to']}",
    "TitleStatusChanged": lambda a: f"title status is now {_enum(TitleStatus, a['status'])}",
    "OdometerRecorded": lambda a: (
        f"odometer reading {a['reading']:,}" + (" (not actual)" if a.get("notActual") else "")
    ),
    "BrandApplied": lambda a: f"title branded {_enum(Brand, a['brand'])}",
    "SaleRecorded": lambda a: (
        f"sale by dealer {a['dealer']} to {a['buyer']}"
        + (
            f" while floor-plan lien {a['floorPlanLienId']} stands"
            if a.get("floorPlanLienId")
            else ""
        )
    ),
    "LienRegistered": lambda a: (
        f"lien {a['lienId']} registered by {a['holder']}"
        + (" (floor plan)" if a.get("floorPlan") else "")
    ),
    "LienReleased": lambda a: (
        f"lien {a['lienId']} of {a['holder']} released ({_enum(ReleaseReason, a['reason'])})"
    ),
    "LienAssigned": lambda a: f"lien {a['lienId']} assigned from {a['from']} to {a['to']}",
    "LoanOriginated": lambda a: (
        f"loan {a['loanId']} originated by {a['lender']} on lien {a['lienId']}"
    ),
    "LoanDisbursed": lambda a: f"loan {a['loanId']} disbursed: {_money(a['amount'])}",
    "LoanPaymentRecorded": lambda a: f"payment of {_money(a['amount'])} on loan {a['loanId']}",
    "LoanDelinquencyRecorded": lambda a: f"loan {a['loanId']} is {a['daysPastDue']} days past due",
    "LoanDefaulted": lambda a: f"loan {a['loanId']} defaulted",
    "LoanRestructured": lambda a: f"loan {a['loanId']} restructured (new terms committed)",
    "LoanRepossessed": lambda a: f"vehicle repossessed by {a['lender']} (loan {a['loanId']})",
    "LoanPaidOff": lambda a: f"loan {a['loanId']} paid off, lien {a['lienId']} released",
    "LoanChargedOff": lambda a: f"loan {a['loanId']} charged off: {_money(a['amount'])}",
    "LoanServicingTransferred": lambda a: (
        f"servicing of loan {a['loanId']} moved from {a['from']} to {a['to']}"
    ),
    "PolicyRecorded": lambda a: (
        f"policy {a['policyId']} recorded by {a['insurer']}, loss payee {a['lossPayee']}"
    ),
    "LossPayeeChanged": lambda a: f"loss payee of policy {a['policyId']} is now {a['lossPayee']}",
    "PolicyCancelled": lambda a: f"policy {a['policyId']} cancelled",
    "ClaimFiled": lambda a: (
        f"claim {a['claimId']} of {_money(a['amount'])} filed on policy {a['policyId']}"
    ),
    "ClaimSettled": lambda a: (
        f"claim {a['claimId']} settled: {_money(a['amount'])} to {a['lossPayee']}"
    ),
    "ClaimDenied": lambda a: f"claim {a['claimId']} denied",
    "TotalLossDeclared": lambda a: (
        "total loss declared"
        + (" (flood)" if a.get("flood") else "")
        + f", loss payee {a['lossPayee']}"
    ),
}


def describe(event: str, args: dict[str, Any], vin: str) -> str:
    """``event`` (a contract event's name) with its ``args`` in one sentence about ``vin``."""
    sentence = _SENTENCES.get(event)
    if sentence is None:
        return f"{event} on {vin}"
    try:
        return f"{vin}: {sentence(args)}"
    except (KeyError, TypeError, ValueError):  # an ABI change: still say what happened
        return f"{event} on {vin}"


def known_events() -> frozenset[str]:
    """The events :func:`describe` has words for."""
    return frozenset(_SENTENCES)
