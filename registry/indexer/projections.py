"""The core handlers: how each registry event changes the projections (one function each)."""

from __future__ import annotations

from typing import Any

from registry.contracts import CONTRACT_NAMES, ROLE_BY_HASH, abi
from registry.enums import (
    Brand,
    ClaimStatus,
    LienStatus,
    LoanState,
    PolicyStatus,
    ReleaseReason,
    TitleStatus,
)
from registry.indexer.handlers import EventContext, Handler, HandlerRegistry
from registry.indexer.pledges import register_pledge_handlers
from registry.indexer.state import Record

# Rows hold the enums' plain strings (what the mirror stores; a str binds fastest).
_TITLE_STATUS = tuple(s.value for s in TitleStatus)
_BRAND = tuple(b.value for b in Brand)
_RELEASE_REASON = tuple(r.value for r in ReleaseReason)
# the values the busiest handlers set (an enum's .value is a property: looked up per call)
_TITLE_ACTIVE = TitleStatus.ACTIVE.value
_LIEN_ACTIVE = LienStatus.ACTIVE.value
_LOAN_ORIGINATED = LoanState.ORIGINATED.value
_LOAN_ACTIVE = LoanState.ACTIVE.value

#: The argument naming who acted, for the events that do not follow the rule of
#: :data:`ACTOR_ARG` ("" : the event does not say).
_NAMED_ACTORS: dict[str, str] = {
    "TitleIssued": "registrar",
    "TitleTransferred": "from",
    "TitleStatusChanged": "actor",
    "OdometerRecorded": "recorder",
    "BrandApplied": "actor",
    "LienRegistered": "holder",
    "LienReleased": "holder",
    "LienAssigned": "from",
    "SaleRecorded": "dealer",
    "LoanServicingTransferred": "from",
    "PledgeReleased": "funder",
    "TotalLossDeclared": "insurer",
    "ClaimFiled": "insurer",
    "LoanLedgerSet": "registrar",
    "RoleGranted": "sender",
    "RoleRevoked": "sender",
    "RoleAdminChanged": "",
    "ParticipantAdmitted": "",
    "ParticipantRemoved": "",
    "EIP712DomainChanged": "",
}
#: The argument naming who acted, for every event of the contracts ("": the event does not
#: say): the loan events name the lender, the insurance events the insurer.
ACTOR_ARG: dict[str, str] = {
    entry["name"]: _NAMED_ACTORS.get(
        entry["name"], "lender" if entry["name"].startswith("Loan") else "insurer"
    )
    for contract in CONTRACT_NAMES
    for entry in abi(contract)
    if entry["type"] == "event"
}


def _where(ctx: EventContext) -> dict[str, Any]:
    ev = ctx.event
    return {
        "block_number": ev.block_number,
        "block_time": ctx.block_time,
        "tx_hash": ev.tx_hash,
        "log_index": ev.log_index,
    }


def _change(ctx: EventContext, kind: str, key: Any, **values: Any) -> Record | None:
    """Sets ``values`` on an existing row (None if the row is unknown: nothing to change)."""
    state = ctx.state
    row = getattr(state, kind).get(key)
    if row is None:
        return None
    if values:
        row.update(values)
    row["updated_block"] = ctx.event.block_number
    state.dirty[kind].add(key)
    return row


# ---------------------------------------------------------------------- titles


def title_issued(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    ctx.state.titles[a["vin"]] = {
        "vin": a["vin"],
        "owner": a["owner"],
        "status": _TITLE_ACTIVE,
        "brands": 0,
        "odometer": a["odometer"],
        "active_liens": 0,
        "transfers": 0,
        "issuer": a["registrar"],
        "issued_block": ev.block_number,
        "issued_at": ctx.block_time,
        "issued_tx": ev.tx_hash,
        "updated_block": ev.block_number,
    }
    ctx.state.touch("titles", a["vin"])
    if a["odometer"]:
        ctx.state.appended["odometer_readings"].append(
            {"vin": a["vin"], "reading": a["odometer"], "not_actual": False,
             "recorder": a["registrar"], **_where(ctx)}
        )  # fmt: skip


def title_transferred(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(ctx, "titles", a["vin"], owner=a["to"], transfers=a["nonce"])


def title_status_changed(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(ctx, "titles", a["vin"], status=_TITLE_STATUS[a["status"]])


def odometer_recorded(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(ctx, "titles", a["vin"], odometer=a["reading"])
    ctx.state.appended["odometer_readings"].append(
        {"vin": a["vin"], "reading": a["reading"], "not_actual": a["notActual"],
         "recorder": a["recorder"], **_where(ctx)}
    )  # fmt: skip


def brand_applied(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(ctx, "titles", a["vin"], brands=a["brands"])
    brand = _BRAND[a["brand"]] if a["brand"] < len(_BRAND) else str(a["brand"])
    ctx.state.appended["brand_history"].append(
        {"vin": a["vin"], "brand": brand, "brands": a["brands"], "actor": a["actor"],
         **_where(ctx)}
    )  # fmt: skip


def sale_recorded(ctx: EventContext) -> None:
    a = ctx.event.args
    ctx.state.appended["sales"].append(
        {"vin": a["vin"], "dealer": a["dealer"], "buyer": a["buyer"], "sale_ref": a["saleRef"],
         "floor_plan_lien_id": a["floorPlanLienId"] or None,
         "title_transferred": a["titleTransferred"], **_where(ctx)}
    )  # fmt: skip


# ----------------------------------------------------------------------- liens


def lien_registered(ctx: EventContext) -> None:
    a, ev, state = ctx.event.args, ctx.event, ctx.state
    vin, lien_id = a["vin"], a["lienId"]
    title = _change(ctx, "titles", vin)
    active = state.active_liens_by_vin[vin]  # complete only for VINs with a release
    active.add(lien_id)
    rank = len(active)
    if title is not None:
        title["active_liens"] += 1
        rank = title["active_liens"]
    state.liens[lien_id] = {
        "lien_id": lien_id,
        "vin": vin,
        "holder": a["holder"],
        "original_holder": a["holder"],
        "status": _LIEN_ACTIVE,
        "floor_plan": a["floorPlan"],
        "priority": rank,  # the newest active lien ranks last
        "registered_block": ev.block_number,
        "registered_at": ctx.block_time,
        "registered_tx": ev.tx_hash,
        "released_block": None,
        "released_at": None,
        "release_reason": None,
        "updated_block": ev.block_number,
    }
    state.touch("liens", lien_id)


def lien_released(ctx: EventContext) -> None:
    a, state = ctx.event.args, ctx.state
    vin, lien_id, reason = a["vin"], a["lienId"], a["reason"]
    lien = state.liens.get(lien_id)
    if lien is None:
        return
    rank = lien["priority"]
    _change(
        ctx, "liens", lien_id,
        status=(LienStatus.REPOSSESSED if reason == ReleaseReason.REPOSSESSION.chain_index
                else LienStatus.RELEASED).value,
        priority=0, released_block=ctx.event.block_number, released_at=ctx.block_time,
        release_reason=_RELEASE_REASON[reason],
    )  # fmt: skip
    active = state.active_liens_by_vin[vin]
    active.discard(lien_id)
    for other in active:  # the liens ranked after it move up one
        if state.liens[other]["priority"] > rank:
            _change(ctx, "liens", other, priority=state.liens[other]["priority"] - 1)
    title = _change(ctx, "titles", vin)
    if title is not None:
        title["active_liens"] -= 1


def lien_assigned(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(ctx, "liens", a["lienId"], holder=a["to"])


# ----------------------------------------------------------------------- loans


def loan_originated(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    ctx.state.loans[a["loanId"]] = {
        "loan_id": a["loanId"],
        "lien_id": a["lienId"],
        "vin": a["vin"],
        "lender": a["lender"],
        "state": _LOAN_ORIGINATED,
        "loan_ref": a["loanRef"],
        "terms_hash": a["termsHash"],
        "schedule_hash": a["scheduleHash"],
        "disbursed_amount": 0,
        "total_paid": 0,
        "payments_count": 0,
        "last_payment_at": None,
        "days_past_due": 0,
        "charged_off_amount": 0,
        "originated_block": ev.block_number,
        "originated_at": ctx.block_time,
        "effective_originated_at": a["originatedAt"],
        "effective_disbursed_at": None,
        "updated_block": ev.block_number,
    }
    ctx.state.touch("loans", a["loanId"])


def loan_disbursed(ctx: EventContext) -> None:
    a = ctx.event.args
    loan = _change(
        ctx, "loans", a["loanId"], state=_LOAN_ACTIVE, effective_disbursed_at=a["disbursedAt"]
    )
    if loan is not None:
        loan["disbursed_amount"] += a["amount"]


def loan_payment_recorded(ctx: EventContext) -> None:
    a = ctx.event.args
    loan = _change(ctx, "loans", a["loanId"], last_payment_at=ctx.block_time)
    if loan is not None:
        loan["total_paid"] += a["amount"]
        loan["payments_count"] += 1


def loan_delinquency_recorded(ctx: EventContext) -> None:
    dpd = ctx.event.args["daysPastDue"]
    state = (LoanState.ACTIVE if dpd == 0 else LoanState.DELINQUENT).value
    _change(ctx, "loans", ctx.event.args["loanId"], days_past_due=dpd, state=state)


def loan_defaulted(ctx: EventContext) -> None:
    _change(ctx, "loans", ctx.event.args["loanId"], state=LoanState.DEFAULTED.value)


def loan_restructured(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(
        ctx, "loans", a["loanId"], state=LoanState.ACTIVE.value,
        terms_hash=a["termsHash"], schedule_hash=a["scheduleHash"],
    )  # fmt: skip


def loan_repossessed(ctx: EventContext) -> None:
    _change(ctx, "loans", ctx.event.args["loanId"], state=LoanState.REPOSSESSED.value)


def loan_paid_off(ctx: EventContext) -> None:
    _change(ctx, "loans", ctx.event.args["loanId"], state=LoanState.PAID_OFF.value)


def loan_charged_off(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(
        ctx, "loans", a["loanId"], state=LoanState.CHARGED_OFF.value, charged_off_amount=a["amount"]
    )


def loan_servicing_transferred(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(ctx, "loans", a["loanId"], lender=a["to"])


# ------------------------------------------------------------------- insurance


def policy_recorded(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    ctx.state.policies[a["policyId"]] = {
        "policy_id": a["policyId"],
        "vin": a["vin"],
        "insurer": a["insurer"],
        "loss_payee": a["lossPayee"],
        "policy_ref": a["policyRef"],
        "expires_at": a["expiresAt"],
        "status": PolicyStatus.ACTIVE.value,
        "recorded_block": ev.block_number,
        "recorded_at": ctx.block_time,
        "updated_block": ev.block_number,
    }
    ctx.state.touch("policies", a["policyId"])


def loss_payee_changed(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(ctx, "policies", a["policyId"], loss_payee=a["lossPayee"])


def policy_cancelled(ctx: EventContext) -> None:
    _change(ctx, "policies", ctx.event.args["policyId"], status=PolicyStatus.CANCELLED.value)


def claim_filed(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    ctx.state.claims[a["claimId"]] = {
        "claim_id": a["claimId"],
        "policy_id": a["policyId"],
        "vin": a["vin"],
        "insurer": a["insurer"],
        "claim_ref": a["claimRef"],
        "amount": a["amount"],
        "status": ClaimStatus.OPEN.value,
        "settled_amount": None,
        "total_loss": False,
        "filed_block": ev.block_number,
        "filed_at": ctx.block_time,
        "updated_block": ev.block_number,
    }
    ctx.state.touch("claims", a["claimId"])


def claim_settled(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(
        ctx, "claims", a["claimId"], status=ClaimStatus.SETTLED.value, settled_amount=a["amount"]
    )


def claim_denied(ctx: EventContext) -> None:
    _change(ctx, "claims", ctx.event.args["claimId"], status=ClaimStatus.DENIED.value)


def total_loss_declared(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(ctx, "claims", a["claimId"], total_loss=True)
    ctx.state.appended["total_losses"].append(
        {"vin": a["vin"], "claim_id": a["claimId"], "policy_id": a["policyId"],
         "insurer": a["insurer"], "loss_payee": a["lossPayee"], "flood": a["flood"],
         **_where(ctx)}
    )  # fmt: skip


# ---------------------------------------------------------------- participants


def role_name(role: str) -> str:
    found = ROLE_BY_HASH.get(bytes.fromhex(role[2:]))
    return found.value if found is not None else role


def role_granted(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    key = (a["account"], role_name(a["role"]))
    old = ctx.state.participants.get(key)
    ctx.state.participants[key] = {
        "address": key[0],
        "role": key[1],
        "name": old["name"] if old else "",
        "active": True,
        "admitted_block": ev.block_number,
        "admitted_at": ctx.block_time,
        "removed_block": None,
        "removed_at": None,
        "updated_block": ev.block_number,
    }
    ctx.state.touch("participants", key)


def participant_admitted(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(ctx, "participants", (a["account"], role_name(a["role"])), name=a["name"])


def role_revoked(ctx: EventContext) -> None:
    a = ctx.event.args
    _change(
        ctx, "participants", (a["account"], role_name(a["role"])), active=False,
        removed_block=ctx.event.block_number, removed_at=ctx.block_time,
    )  # fmt: skip


#: Events that concern participants (no VIN): rebuilt as a whole after a reorg.
PARTICIPANT_EVENTS = ("RoleGranted", "RoleRevoked", "ParticipantAdmitted", "ParticipantRemoved")


#: The core handler of each event.
CORE_HANDLERS: dict[str, Handler] = {
    "TitleIssued": title_issued,
    "TitleTransferred": title_transferred,
    "TitleStatusChanged": title_status_changed,
    "OdometerRecorded": odometer_recorded,
    "BrandApplied": brand_applied,
    "SaleRecorded": sale_recorded,
    "LienRegistered": lien_registered,
    "LienReleased": lien_released,
    "LienAssigned": lien_assigned,
    "LoanOriginated": loan_originated,
    "LoanDisbursed": loan_disbursed,
    "LoanPaymentRecorded": loan_payment_recorded,
    "LoanDelinquencyRecorded": loan_delinquency_recorded,
    "LoanDefaulted": loan_defaulted,
    "LoanRestructured": loan_restructured,
    "LoanRepossessed": loan_repossessed,
    "LoanPaidOff": loan_paid_off,
    "LoanChargedOff": loan_charged_off,
    "LoanServicingTransferred": loan_servicing_transferred,
    "PolicyRecorded": policy_recorded,
    "LossPayeeChanged": loss_payee_changed,
    "PolicyCancelled": policy_cancelled,
    "ClaimFiled": claim_filed,
    "ClaimSettled": claim_settled,
    "ClaimDenied": claim_denied,
    "TotalLossDeclared": total_loss_declared,
    "RoleGranted": role_granted,
    "ParticipantAdmitted": participant_admitted,
    "RoleRevoked": role_revoked,
}


def core_handlers() -> HandlerRegistry:
    """A registry of the core handlers (the projections of :mod:`registry.db.models`, and
    the pledges of :mod:`registry.db.pledges`)."""
    registry = HandlerRegistry()
    for name, handler in CORE_HANDLERS.items():
        registry.on(name, handler)
    return register_pledge_handlers(registry)
