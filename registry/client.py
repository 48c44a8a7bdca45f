"""The typed Python client over the registry's contracts: one method per participant action.

Every VIN is validated before anything is sent; every refusal comes back as a domain error
(:mod:`registry.errors`) with a message a person understands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import decode as abi_decode
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from registry import domain
from registry.contracts import (
    CLAIM_STATUSES,
    LIEN_STATUSES,
    LOAN_STATES,
    POLICY_STATUSES,
    ROLES,
    TITLE_STATUSES,
    Deployment,
    abi,
    brand_index,
    brand_names,
)
from registry.errors import InvalidInput
from registry.events import EventDecoder
from registry.transactor import Transactor, TxResult
from registry.vin import validate_vin, vin_from_bytes32, vin_to_bytes32

Block = int | str


def _address(value: str, what: str = "address") -> str:
    try:
        return to_checksum_address(value)
    except ValueError:
        raise InvalidInput(
            f"{value!r} is not a valid {what} (0x followed by 40 hex digits)"
        ) from None


def _bytes32(value: bytes | str, what: str) -> bytes:
    raw = (
        bytes.fromhex(value[2:] if value.startswith("0x") else value)
        if isinstance(value, str)
        else value
    )
    if len(raw) != 32:
        raise InvalidInput(f"{what} must be 32 bytes (64 hex digits), got {len(raw)}")
    return raw


def _role(role: str) -> bytes:
    key = role.strip().upper().removesuffix("_ROLE")
    if key not in ROLES or key == "MODULE":
        raise InvalidInput(f"unknown role {role!r}: one of registrar, lender, dealer, insurer")
    return ROLES[key]


class RegistryClient:
    """Acts on the registry as one participant (``account``); reads need no account."""

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        account: LocalAccount | None = None,
        *,
        decoder: EventDecoder | None = None,
    ) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.account = account
        self.tx = Transactor(w3, account, decoder)
        self.registry: Contract = w3.eth.contract(
            address=to_checksum_address(deployment.registry), abi=abi("CollateralRegistry")
        )
        self.loans: Contract = w3.eth.contract(
            address=to_checksum_address(deployment.loan_ledger), abi=abi("LoanLedger")
        )
        self.insurance: Contract = w3.eth.contract(
            address=to_checksum_address(deployment.insurance_ledger), abi=abi("InsuranceLedger")
        )

    @property
    def address(self) -> str:
        return str(self.account.address) if self.account else ""

    def as_(self, account: LocalAccount) -> RegistryClient:
        """The same registry, acting as another participant."""
        return RegistryClient(self.w3, self.deployment, account, decoder=self.tx.decoder)

    # ---------------------------------------------------------------- plumbing

    def _send(self, contract: Contract, fn: str, *args: Any, action: str) -> TxResult:
        data = contract.encode_abi(fn, args=list(args))
        return self.tx.send(contract.address, data, action=action)

    def _read(self, contract: Contract, fn: str, *args: Any, block: Block = "latest") -> Any:
        data = contract.encode_abi(fn, args=list(args))
        raw = self.tx.call(contract.address, data, block, action=f"reading {fn}")
        outputs = contract.get_function_by_name(fn).abi["outputs"]
        values = abi_decode([o["type"] for o in outputs], bytes.fromhex(raw[2:]))
        return values[0] if len(values) == 1 else values

    # ---------------------------------------------------------------- registrar

    def admit_participant(self, account: str, role: str, name: str) -> TxResult:
        who = _address(account)
        return self._send(
            self.registry, "admitParticipant", who, _role(role), name,
            action=f"admitting {who} as {role.lower()}",
        )  # fmt: skip

    def remove_participant(self, account: str, role: str) -> TxResult:
        who = _address(account)
        return self._send(
            self.registry, "removeParticipant", who, _role(role), action=f"removing {who}"
        )

    def issue_title(self, vin: str, owner: str, odometer: int = 0) -> TxResult:
        v = validate_vin(vin)
        return self._send(
            self.registry, "issueTitle", vin_to_bytes32(v), _address(owner, "owner address"),
            odometer, action=f"issuing the title of {v}",
        )  # fmt: skip

    def issue_titles_batch(
        self, vins: Sequence[str], owners: Sequence[str], odometers: Sequence[int]
    ) -> TxResult:
        encoded = [vin_to_bytes32(validate_vin(v)) for v in vins]
        addrs = [_address(o, "owner address") for o in owners]
        return self._send(
            self.registry, "issueTitlesBatch", encoded, addrs, list(odometers),
            action=f"issuing {len(encoded)} titles",
        )  # fmt: skip

    def apply_brand(self, vin: str, brand: str) -> TxResult:
        v = validate_vin(vin)
        return self._send(
            self.registry, "applyBrand", vin_to_bytes32(v), brand_index(brand),
            action=f"branding {v} {brand.lower()}",
        )  # fmt: skip

    def correct_odometer(self, vin: str, reading: int) -> TxResult:
        v = validate_vin(vin)
        return self._send(
            self.registry, "correctOdometer", vin_to_bytes32(v), reading,
            action=f"correcting the odometer of {v}",
        )  # fmt: skip

    # -------------------------------------------------------------- owner/dealer

    def transfer_title(self, vin: str, to: str) -> TxResult:
        v = validate_vin(vin)
        return self._send(
            self.registry, "transferTitle", vin_to_bytes32(v), _address(to, "new owner"),
            action=f"transferring the title of {v}",
        )  # fmt: skip

    def transfer_title_with_consent(
        self, vin: str, to: str, consents: Sequence[domain.LienConsent]
    ) -> TxResult:
        v = validate_vin(vin)
        ordered = sorted(consents, key=lambda c: c.lien_id)
        return self._send(
            self.registry, "transferTitleWithConsent", vin_to_bytes32(v),
            _address(to, "new owner"), [c.as_abi() for c in ordered],
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
        return self._send(
            self.registry, "recordSale", vin_to_bytes32(v), _address(buyer, "buyer"),
            _bytes32(sale_ref, "sale reference"), [c.as_abi() for c in ordered],
            action=f"recording the sale of {v}",
        )  # fmt: skip

    def record_odometer(self, vin: str, reading: int) -> TxResult:
        v = validate_vin(vin)
        if reading < 0:
            raise InvalidInput("an odometer reading cannot be negative")
        return self._send(
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
        message = {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "TransferConsent": [
                    {"name": "vin", "type": "bytes32"},
                    {"name": "lienId", "type": "uint256"},
                    {"name": "from", "type": "address"},
                    {"name": "to", "type": "address"},
                    {"name": "nonce", "type": "uint32"},
                    {"name": "release", "type": "bool"},
                    {"name": "deadline", "type": "uint256"},
                ],
            },
            "primaryType": "TransferConsent",
            "domain": {
                "name": "CollateralRegistry",
                "version": "1",
                "chainId": self.tx.chain_id,
                "verifyingContract": self.registry.address,
            },
            "message": {
                "vin": vin_to_bytes32(v),
                "lienId": lien_id,
                "from": _address(from_owner),
                "to": _address(to),
                "nonce": nonce,
                "release": release,
                "deadline": deadline,
            },
        }
        signed = self.account.sign_message(encode_typed_data(full_message=message))
        return domain.LienConsent(lien_id, release, deadline, bytes(signed.signature))

    # --------------------------------------------------------------------- liens

    def register_lien(self, vin: str, *, floor_plan: bool = False) -> int:
        v = validate_vin(vin)
        result = self._send(
            self.registry, "registerLien", vin_to_bytes32(v), floor_plan,
            action=f"registering a lien on {v}",
        )  # fmt: skip
        return int(result.event("LienRegistered").args["lienId"])

    def register_liens_batch(self, vins: Sequence[str], floor_plans: Sequence[bool]) -> TxResult:
        encoded = [vin_to_bytes32(validate_vin(v)) for v in vins]
        return self._send(
            self.registry, "registerLiensBatch", encoded, list(floor_plans),
            action=f"registering {len(encoded)} liens",
        )  # fmt: skip

    def release_lien(self, lien_id: int) -> TxResult:
        return self._send(self.registry, "releaseLien", lien_id, action=f"releasing lien {lien_id}")

    def assign_lien(self, lien_id: int, to: str) -> TxResult:
        return self._send(
            self.registry, "assignLien", lien_id, _address(to, "assignee"),
            action=f"assigning lien {lien_id}",
        )  # fmt: skip

    # --------------------------------------------------------------------- loans

    def originate_loan(
        self,
        lien_id: int,
        loan_ref: bytes | str,
        terms_hash: bytes | str,
        schedule_hash: bytes | str,
    ) -> int:
        result = self._send(
            self.loans, "originateLoan", lien_id, _bytes32(loan_ref, "loan reference"),
            _bytes32(terms_hash, "terms hash"), _bytes32(schedule_hash, "schedule hash"),
            action=f"originating a loan on lien {lien_id}",
        )  # fmt: skip
        return int(result.event("LoanOriginated").args["loanId"])

    def originate_loans_batch(
        self,
        lien_ids: Sequence[int],
        loan_refs: Sequence[bytes],
        terms_hashes: Sequence[bytes],
        schedule_hashes: Sequence[bytes],
    ) -> TxResult:
        return self._send(
            self.loans, "originateLoansBatch", list(lien_ids), list(loan_refs),
            list(terms_hashes), list(schedule_hashes),
            action=f"originating {len(lien_ids)} loans",
        )  # fmt: skip

    def record_disbursement(self, loan_id: int, amount_cents: int) -> TxResult:
        return self._send(
            self.loans, "recordDisbursement", loan_id, amount_cents,
            action=f"recording the disbursement of loan {loan_id}",
        )  # fmt: skip

    def record_disbursements_batch(
        self, loan_ids: Sequence[int], amounts_cents: Sequence[int]
    ) -> TxResult:
        return self._send(
            self.loans, "recordDisbursementsBatch", list(loan_ids), list(amounts_cents),
            action=f"recording {len(loan_ids)} disbursements",
        )  # fmt: skip

    def record_payment(
        self, loan_id: int, amount_cents: int, payment_ref: bytes | str = b"\x00" * 32
    ) -> TxResult:
        return self._send(
            self.loans, "recordPayment", loan_id, amount_cents,
            _bytes32(payment_ref, "payment reference"),
            action=f"recording a payment on loan {loan_id}",
        )  # fmt: skip

    def record_payments_batch(
        self, loan_ids: Sequence[int], amounts: Sequence[int], refs: Sequence[bytes]
    ) -> TxResult:
        return self._send(
            self.loans, "recordPaymentsBatch", list(loan_ids), list(amounts), list(refs),
            action=f"recording {len(loan_ids)} payments",
        )  # fmt: skip

    def record_delinquency(self, loan_id: int, days_past_due: int) -> TxResult:
        return self._send(
            self.loans, "recordDelinquency", loan_id, days_past_due,
            action=f"recording delinquency on loan {loan_id}",
        )  # fmt: skip

    def declare_default(self, loan_id: int) -> TxResult:
        return self._send(
            self.loans, "declareDefault", loan_id, action=f"declaring loan {loan_id} in default"
        )

    def restructure_loan(
        self, loan_id: int, terms_hash: bytes | str, schedule_hash: bytes | str
    ) -> TxResult:
        return self._send(
            self.loans, "restructureLoan", loan_id, _bytes32(terms_hash, "terms hash"),
            _bytes32(schedule_hash, "schedule hash"), action=f"restructuring loan {loan_id}",
        )  # fmt: skip

    def repossess(self, loan_id: int) -> TxResult:
        return self._send(
            self.loans,
            "repossess",
            loan_id,
            action=f"repossessing the collateral of loan {loan_id}",
        )

    def pay_off(self, loan_id: int) -> TxResult:
        return self._send(self.loans, "payOff", loan_id, action=f"paying off loan {loan_id}")

    def charge_off(self, loan_id: int, amount_cents: int) -> TxResult:
        return self._send(
            self.loans, "chargeOff", loan_id, amount_cents, action=f"charging off loan {loan_id}"
        )

    # ----------------------------------------------------------------- insurance

    def record_policy(
        self, vin: str, loss_payee: str | None, policy_ref: bytes | str, expires_at: int
    ) -> int:
        v = validate_vin(vin)
        payee = _address(loss_payee, "loss payee") if loss_payee else "0x" + "0" * 40
        result = self._send(
            self.insurance, "recordPolicy", vin_to_bytes32(v), payee,
            _bytes32(policy_ref, "policy reference"), expires_at,
            action=f"recording a policy on {v}",
        )  # fmt: skip
        return int(result.event("PolicyRecorded").args["policyId"])

    def change_loss_payee(self, policy_id: int, loss_payee: str) -> TxResult:
        return self._send(
            self.insurance, "changeLossPayee", policy_id, _address(loss_payee, "loss payee"),
            action=f"changing the loss payee of policy {policy_id}",
        )  # fmt: skip

    def cancel_policy(self, policy_id: int) -> TxResult:
        return self._send(
            self.insurance, "cancelPolicy", policy_id, action=f"cancelling policy {policy_id}"
        )

    def file_claim(self, policy_id: int, claim_ref: bytes | str, amount_cents: int) -> int:
        result = self._send(
            self.insurance, "fileClaim", policy_id, _bytes32(claim_ref, "claim reference"),
            amount_cents, action=f"filing a claim on policy {policy_id}",
        )  # fmt: skip
        return int(result.event("ClaimFiled").args["claimId"])

    def settle_claim(self, claim_id: int, amount_cents: int) -> TxResult:
        return self._send(
            self.insurance, "settleClaim", claim_id, amount_cents,
            action=f"settling claim {claim_id}",
        )  # fmt: skip

    def deny_claim(self, claim_id: int) -> TxResult:
        return self._send(self.insurance, "denyClaim", claim_id, action=f"denying claim {claim_id}")

    def declare_total_loss(self, claim_id: int, *, flood: bool = False) -> TxResult:
        return self._send(
            self.insurance, "declareTotalLoss", claim_id, flood,
            action=f"declaring claim {claim_id} a total loss",
        )  # fmt: skip

    # --------------------------------------------------------------------- reads

    def title(self, vin: str, block: Block = "latest") -> domain.Title:
        v = validate_vin(vin)
        owner, status, active, odometer, brands, transfers = self._read(
            self.registry, "titleOf", vin_to_bytes32(v), block=block
        )
        return domain.Title(
            vin=v,
            owner=to_checksum_address(owner),
            status=TITLE_STATUSES[status],
            active_liens=active,
            odometer=odometer,
            brands=tuple(brand_names(brands)),
            transfers=transfers,
        )

    def lien(self, lien_id: int, block: Block = "latest") -> domain.Lien:
        vin, holder, status, floor_plan = self._read(self.registry, "lienOf", lien_id, block=block)
        priority = self._read(self.registry, "lienPriority", lien_id, block=block)
        return domain.Lien(
            lien_id=lien_id,
            vin=vin_from_bytes32(vin) if any(vin) else "",
            holder=to_checksum_address(holder),
            status=LIEN_STATUSES[status],
            floor_plan=floor_plan,
            priority=priority,
        )

    def active_liens(self, vin: str, block: Block = "latest") -> list[int]:
        """Active lien ids on ``vin`` in priority order."""
        ids = self._read(
            self.registry, "activeLiensOf", vin_to_bytes32(validate_vin(vin)), block=block
        )
        return [int(i) for i in ids]

    def liens_of(self, vin: str, block: Block = "latest") -> list[int]:
        """Every lien ever registered on ``vin``, oldest first."""
        ids = self._read(self.registry, "liensOf", vin_to_bytes32(validate_vin(vin)), block=block)
        return [int(i) for i in ids]

    def loan(self, loan_id: int, block: Block = "latest") -> domain.Loan:
        lender, lien_id, state, terms, schedule = self._read(
            self.loans, "loanOf", loan_id, block=block
        )
        return domain.Loan(
            loan_id=loan_id,
            lender=to_checksum_address(lender),
            lien_id=lien_id,
            state=LOAN_STATES[state],
            terms_hash="0x" + terms.hex(),
            schedule_hash="0x" + schedule.hex(),
        )

    def loan_of_lien(self, lien_id: int, block: Block = "latest") -> int:
        return int(self._read(self.loans, "loanOfLien", lien_id, block=block))

    def policy(self, policy_id: int, block: Block = "latest") -> domain.Policy:
        vin, insurer, status, expires, payee = self._read(
            self.insurance, "policyOf", policy_id, block=block
        )
        return domain.Policy(
            policy_id=policy_id,
            vin=vin_from_bytes32(vin) if any(vin) else "",
            insurer=to_checksum_address(insurer),
            status=POLICY_STATUSES[status],
            expires_at=expires,
            loss_payee=to_checksum_address(payee),
        )

    def claim(self, claim_id: int, block: Block = "latest") -> domain.Claim:
        policy_id, status, total_loss = self._read(self.insurance, "claimOf", claim_id, block=block)
        return domain.Claim(claim_id, policy_id, CLAIM_STATUSES[status], total_loss)

    def has_role(self, role: str, account: str, block: Block = "latest") -> bool:
        key = role.strip().upper().removesuffix("_ROLE")
        if key not in ROLES:
            raise InvalidInput(f"unknown role {role!r}")
        return bool(
            self._read(self.registry, "hasRole", ROLES[key], _address(account), block=block)
        )
