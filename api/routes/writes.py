"""Participant actions, signed with this instance's own key.

Each instance belongs to one participant (REGISTRY_KEYSTORE or REGISTRY_DEV_ACCOUNT); a write
needs an API key of the matching role issued for that same participant. The route waits for
the receipt and answers with the transaction and the resulting record read at its block; a
contract refusal comes back as 4xx with its decoded reason (api/errors.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import IdPath, Runtime, RuntimeDep, instance_client, require_roles
from api.schemas import Model, WriteResult
from api.types import JSON_INT_MAX, Address, Brand, Count, Hash32, Vin, one_of
from registry import domain
from registry.auth import Principal
from registry.client import RegistryClient
from registry.transactor import TxResult

router = APIRouter(tags=["writes"])

Cents = Count
Id = Count


def _principal(*roles: str) -> Any:
    return Depends(require_roles(*roles))


Registrar = Annotated[Principal, _principal("registrar")]
Lender = Annotated[Principal, _principal("lender")]
Dealer = Annotated[Principal, _principal("dealer")]
Insurer = Annotated[Principal, _principal("insurer")]
Recorder = Annotated[Principal, _principal("dealer", "insurer", "registrar")]


def _tx(result: TxResult) -> dict[str, Any]:
    return {
        "tx_hash": result.tx_hash,
        "block": result.block_number,
        "block_hash": result.block_hash,
        "gas_used": result.gas_used,
        "events": [
            {"event": e.name, "log_index": e.log_index, "args": e.args} for e in result.events
        ],
    }


def _act(
    runtime: Runtime,
    principal: Principal,
    action: Callable[[RegistryClient], TxResult],
    record: Callable[[RegistryClient, TxResult], Any],
) -> dict[str, Any]:
    client = instance_client(runtime, principal)
    result = action(client)
    found = record(client, result)
    if found is None:
        found = {}
    return {"tx": _tx(result), "record": found if isinstance(found, dict) else asdict(found)}


# ------------------------------------------------------------------------ registrar


class Admission(Model):
    """A participant's role as the chain holds it after the write."""

    address: str
    role: str
    active: bool


class NamedAdmission(Admission):
    name: str


TitleWrite = WriteResult[domain.Title]
LienWrite = WriteResult[domain.Lien]
LoanWrite = WriteResult[domain.Loan]
PolicyWrite = WriteResult[domain.Policy]
ClaimWrite = WriteResult[domain.Claim]


class TitleIn(BaseModel):
    vin: Vin
    owner: Address
    odometer: Count = 0


@router.post("/titles", response_model=TitleWrite, status_code=201)
def issue_title(body: TitleIn, runtime: RuntimeDep, who: Registrar) -> dict[str, Any]:
    """Issue a title (registrar)."""
    return _act(
        runtime,
        who,
        lambda c: c.issue_title(body.vin, body.owner, body.odometer),
        lambda c, r: c.title(body.vin, r.block_number),
    )


class ParticipantRoleIn(BaseModel):
    role: Literal["registrar", "lender", "dealer", "insurer", "funder"]


class ParticipantIn(BaseModel):
    address: Address
    role: Literal["registrar", "lender", "dealer", "insurer", "funder"]
    name: str = Field(min_length=1, max_length=100)


def _admitted(c: RegistryClient, address: str, role: str, block: int) -> dict[str, Any]:
    return {"address": address, "role": role, "active": c.has_role(role, address, block)}


@router.post("/participants", response_model=WriteResult[NamedAdmission], status_code=201)
def admit_participant(body: ParticipantIn, runtime: RuntimeDep, who: Registrar) -> dict[str, Any]:
    """Admit a participant in a role under a business name (registrar)."""
    return _act(
        runtime,
        who,
        lambda c: c.admit_participant(body.address, body.role, body.name),
        lambda c, r: _admitted(c, body.address, body.role, r.block_number) | {"name": body.name},
    )


@router.post(
    "/participants/{address}/removal", response_model=WriteResult[Admission], status_code=201
)
def remove_participant(
    address: Address, body: ParticipantRoleIn, runtime: RuntimeDep, who: Registrar
) -> dict[str, Any]:
    """Remove a participant from a role (registrar); its history stays."""
    return _act(
        runtime,
        who,
        lambda c: c.remove_participant(address, body.role),
        lambda c, r: _admitted(c, address, body.role, r.block_number),
    )


class BrandIn(BaseModel):
    brand: Annotated[str, one_of(Brand, "the brand (any case)"), Field(max_length=40)]


@router.post("/vehicles/{vin}/brands", response_model=TitleWrite, status_code=201)
def apply_brand(vin: Vin, body: BrandIn, runtime: RuntimeDep, who: Registrar) -> dict[str, Any]:
    """Brand a title (registrar)."""
    return _act(
        runtime,
        who,
        lambda c: c.apply_brand(vin, body.brand),
        lambda c, r: c.title(vin, r.block_number),
    )


class ReadingIn(BaseModel):
    reading: Count


@router.post("/vehicles/{vin}/odometer", response_model=TitleWrite, status_code=201)
def record_odometer(
    vin: Vin, body: ReadingIn, runtime: RuntimeDep, who: Recorder
) -> dict[str, Any]:
    """Record an odometer reading (dealer, insurer, registrar)."""
    return _act(
        runtime,
        who,
        lambda c: c.record_odometer(vin, body.reading),
        lambda c, r: c.title(vin, r.block_number),
    )


# --------------------------------------------------------------------------- dealer


class TransferIn(BaseModel):
    to: Address


@router.post("/vehicles/{vin}/transfers", response_model=TitleWrite, status_code=201)
def transfer_title(vin: Vin, body: TransferIn, runtime: RuntimeDep, who: Dealer) -> dict[str, Any]:
    """Transfer a title this instance owns (dealer)."""
    return _act(
        runtime,
        who,
        lambda c: c.transfer_title(vin, body.to),
        lambda c, r: c.title(vin, r.block_number),
    )


class ConsentIn(BaseModel):
    lien_id: Id
    release: bool
    deadline: Count
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class SaleIn(BaseModel):
    buyer: Address
    sale_ref: Hash32
    consents: list[ConsentIn] = Field(default_factory=list, max_length=32)


@router.post("/vehicles/{vin}/sales", response_model=TitleWrite, status_code=201)
def record_sale(vin: Vin, body: SaleIn, runtime: RuntimeDep, who: Dealer) -> dict[str, Any]:
    """Record a sale (dealer). A floor-plan lien left standing marks it sold out of trust."""
    consents = [
        domain.LienConsent(c.lien_id, c.release, c.deadline, bytes.fromhex(c.signature[2:]))
        for c in body.consents
    ]
    return _act(
        runtime,
        who,
        lambda c: c.record_sale(vin, body.buyer, body.sale_ref, consents),
        lambda c, r: c.title(vin, r.block_number),
    )


# --------------------------------------------------------------------------- lender


class LienIn(BaseModel):
    vin: Vin
    floor_plan: bool = False


@router.post("/liens", response_model=LienWrite, status_code=201)
def register_lien(body: LienIn, runtime: RuntimeDep, who: Lender) -> dict[str, Any]:
    """Register a lien (lender)."""
    return _act(
        runtime,
        who,
        lambda c: c.register_lien(body.vin, floor_plan=body.floor_plan),
        lambda c, r: c.lien(r.id, r.block_number),
    )


@router.post("/liens/{lien_id}/release", response_model=LienWrite, status_code=201)
def release_lien(lien_id: IdPath, runtime: RuntimeDep, who: Lender) -> dict[str, Any]:
    """Release a lien this instance holds (lender)."""
    return _act(
        runtime,
        who,
        lambda c: c.release_lien(lien_id),
        lambda c, r: c.lien(lien_id, r.block_number),
    )


class AssignIn(BaseModel):
    to: Address


@router.post("/liens/{lien_id}/assign", response_model=LienWrite, status_code=201)
def assign_lien(
    lien_id: IdPath, body: AssignIn, runtime: RuntimeDep, who: Lender
) -> dict[str, Any]:
    """Assign a lien to another lender (lender)."""
    return _act(
        runtime,
        who,
        lambda c: c.assign_lien(lien_id, body.to),
        lambda c, r: c.lien(lien_id, r.block_number),
    )


class LoanIn(BaseModel):
    lien_id: Id
    loan_ref: Hash32
    terms_hash: Hash32
    schedule_hash: Hash32


@router.post("/loans", response_model=LoanWrite, status_code=201)
def originate_loan(body: LoanIn, runtime: RuntimeDep, who: Lender) -> dict[str, Any]:
    """Originate a loan on a lien this instance holds (lender)."""
    return _act(
        runtime,
        who,
        lambda c: c.originate_loan(
            body.lien_id, body.loan_ref, body.terms_hash, body.schedule_hash
        ),
        lambda c, r: c.loan(r.id, r.block_number),
    )


PositiveCents = Annotated[int, Field(ge=1, le=JSON_INT_MAX)]


class Disbursement(BaseModel):
    type: Literal["disbursement"]
    amount_cents: PositiveCents


class Payment(BaseModel):
    type: Literal["payment"]
    amount_cents: PositiveCents
    payment_ref: Hash32 | None = None


class Delinquency(BaseModel):
    type: Literal["delinquency"]
    days_past_due: Annotated[int, Field(ge=0, lt=2**16)]


class Restructure(BaseModel):
    type: Literal["restructure"]
    terms_hash: Hash32
    schedule_hash: Hash32


class ChargeOff(BaseModel):
    type: Literal["charge_off"]
    amount_cents: Cents


class StateChange(BaseModel):
    """An event that carries nothing but its type."""

    type: Literal["default", "repossession", "payoff"]


LoanEventIn = Annotated[
    Disbursement | Payment | Delinquency | Restructure | ChargeOff | StateChange,
    Field(discriminator="type"),
]


def _loan_action(loan_id: int, e: LoanEventIn) -> Callable[[RegistryClient], TxResult]:
    match e:
        case Disbursement():
            return lambda c: c.record_disbursement(loan_id, e.amount_cents)
        case Payment():
            return lambda c: c.record_payment(
                loan_id, e.amount_cents, e.payment_ref or b"\x00" * 32
            )
        case Delinquency():
            return lambda c: c.record_delinquency(loan_id, e.days_past_due)
        case Restructure():
            return lambda c: c.restructure_loan(loan_id, e.terms_hash, e.schedule_hash)
        case ChargeOff():
            return lambda c: c.charge_off(loan_id, e.amount_cents)
    actions: dict[str, Callable[[RegistryClient], TxResult]] = {
        "default": lambda c: c.declare_default(loan_id),
        "repossession": lambda c: c.repossess(loan_id),
        "payoff": lambda c: c.pay_off(loan_id),
    }
    return actions[e.type]


@router.post("/loans/{loan_id}/events", response_model=LoanWrite, status_code=201)
def record_loan_event(
    loan_id: IdPath, body: LoanEventIn, runtime: RuntimeDep, who: Lender
) -> dict[str, Any]:
    """Record a loan lifecycle event (lender)."""
    return _act(
        runtime, who, _loan_action(loan_id, body), lambda c, r: c.loan(loan_id, r.block_number)
    )


# -------------------------------------------------------------------------- insurer


class PolicyIn(BaseModel):
    vin: Vin
    loss_payee: Address | None = None
    policy_ref: Hash32
    expires_at: Count


@router.post("/policies", response_model=PolicyWrite, status_code=201)
def record_policy(body: PolicyIn, runtime: RuntimeDep, who: Insurer) -> dict[str, Any]:
    """Record a policy naming the lienholder as loss payee (insurer)."""
    return _act(
        runtime,
        who,
        lambda c: c.record_policy(body.vin, body.loss_payee, body.policy_ref, body.expires_at),
        lambda c, r: c.policy(r.id, r.block_number),
    )


class ClaimIn(BaseModel):
    claim_ref: Hash32
    amount_cents: Cents


@router.post("/policies/{policy_id}/claims", response_model=ClaimWrite, status_code=201)
def file_claim(
    policy_id: IdPath, body: ClaimIn, runtime: RuntimeDep, who: Insurer
) -> dict[str, Any]:
    """File a claim on a policy (insurer)."""
    return _act(
        runtime,
        who,
        lambda c: c.file_claim(policy_id, body.claim_ref, body.amount_cents),
        lambda c, r: c.claim(r.id, r.block_number),
    )


class TotalLossIn(BaseModel):
    flood: bool = False


@router.post("/claims/{claim_id}/total-loss", response_model=ClaimWrite, status_code=201)
def declare_total_loss(
    claim_id: IdPath, body: TotalLossIn, runtime: RuntimeDep, who: Insurer
) -> dict[str, Any]:
    """Declare a claim a total loss: brands the title salvage and tells the loss payee."""
    return _act(
        runtime,
        who,
        lambda c: c.declare_total_loss(claim_id, flood=body.flood),
        lambda c, r: c.claim(claim_id, r.block_number),
    )


class SettleIn(BaseModel):
    amount_cents: Cents


@router.post("/claims/{claim_id}/settle", response_model=ClaimWrite, status_code=201)
def settle_claim(
    claim_id: IdPath, body: SettleIn, runtime: RuntimeDep, who: Insurer
) -> dict[str, Any]:
    """Settle a claim (insurer)."""
    return _act(
        runtime,
        who,
        lambda c: c.settle_claim(claim_id, body.amount_cents),
        lambda c, r: c.claim(claim_id, r.block_number),
    )
