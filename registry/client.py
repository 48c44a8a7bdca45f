"""The typed Python client over the registry's contracts: one method per participant action.

Every VIN is validated before anything is sent; every refusal comes back as a domain error
(:mod:`registry.errors`) with a message a person understands. Every action returns its
:class:`~registry.transactor.TxResult`; an action that creates a lien, loan, policy or claim
carries its id (``result.id``, or ``result.ids`` for a batch). Reads are
:class:`~registry.reader.RegistryReader`'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from registry import domain, pledges
from registry.addresses import ZERO_ADDRESS, checksum_address
from registry.codec import Contract
from registry.contracts import Deployment, brand_index
from registry.enums import PledgeReleaseReason
from registry.errors import InvalidInput, RegistryError, RejectedConflict
from registry.events import EventDecoder
from registry.reader import EIP712_DOMAIN_TYPES, ContractFacts, RegistryReader, parse_role
from registry.rpc import Transport
from registry.transactor import Transactor, TxResult
from registry.vin import validate_vin, vin_to_bytes32

if TYPE_CHECKING:  # eth_account is imported where a consent is signed: reads start faster
    from eth_account.signers.local import LocalAccount

#: The ``TransferConsent`` struct a lienholder signs (EIP-712), as the contract hashes it.
CONSENT_TYPE = [
    {"name": "vin", "type": "bytes32"},
    {"name": "lienId", "type": "uint256"},
    {"name": "from", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "nonce", "type": "uint32"},
    {"name": "release", "type": "bool"},
    {"name": "deadline", "type": "uint256"},
]
#: Refusals of a title move that the lienholders can lift: the error then names them.
_LIEN_REFUSALS = frozenset({"RegistryActiveLiens", "RegistryConsentMissing"})


def _bytes32(value: bytes | str, what: str) -> bytes:
    raw = (
        bytes.fromhex(value[2:] if value.startswith("0x") else value)
        if isinstance(value, str)
        else value
    )
    if len(raw) != 32:
        raise InvalidInput(f"{what} must be 32 bytes (64 hex digits), got {len(raw)}")
    return raw


def _times(times: Sequence[int] | None, n: int) -> list[int]:
    """Effective times for a batch of ``n`` (0: the block's time)."""
    if times is None:
        return [0] * n
    out = [int(t) for t in times]
    if any(t < 0 for t in out):
        raise InvalidInput("an effective time cannot be negative")
    return out


class RegistryClient(RegistryReader):
    """Acts on the registry as one participant (``account``); reads need no account."""

    def __init__(
        self,
        rpc: Transport,
        deployment: Deployment,
        account: LocalAccount | None = None,
        *,
        decoder: EventDecoder | None = None,
        facts: ContractFacts | None = None,
    ) -> None:
        super().__init__(rpc, deployment, decoder=decoder, facts=facts)
        self.account = account
        self.tx = Transactor(rpc, account, self.decoder)

    @property
    def address(self) -> str:
        return str(self.account.address) if self.account else ""

    def as_(self, account: LocalAccount) -> RegistryClient:
        """The same registry, acting as another participant."""
        return RegistryClient(
            self.rpc, self.deployment, account, decoder=self.decoder, facts=self.facts
        )

    # ---------------------------------------------------------------- plumbing

    def transact(self, contract: Contract, fn: str, *args: Any, action: str) -> TxResult:
        """Sends ``contract.fn(*args)`` as this participant, arguments as the ABI takes them.

        The actions below validate their input first; this is the raw path beneath them
        (tests send what the client would refuse, to see the contract refuse it too).
        """
        return self.tx.send(contract.address, contract.encode(fn, *args), action=action)

    def _created(self, result: TxResult, event: str, arg: str) -> TxResult:
        ids = tuple(int(ev.args[arg]) for ev in result.all(event))
        return dataclasses.replace(result, ids=ids)

    def _move(self, vin: str, fn: str, *args: Any, action: str) -> TxResult:
        """A title move (transfer or sale): a refusal for standing liens names the holders."""
        try:
            return self.transact(self.registry, fn, *args, action=action)
        except RejectedConflict as exc:
            if exc.error_name in _LIEN_REFUSALS:
                self._name_lienholders(exc, vin)
            raise

    def _name_lienholders(self, error: RejectedConflict, vin: str) -> None:
        """Names each active lien's holder (address and admitted name) in ``error``."""
        try:
            ids = self.active_liens(vin)
            holders = [self.lien(i).holder for i in ids]
            names = self.participant_names(holders)
        except RegistryError:
            return  # the refusal stands as decoded
        error.details["lienholders"] = [
            {"lien_id": i, "address": h, "name": names.get(h)}
            for i, h in zip(ids, holders, strict=True)
        ]
        listed = "; ".join(
            f"lien {i}: {names[h]} ({h})" if names.get(h) else f"lien {i}: {h}"
            for i, h in zip(ids, holders, strict=True)
        )
        error.message += f" (lienholders: {listed})"

    # ---------------------------------------------------------------- registrar

    def admit_participant(self, account: str, role: str, name: str) -> TxResult:
        who, role_id = checksum_address(account), self.role_id(parse_role(role, participant=True))
        return self.transact(
            self.registry, "admitParticipant", who, role_id, name,
            action=f"admitting {who} as {role.lower()}",
        )  # fmt: skip

    def remove_participant(self, account: str, role: str) -> TxResult:
        who, role_id = checksum_address(account), self.role_id(parse_role(role, participant=True))
        return self.transact(
            self.registry, "removeParticipant", who, role_id, action=f"removing {who}"
        )

    def renounce_role(self, role: str) -> TxResult:
        """Gives up one of this participant's own roles."""
        role_id = self.role_id(parse_role(role))
        return self.transact(
            self.registry, "renounceRole", role_id, self.address,
            action=f"renouncing the {role.lower()} role",
        )  # fmt: skip

    def issue_title(self, vin: str, owner: str, odometer: int = 0) -> TxResult:
        v = validate_vin(vin)
        return self.transact(
            self.registry, "issueTitle", vin_to_bytes32(v),
            checksum_address(owner, "owner address"), odometer,
            action=f"issuing the title of {v}",
        )  # fmt: skip

    def issue_titles_batch(
        self,
        vins: Sequence[str],
        owners: Sequence[str],
        odometers: Sequence[int],
        brands: Sequence[int] | None = None,
    ) -> TxResult:
        """Issues one title per VIN; ``brands`` are the brands each already carries, as
        bitmasks (:func:`registry.contracts.brand_mask`), applied in brand order."""
        encoded = [vin_to_bytes32(validate_vin(v)) for v in vins]
        addrs = [checksum_address(o, "owner address") for o in owners]
        masks = list(brands) if brands is not None else [0] * len(encoded)
        return self.transact(
            self.registry, "issueTitlesBatch", encoded, addrs, list(odometers), masks,
            action=f"issuing {len(encoded)} titles",
        )  # fmt: skip

    def apply_brand(self, vin: str, brand: str) -> TxResult:
        v = validate_vin(vin)
        return self.transact(
            self.registry, "applyBrand", vin_to_bytes32(v), brand_index(brand),
            action=f"branding {v} {brand.lower()}",
        )  # fmt: skip

    def correct_odometer(self, vin: str, reading: int) -> TxResult:
        v = validate_vin(vin)
        return self.transact(
            self.registry, "correctOdometer", vin_to_bytes32(v), reading,
            action=f"correcting the odometer of {v}",
        )  # fmt: skip

    # -------------------------------------------------------------- owner/dealer

    def transfer_title(self, vin: str, to: str) -> TxResult:
        v = validate_vin(vin)
        return self._move(
            v, "transferTitle", vin_to_bytes32(v), checksum_address(to, "new owner"),
            action=f"transferring the title of {v}",
        )  # fmt: skip

    def transfer_title_with_consent(
        self, vin: str, to: str, consents: Sequence[domain.LienConsent]
    ) -> TxResult:
        v = validate_vin(vin)
        ordered = sorted(consents, key=lambda c: c.lien_id)
        return self._move(
            v, "transferTitleWithConsent", vin_to_bytes32(v),
            checksum_address(to, "new owner"), [c.as_abi() for c in ordered],
            action=f"transferring the title of {v} with lienholder consent",
        )  # fmt: skip

    def record_sale(
        self,
        vin: str,
        buyer: str,
        sale_ref: bytes | str,
        consents: Sequence[domain.LienConsent] = (),
    ) -> TxResult:
        v = validate_vin(vin)
        ordered = sorted(consents, key=lambda c: c.lien_id)
        return self._move(
            v, "recordSale", vin_to_bytes32(v), checksum_address(buyer, "buyer"),
            _bytes32(sale_ref, "sale reference"), [c.as_abi() for c in ordered],
            action=f"recording the sale of {v}",
        )  # fmt: skip

    def record_odometer(self, vin: str, reading: int) -> TxResult:
        v = validate_vin(vin)
        if reading < 0:
            raise InvalidInput("an odometer reading cannot be negative")
        return self.transact(
            self.registry, "recordOdometer", vin_to_bytes32(v), reading,
            action=f"recording an odometer reading for {v}",
        )  # fmt: skip

    def sign_transfer_consent(
        self,
        vin: str,
        lien_id: int,
        from_owner: str,
        to: str,
        *,
        release: bool,
        deadline: int,
        nonce: int | None = None,
    ) -> domain.LienConsent:
        """Signs, as lienholder, consent to one transfer of ``vin`` (EIP-712)."""
        v = validate_vin(vin)
        if self.account is None:
            raise InvalidInput("signing a consent needs the lienholder's key")
        if nonce is None:
            nonce = self.title(v).transfers
        eip712 = self.eip712_domain()
        message = {
            "types": {
                "EIP712Domain": [{"name": k, "type": EIP712_DOMAIN_TYPES[k]} for k in eip712],
                "TransferConsent": CONSENT_TYPE,
            },
            "primaryType": "TransferConsent",
            "domain": eip712,
            "message": {
                "vin": vin_to_bytes32(v),
                "lienId": lien_id,
                "from": checksum_address(from_owner),
                "to": checksum_address(to),
                "nonce": nonce,
                "release": release,
                "deadline": deadline,
            },
        }
        from eth_account.messages import encode_typed_data

        signed = self.account.sign_message(encode_typed_data(full_message=message))
        return domain.LienConsent(lien_id, release, deadline, bytes(signed.signature))

    # --------------------------------------------------------------------- liens

    def register_lien(self, vin: str, *, floor_plan: bool = False) -> TxResult:
        """Registers a lien on ``vin``; ``result.id`` is the new lien's id."""
        v = validate_vin(vin)
        result = self.transact(
            self.registry, "registerLien", vin_to_bytes32(v), floor_plan,
            action=f"registering a lien on {v}",
        )  # fmt: skip
        return self._created(result, "LienRegistered", "lienId")

    def register_liens_batch(self, vins: Sequence[str], floor_plans: Sequence[bool]) -> TxResult:
        """Registers one lien per VIN; ``result.ids`` are the new liens' ids, in VIN order."""
        encoded = [vin_to_bytes32(validate_vin(v)) for v in vins]
        result = self.transact(
            self.registry, "registerLiensBatch", encoded, list(floor_plans),
            action=f"registering {len(encoded)} liens",
        )  # fmt: skip
        return self._created(result, "LienRegistered", "lienId")

    def release_lien(self, lien_id: int) -> TxResult:
        return self.transact(
            self.registry, "releaseLien", lien_id, action=f"releasing lien {lien_id}"
        )

    def assign_lien(
        self, lien_id: int, to: str, funder_consent: domain.FunderConsent | None = None
    ) -> TxResult:
        """Assigns ``lien_id`` to the lender ``to``; the lien of a pledged loan needs its
        funder's consent (:meth:`sign_pledge_consent`)."""
        assignee = checksum_address(to, "assignee")
        if funder_consent is None:
            return self.transact(
                self.registry, "assignLien", lien_id, assignee, action=f"assigning lien {lien_id}"
            )
        return self.transact(
            self.registry, "assignLienWithConsent", lien_id, assignee, funder_consent.as_abi(),
            action=f"assigning lien {lien_id} with the funder's consent",
        )  # fmt: skip

    # --------------------------------------------------------------------- loans

    def originate_loan(
        self,
        lien_id: int,
        loan_ref: bytes | str,
        terms_hash: bytes | str,
        schedule_hash: bytes | str,
    ) -> TxResult:
        """Originates a loan secured by ``lien_id``; ``result.id`` is the new loan's id."""
        result = self.transact(
            self.loans, "originateLoan", lien_id, _bytes32(loan_ref, "loan reference"),
            _bytes32(terms_hash, "terms hash"), _bytes32(schedule_hash, "schedule hash"),
            action=f"originating a loan on lien {lien_id}",
        )  # fmt: skip
        return self._created(result, "LoanOriginated", "loanId")

    def originate_loans_batch(
        self,
        lien_ids: Sequence[int],
        loan_refs: Sequence[bytes],
        terms_hashes: Sequence[bytes],
        schedule_hashes: Sequence[bytes],
        originated_at: Sequence[int] | None = None,
    ) -> TxResult:
        """Originates one loan per lien; ``result.ids`` are the new loans' ids, in lien order.

        ``originated_at``: each loan's effective unix time (0 or omitted: the block's time).
        """
        result = self.transact(
            self.loans, "originateLoansBatch", list(lien_ids), list(loan_refs),
            list(terms_hashes), list(schedule_hashes), _times(originated_at, len(lien_ids)),
            action=f"originating {len(lien_ids)} loans",
        )  # fmt: skip
        return self._created(result, "LoanOriginated", "loanId")

    def record_disbursement(self, loan_id: int, amount_cents: int) -> TxResult:
        return self.transact(
            self.loans, "recordDisbursement", loan_id, amount_cents,
            action=f"recording the disbursement of loan {loan_id}",
        )  # fmt: skip

    def record_disbursements_batch(
        self,
        loan_ids: Sequence[int],
        amounts_cents: Sequence[int],
        disbursed_at: Sequence[int] | None = None,
    ) -> TxResult:
        """``disbursed_at``: effective unix times (0 or omitted: the block's time)."""
        return self.transact(
            self.loans, "recordDisbursementsBatch", list(loan_ids), list(amounts_cents),
            _times(disbursed_at, len(loan_ids)),
            action=f"recording {len(loan_ids)} disbursements",
        )  # fmt: skip

    def record_payment(
        self, loan_id: int, amount_cents: int, payment_ref: bytes | str = b"\x00" * 32
    ) -> TxResult:
        return self.transact(
            self.loans, "recordPayment", loan_id, amount_cents,
            _bytes32(payment_ref, "payment reference"),
            action=f"recording a payment on loan {loan_id}",
        )  # fmt: skip

    def record_payments_batch(
        self,
        loan_ids: Sequence[int],
        amounts: Sequence[int],
        refs: Sequence[bytes],
        paid_at: Sequence[int] | None = None,
    ) -> TxResult:
        """``paid_at``: effective unix times (0 or omitted: the block's time)."""
        return self.transact(
            self.loans, "recordPaymentsBatch", list(loan_ids), list(amounts), list(refs),
            _times(paid_at, len(loan_ids)), action=f"recording {len(loan_ids)} payments",
        )  # fmt: skip

    def record_delinquency(self, loan_id: int, days_past_due: int) -> TxResult:
        return self.transact(
            self.loans, "recordDelinquency", loan_id, days_past_due,
            action=f"recording delinquency on loan {loan_id}",
        )  # fmt: skip

    def declare_default(self, loan_id: int) -> TxResult:
        return self.transact(
            self.loans, "declareDefault", loan_id, action=f"declaring loan {loan_id} in default"
        )

    def restructure_loan(
        self, loan_id: int, terms_hash: bytes | str, schedule_hash: bytes | str
    ) -> TxResult:
        return self.transact(
            self.loans, "restructureLoan", loan_id, _bytes32(terms_hash, "terms hash"),
            _bytes32(schedule_hash, "schedule hash"), action=f"restructuring loan {loan_id}",
        )  # fmt: skip

    def repossess(self, loan_id: int) -> TxResult:
        return self.transact(
            self.loans,
            "repossess",
            loan_id,
            action=f"repossessing the collateral of loan {loan_id}",
        )

    def pay_off(self, loan_id: int) -> TxResult:
        return self.transact(self.loans, "payOff", loan_id, action=f"paying off loan {loan_id}")

    def charge_off(self, loan_id: int, amount_cents: int) -> TxResult:
        return self.transact(
            self.loans, "chargeOff", loan_id, amount_cents, action=f"charging off loan {loan_id}"
        )

    # ------------------------------------------------------------------- pledges

    def pledge_loan(self, loan_id: int, funder: str) -> TxResult:
        """Pledges ``loan_id`` (serviced by this lender) to ``funder``; ``result.id`` is the
        pledge's id."""
        result = self.transact(
            self.loans, "pledgeLoan", loan_id, checksum_address(funder, "funder"),
            action=f"pledging loan {loan_id}",
        )  # fmt: skip
        return self._created(result, "LoanPledged", "pledgeId")

    def pledge_loans_batch(self, loan_ids: Sequence[int], funder: str) -> TxResult:
        """Pledges a pool of loans to ``funder``; ``result.ids`` are the pledges, in loan order."""
        result = self.transact(
            self.loans, "pledgeLoansBatch", list(loan_ids), checksum_address(funder, "funder"),
            action=f"pledging {len(loan_ids)} loans",
        )  # fmt: skip
        return self._created(result, "LoanPledged", "pledgeId")

    def release_pledge(self, loan_id: int, reason: PledgeReleaseReason | str) -> TxResult:
        """The funder releases its pledge of ``loan_id`` (repurchase or remittance)."""
        why = pledges.release_reason(reason)
        return self.transact(
            self.loans, "releasePledge", loan_id, why.chain_index,
            action=f"releasing the pledge of loan {loan_id}",
        )  # fmt: skip

    def release_pledges_batch(
        self, loan_ids: Sequence[int], reason: PledgeReleaseReason | str
    ) -> TxResult:
        why = pledges.release_reason(reason)
        return self.transact(
            self.loans, "releasePledgesBatch", list(loan_ids), why.chain_index,
            action=f"releasing the pledges of {len(loan_ids)} loans",
        )  # fmt: skip

    def transfer_pledge(self, loan_id: int, new_funder: str) -> TxResult:
        """The funder sells its pledge of ``loan_id`` to ``new_funder``; ``result.id`` is the
        new pledge's id."""
        result = self.transact(
            self.loans, "transferPledge", loan_id, checksum_address(new_funder, "new funder"),
            action=f"transferring the pledge of loan {loan_id}",
        )  # fmt: skip
        return self._created(result, "LoanPledged", "pledgeId")

    def transfer_pledges_batch(self, loan_ids: Sequence[int], new_funder: str) -> TxResult:
        result = self.transact(
            self.loans, "transferPledgesBatch", list(loan_ids),
            checksum_address(new_funder, "new funder"),
            action=f"transferring the pledges of {len(loan_ids)} loans",
        )  # fmt: skip
        return self._created(result, "LoanPledged", "pledgeId")

    def sign_pledge_consent(self, loan_id: int, to: str, *, deadline: int) -> domain.FunderConsent:
        """Signs, as the funder holding ``loan_id``'s pledge, consent to assign the loan's lien
        from its current servicer to the lender ``to`` (EIP-712)."""
        if self.account is None:
            raise InvalidInput("signing a consent needs the funder's key")
        pledge_id, _, nonce = self.read(self.loans, "pledgeOf", loan_id)
        if pledge_id == 0:
            raise InvalidInput(f"loan {loan_id} is not pledged: its lien needs no consent")
        return pledges.sign_consent(
            self.account, self.ledger_eip712_domain(), pledge_id=pledge_id, loan_id=loan_id,
            from_lender=self.loan(loan_id).lender, to_lender=to, nonce=nonce, deadline=deadline,
        )  # fmt: skip

    # ----------------------------------------------------------------- insurance

    def record_policy(
        self, vin: str, loss_payee: str | None, policy_ref: bytes | str, expires_at: int
    ) -> TxResult:
        """Records a policy on ``vin``; ``result.id`` is the new policy's id."""
        v = validate_vin(vin)
        payee = checksum_address(loss_payee, "loss payee") if loss_payee else ZERO_ADDRESS
        result = self.transact(
            self.insurance, "recordPolicy", vin_to_bytes32(v), payee,
            _bytes32(policy_ref, "policy reference"), expires_at,
            action=f"recording a policy on {v}",
        )  # fmt: skip
        return self._created(result, "PolicyRecorded", "policyId")

    def change_loss_payee(self, policy_id: int, loss_payee: str) -> TxResult:
        return self.transact(
            self.insurance, "changeLossPayee", policy_id,
            checksum_address(loss_payee, "loss payee"),
            action=f"changing the loss payee of policy {policy_id}",
        )  # fmt: skip

    def cancel_policy(self, policy_id: int) -> TxResult:
        return self.transact(
            self.insurance, "cancelPolicy", policy_id, action=f"cancelling policy {policy_id}"
        )

    def file_claim(self, policy_id: int, claim_ref: bytes | str, amount_cents: int) -> TxResult:
        """Files a claim on ``policy_id``; ``result.id`` is the new claim's id."""
        result = self.transact(
            self.insurance, "fileClaim", policy_id, _bytes32(claim_ref, "claim reference"),
            amount_cents, action=f"filing a claim on policy {policy_id}",
        )  # fmt: skip
        return self._created(result, "ClaimFiled", "claimId")

    def settle_claim(self, claim_id: int, amount_cents: int) -> TxResult:
        return self.transact(
            self.insurance, "settleClaim", claim_id, amount_cents,
            action=f"settling claim {claim_id}",
        )  # fmt: skip

    def deny_claim(self, claim_id: int) -> TxResult:
        return self.transact(
            self.insurance, "denyClaim", claim_id, action=f"denying claim {claim_id}"
        )

    def declare_total_loss(self, claim_id: int, *, flood: bool = False) -> TxResult:
        return self.transact(
            self.insurance, "declareTotalLoss", claim_id, flood,
            action=f"declaring claim {claim_id} a total loss",
        )  # fmt: skip
