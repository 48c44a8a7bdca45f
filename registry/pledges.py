"""Pledges of loans to funders, as the client acts on them: release reasons, the funder's
EIP-712 consent to a lien assignment, and the one signing path the client uses.

The contract side is ``contracts/loans/Pledges.sol`` (inherited by ``LoanLedger``): the loan's
servicer pledges it, at most one active pledge per loan, only the funder releases or sells it,
and assigning a pledged loan's lien needs the funder's consent in the same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from registry import domain
from registry.addresses import checksum_address
from registry.enums import PledgeReleaseReason
from registry.errors import InvalidInput
from registry.reader import EIP712_DOMAIN_TYPES

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

#: The ``PledgeConsent`` struct a funder signs (EIP-712), as ``Pledges.sol`` hashes it.
PLEDGE_CONSENT_TYPE = [
    {"name": "pledgeId", "type": "uint256"},
    {"name": "loanId", "type": "uint256"},
    {"name": "from", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "nonce", "type": "uint32"},
    {"name": "deadline", "type": "uint256"},
]
#: The reasons a funder may give to ``releasePledge`` (a sale is a transfer).
RELEASE_REASONS = (PledgeReleaseReason.REPURCHASE, PledgeReleaseReason.REMITTANCE)


def release_reason(reason: PledgeReleaseReason | str) -> PledgeReleaseReason:
    """A release reason given by value or user text (``remittance``).

    Raises:
        InvalidInput: not repurchase or remittance.
    """
    try:
        parsed = PledgeReleaseReason(str(reason).strip().upper())
    except ValueError:
        parsed = None
    if parsed not in RELEASE_REASONS:
        raise InvalidInput(
            f"unknown release reason {str(reason)!r}: repurchase or remittance "
            "(a sale to another funder is `registry pledge transfer`)",
            reason=str(reason),
        )
    return parsed


def sign_consent(
    account: LocalAccount,
    eip712_domain: dict[str, Any],
    *,
    pledge_id: int,
    loan_id: int,
    from_lender: str,
    to_lender: str,
    nonce: int,
    deadline: int,
) -> domain.FunderConsent:
    """``account`` (the funder) signs consent to assign the lien of ``loan_id`` from
    ``from_lender`` to ``to_lender`` (EIP-712, the loan ledger's domain)."""
    from eth_account.messages import encode_typed_data

    message = {
        "types": {
            "EIP712Domain": [{"name": k, "type": EIP712_DOMAIN_TYPES[k]} for k in eip712_domain],
            "PledgeConsent": PLEDGE_CONSENT_TYPE,
        },
        "primaryType": "PledgeConsent",
        "domain": eip712_domain,
        "message": {
            "pledgeId": pledge_id,
            "loanId": loan_id,
            "from": checksum_address(from_lender),
            "to": checksum_address(to_lender),
            "nonce": nonce,
            "deadline": deadline,
        },
    }
    signed = account.sign_message(encode_typed_data(full_message=message))
    return domain.FunderConsent(loan_id, deadline, bytes(signed.signature))
