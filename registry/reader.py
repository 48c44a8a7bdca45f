"""Reading the registry's contracts: titles, liens, loans, policies, claims, roles, names.

:class:`RegistryReader` is the read half of :class:`registry.client.RegistryClient`; every
read may name a ``block`` (a number or ``"latest"``) to answer "as of" that block. Values the
contracts define (role ids, the EIP-712 domain) are read from them once and cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eth_utils import to_checksum_address

from registry import domain
from registry.addresses import checksum_address
from registry.codec import Contract
from registry.contracts import Deployment, brand_names
from registry.enums import (
    PARTICIPANT_ROLES,
    ClaimStatus,
    LienStatus,
    LoanState,
    PolicyStatus,
    Role,
    TitleStatus,
)
from registry.errors import InvalidInput
from registry.events import EventDecoder
from registry.rpc import Transport
from registry.vin import validate_vin, vin_from_bytes32, vin_to_bytes32

Block = int | str

_TITLE_STATUSES = tuple(TitleStatus)
_LIEN_STATUSES = tuple(LienStatus)
_LOAN_STATES = tuple(LoanState)
_POLICY_STATUSES = tuple(PolicyStatus)
_CLAIM_STATUSES = tuple(ClaimStatus)


#: The EIP-712 domain fields a contract may declare (ERC-5267), with their types.
EIP712_DOMAIN_TYPES = {"name": "string", "version": "string", "chainId": "uint256",
                       "verifyingContract": "address", "salt": "bytes32"}  # fmt: skip


class ContractFacts:
    """Values read once from the deployed contracts, shared by the clients of one deployment."""

    def __init__(self) -> None:
        self.role_ids: dict[Role, bytes] = {}
        self.eip712_domain: dict[str, Any] | None = None
        self.ledger_eip712_domain: dict[str, Any] | None = None


def parse_role(text: str, *, participant: bool = False) -> Role:
    """A role named by the user (``lender``, ``LENDER_ROLE``); ``participant`` admits only the
    roles a participant can hold.

    Raises:
        InvalidInput: no such role.
    """
    try:
        role = Role.parse(text)
    except ValueError:
        role = None
    if role is None or (participant and role not in PARTICIPANT_ROLES):
        raise InvalidInput(
            f"unknown role {text!r}: one of registrar, lender, dealer, insurer, funder"
        )
    return role


class RegistryReader:
    """Reads the registry's three contracts through one transport (no account needed)."""

    def __init__(
        self,
        rpc: Transport,
        deployment: Deployment,
        *,
        decoder: EventDecoder | None = None,
        facts: ContractFacts | None = None,
    ) -> None:
        self.rpc = rpc
        self.deployment = deployment
        self.decoder = decoder or EventDecoder()
        self.facts = facts or ContractFacts()
        self.registry = Contract("CollateralRegistry", to_checksum_address(deployment.registry))
        self.loans = Contract("LoanLedger", to_checksum_address(deployment.loan_ledger))
        self.insurance = Contract(
            "InsuranceLedger", to_checksum_address(deployment.insurance_ledger)
        )

    def _call(self, to: str, data: str, block: Block, action: str) -> str:
        """One ``eth_call``; :class:`registry.client.RegistryClient` makes it as its signer."""
        block_id = hex(block) if isinstance(block, int) else block
        result: str = self.rpc.request("eth_call", [{"to": to, "data": data}, block_id],
                                       action=action)  # fmt: skip
        return result

    def read(self, contract: Contract, fn: str, *args: Any, block: Block = "latest") -> Any:
        """``contract.fn(*args)`` as of ``block``: one value, or a tuple of several."""
        raw = self._call(contract.address, contract.encode(fn, *args), block, f"reading {fn}")
        return contract.decode(fn, raw)

    # ------------------------------------------------------------ from the contract

    def role_id(self, role: Role) -> bytes:
        """The bytes32 id of ``role``, as the registry contract defines it (read once)."""
        found = self.facts.role_ids.get(role)
        if found is None:
            found = bytes(self.read(self.registry, f"{role.solidity_name}"))
            self.facts.role_ids[role] = found
        return found

    def eip712_domain(self) -> dict[str, Any]:
        """The registry's EIP-712 domain (ERC-5267 ``eip712Domain()``, read once): title
        transfer consents are signed under it."""
        if self.facts.eip712_domain is None:
            self.facts.eip712_domain = self._read_eip712_domain(self.registry)
        return dict(self.facts.eip712_domain)

    def ledger_eip712_domain(self) -> dict[str, Any]:
        """The loan ledger's EIP-712 domain (read once): funders' consents are signed under it."""
        if self.facts.ledger_eip712_domain is None:
            self.facts.ledger_eip712_domain = self._read_eip712_domain(self.loans)
        return dict(self.facts.ledger_eip712_domain)

    def _read_eip712_domain(self, contract: Contract) -> dict[str, Any]:
        fields, name, version, chain_id, verifying, salt, _ = self.read(contract, "eip712Domain")
        bits = int.from_bytes(fields, "big")
        present = {
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(verifying),
            "salt": bytes(salt),
        }
        return {key: value for i, (key, value) in enumerate(present.items()) if bits >> i & 1}

    def participant_names(
        self, accounts: Iterable[str], block: Block = "latest"
    ) -> dict[str, str | None]:
        """The latest name each account was admitted under (``ParticipantAdmitted``), up to
        ``block``, by checksummed address (None: never admitted)."""
        wanted = [to_checksum_address(a) for a in accounts]
        names: dict[str, str | None] = dict.fromkeys(wanted)
        if not wanted:
            return names
        topic = self.decoder.topics_by_name["ParticipantAdmitted"]
        accounts_topic = ["0x" + a.lower()[2:].rjust(64, "0") for a in wanted]
        logs = self.rpc.request("eth_getLogs", [{
            "address": self.registry.address,
            "fromBlock": hex(self.deployment.block),
            "toBlock": hex(block) if isinstance(block, int) else block,
            "topics": [topic, accounts_topic],
        }])  # fmt: skip
        for log in logs:  # in chain order: the last admission wins
            ev = self.decoder.decode(log)
            if ev is not None:
                names[to_checksum_address(ev.args["account"])] = ev.args["name"]
        return names

    # --------------------------------------------------------------------- records

    def title(self, vin: str, block: Block = "latest") -> domain.Title:
        v = validate_vin(vin)
        owner, status, active, odometer, brands, transfers = self.read(
            self.registry, "titleOf", vin_to_bytes32(v), block=block
        )
        return domain.Title(
            vin=v,
            owner=to_checksum_address(owner),
            status=_TITLE_STATUSES[status],
            active_liens=active,
            odometer=odometer,
            brands=tuple(brand_names(brands)),
            transfers=transfers,
        )

    def lien(self, lien_id: int, block: Block = "latest") -> domain.Lien:
        vin, holder, status, floor_plan = self.read(self.registry, "lienOf", lien_id, block=block)
        priority = self.read(self.registry, "lienPriority", lien_id, block=block)
        return domain.Lien(
            lien_id=lien_id,
            vin=vin_from_bytes32(vin) if any(vin) else "",
            holder=to_checksum_address(holder),
            status=_LIEN_STATUSES[status],
            floor_plan=floor_plan,
            priority=priority,
        )

    def active_liens(self, vin: str, block: Block = "latest") -> list[int]:
        """Active lien ids on ``vin`` in priority order."""
        ids = self.read(
            self.registry, "activeLiensOf", vin_to_bytes32(validate_vin(vin)), block=block
        )
        return [int(i) for i in ids]

    def liens_of(self, vin: str, block: Block = "latest") -> list[int]:
        """Every lien ever registered on ``vin``, oldest first."""
        ids = self.read(self.registry, "liensOf", vin_to_bytes32(validate_vin(vin)), block=block)
        return [int(i) for i in ids]

    def loan(self, loan_id: int, block: Block = "latest") -> domain.Loan:
        lender, lien_id, state, terms, schedule = self.read(
            self.loans, "loanOf", loan_id, block=block
        )
        return domain.Loan(
            loan_id=loan_id,
            lender=to_checksum_address(lender),
            lien_id=lien_id,
            state=_LOAN_STATES[state],
            terms_hash="0x" + terms.hex(),
            schedule_hash="0x" + schedule.hex(),
        )

    def pledge_of(self, loan_id: int, block: Block = "latest") -> domain.Pledge | None:
        """The active pledge of ``loan_id`` (None if the loan is not pledged)."""
        pledge_id, funder, _nonce = self.read(self.loans, "pledgeOf", loan_id, block=block)
        if pledge_id == 0:
            return None
        return domain.Pledge(pledge_id, loan_id, to_checksum_address(funder), True)

    def pledge(self, pledge_id: int, block: Block = "latest") -> domain.Pledge:
        """Pledge ``pledge_id``, active or released (``loan_id`` 0 if there is none)."""
        loan_id, funder, active = self.read(self.loans, "pledgeById", pledge_id, block=block)
        return domain.Pledge(pledge_id, loan_id, to_checksum_address(funder), active)

    def pledge_nonce(self, loan_id: int, block: Block = "latest") -> int:
        """How many lien assignments the funder of ``loan_id``'s pledge consented to (what
        its next consent signs)."""
        _, _, nonce = self.read(self.loans, "pledgeOf", loan_id, block=block)
        return int(nonce)

    def loan_of_lien(self, lien_id: int, block: Block = "latest") -> int:
        return int(self.read(self.loans, "loanOfLien", lien_id, block=block))

    # ---------------------------------------------------------------- many at once

    def titles_of(
        self, vins: Sequence[str], block: Block = "latest"
    ) -> list[tuple[TitleStatus, int, int]]:
        """(status, brands bitmask, active liens) of each VIN's title, in one call."""
        raw = [vin_to_bytes32(validate_vin(v)) for v in vins]
        statuses, brands, active = self.read(self.registry, "titlesOf", raw, block=block)
        return [
            (_TITLE_STATUSES[s], int(b), int(a))
            for s, b, a in zip(statuses, brands, active, strict=True)
        ]

    def liens_held_on(self, vins: Sequence[str], holder: str, block: Block = "latest") -> list[int]:
        """For each VIN, the oldest active lien ``holder`` holds on it (0: none), in one call."""
        raw = [vin_to_bytes32(validate_vin(v)) for v in vins]
        ids = self.read(
            self.registry, "activeLiensOfMany", raw, checksum_address(holder), block=block
        )
        return [int(i) for i in ids]

    def loans_of_liens(
        self, lien_ids: Sequence[int], block: Block = "latest"
    ) -> list[tuple[int, LoanState]]:
        """(loan id, its state) for each lien (0 and NONE where none), in one call."""
        ids, states = self.read(self.loans, "loansOfLiens", list(lien_ids), block=block)
        return [(int(i), _LOAN_STATES[s]) for i, s in zip(ids, states, strict=True)]

    def policy(self, policy_id: int, block: Block = "latest") -> domain.Policy:
        vin, insurer, status, expires, payee = self.read(
            self.insurance, "policyOf", policy_id, block=block
        )
        return domain.Policy(
            policy_id=policy_id,
            vin=vin_from_bytes32(vin) if any(vin) else "",
            insurer=to_checksum_address(insurer),
            status=_POLICY_STATUSES[status],
            expires_at=expires,
            loss_payee=to_checksum_address(payee),
        )

    def claim(self, claim_id: int, block: Block = "latest") -> domain.Claim:
        policy_id, status, total_loss = self.read(self.insurance, "claimOf", claim_id, block=block)
        return domain.Claim(claim_id, policy_id, _CLAIM_STATUSES[status], total_loss)

    def has_role(self, role: str, account: str, block: Block = "latest") -> bool:
        role_id = self.role_id(parse_role(role))
        return bool(
            self.read(self.registry, "hasRole", role_id, checksum_address(account), block=block)
        )
