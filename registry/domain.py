"""Domain records read from the chain: titles, liens, loans, policies, claims, consents."""

from __future__ import annotations

from dataclasses import dataclass

from registry.enums import Brand, ClaimStatus, LienStatus, LoanState, PolicyStatus, TitleStatus


@dataclass(frozen=True)
class Title:
    vin: str
    owner: str
    status: TitleStatus  # NONE: no title
    active_liens: int
    odometer: int
    brands: tuple[Brand, ...]
    transfers: int

    @property
    def exists(self) -> bool:
        return self.status is not TitleStatus.NONE


@dataclass(frozen=True)
class Lien:
    lien_id: int
    vin: str
    holder: str
    status: LienStatus  # NONE: no such lien
    floor_plan: bool
    priority: int  # rank among the VIN's active liens (1 = first); 0 when not active


@dataclass(frozen=True)
class Loan:
    loan_id: int
    lender: str
    lien_id: int
    state: LoanState  # NONE: no such loan
    terms_hash: str
    schedule_hash: str


@dataclass(frozen=True)
class Policy:
    policy_id: int
    vin: str
    insurer: str
    status: PolicyStatus
    expires_at: int
    loss_payee: str


@dataclass(frozen=True)
class Claim:
    claim_id: int
    policy_id: int
    status: ClaimStatus
    total_loss: bool


@dataclass(frozen=True)
class LienConsent:
    """A lienholder's signed consent to one title transfer (see ``TransferConsent``)."""

    lien_id: int
    release: bool
    deadline: int
    signature: bytes

    def as_abi(self) -> tuple[int, bool, int, bytes]:
        return (self.lien_id, self.release, self.deadline, self.signature)


@dataclass(frozen=True)
class Pledge:
    """A loan's pledge to a funder as the loan ledger holds it (``pledgeById``)."""

    pledge_id: int
    loan_id: int  # 0: no such pledge
    funder: str
    active: bool


@dataclass(frozen=True)
class FunderConsent:
    """A funder's signed consent (EIP-712 ``PledgeConsent``) to one assignment of the lien of
    a loan pledged to it."""

    loan_id: int
    deadline: int
    signature: bytes

    def as_abi(self) -> tuple[int, bytes]:
        return (self.deadline, self.signature)
