"""Contract reverts decoded into the package's own errors, with messages a person understands.

A caller sees "lien 7 is held by 0xabc…, not by you (0xdef…)" rather than "execution reverted".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from registry.contracts import CONTRACT_NAMES, ROLE_BY_HASH, abi
from registry.enums import (
    Brand,
    ChainEnum,
    ClaimStatus,
    LienStatus,
    LoanState,
    PolicyStatus,
    TitleStatus,
)
from registry.errors import (
    ContractRejection,
    RegistryError,
    RejectedConflict,
    RejectedInvalid,
    RejectedNotFound,
    RejectedUnauthorized,
    TransactionFailed,
)
from registry.vin import vin_from_bytes32

Args = dict[str, Any]


def vin_text(raw: bytes) -> str | None:
    """The VIN a bytes32 holds (its 17 characters), or None when it holds no well-formed VIN."""
    try:
        return vin_from_bytes32(raw)
    except RegistryError:
        return None


def _vin(v: bytes) -> str:
    """A VIN argument for a message: its text where it is text, else its hex."""
    text = bytes(v).rstrip(b"\x00")
    if text.isascii() and text.isalnum():
        return text.decode("ascii")
    return "0x" + bytes(v).hex()


def _role(v: bytes) -> str:
    role = ROLE_BY_HASH.get(bytes(v))
    return role.lower() if role is not None else "0x" + bytes(v).hex()


def _states(mask: bytes) -> str:
    bits = int.from_bytes(mask, "big")
    return ", ".join(s.lower() for s in LoanState if bits >> s.chain_index & 1)


def _brand(i: int) -> str:
    return Brand.from_chain(i).lower().replace("_", "-") if i < len(Brand) else f"#{i}"


def _when(t: int) -> str:
    """A unix time in a message: its UTC date and time."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _name(enum: type[ChainEnum], i: int) -> str:
    return enum.from_chain(i).lower().replace("_", " ") if i < len(enum) else str(i)


def _shown(name: str, value: Any) -> Any:
    """An argument as error details carry it: a VIN as its text, other bytes as hex."""
    if not isinstance(value, bytes):
        return value
    if name == "vin":
        text = vin_text(value)
        if text is not None:
            return text
    return "0x" + value.hex()


# error name -> (category, message built from the decoded arguments)
_MESSAGES: dict[str, tuple[type[RegistryError], Callable[[Args], str]]] = {
    "AccessControlUnauthorizedAccount": (
        RejectedUnauthorized,
        lambda a: f"{a['account']} does not have the {_role(a['neededRole'])} role",
    ),
    "AccessControlBadConfirmation": (
        RejectedUnauthorized,
        lambda a: "an account can only renounce a role it holds itself",
    ),
    "InvalidShortString": (RejectedInvalid, lambda a: "a short string is malformed"),
    "StringTooLong": (
        RejectedInvalid,
        lambda a: f"the string {a['str']!r} is too long for a short string",
    ),
    "RegistryInvalidVin": (RejectedInvalid, lambda a: f"{_vin(a['vin'])} is not a well-formed VIN"),
    "RegistryInvalidAddress": (
        RejectedInvalid,
        lambda a: f"{a['account']} cannot be used here (zero address or the current holder)",
    ),
    "RegistryTitleExists": (
        RejectedConflict,
        lambda a: f"VIN {_vin(a['vin'])} already has a title",
    ),
    "RegistryTitleNotFound": (RejectedNotFound, lambda a: f"VIN {_vin(a['vin'])} has no title"),
    "RegistryNotTitleOwner": (
        RejectedUnauthorized,
        lambda a: (
            f"the title of {_vin(a['vin'])} is owned by {a['owner']}, not by you ({a['caller']})"
        ),
    ),
    "RegistryTitleStatusForbids": (
        RejectedConflict,
        lambda a: (
            f"the title of {_vin(a['vin'])} is {_name(TitleStatus, a['status'])}: "
            "it cannot be transferred or take a new lien"
        ),
    ),
    "RegistryOdometerRollback": (
        RejectedConflict,
        lambda a: (
            f"odometer reading {a['reading']} for {_vin(a['vin'])} is below the latest "
            f"reading {a['current']}; only the registrar can correct it "
            "(branding it odometer-not-actual)"
        ),
    ),
    "RegistryNotOdometerRecorder": (
        RejectedUnauthorized,
        lambda a: (
            f"{a['caller']} may not record odometer readings for {_vin(a['vin'])}: only its "
            "owner, a dealer, an insurer or the registrar"
        ),
    ),
    "RegistryUnknownBrand": (
        RejectedInvalid,
        lambda a: f"brand #{a['brand']} is not a known brand",
    ),
    "RegistryBrandAlreadyApplied": (
        RejectedConflict,
        lambda a: f"the title of {_vin(a['vin'])} already carries the {_brand(a['brand'])} brand",
    ),
    "RegistryBrandRequires": (
        RejectedConflict,
        lambda a: (
            f"the {_brand(a['brand'])} brand needs the {_brand(a['requiredBrand'])} brand "
            f"first on {_vin(a['vin'])}"
        ),
    ),
    "RegistryActiveLiens": (
        RejectedConflict,
        lambda a: (
            f"the title of {_vin(a['vin'])} cannot move: {a['activeLiens']} active lien(s) "
            "stand; every lienholder must consent (or release) first"
        ),
    ),
    "RegistryConsentMissing": (
        RejectedConflict,
        lambda a: f"no consent from the holder of active lien {a['lienId']} on {_vin(a['vin'])}",
    ),
    "RegistryConsentInvalid": (
        RejectedConflict,
        lambda a: (
            f"the consent for lien {a['lienId']} is not a valid signature of its holder "
            f"{a['lienholder']} for this transfer"
        ),
    ),
    "RegistryConsentExpired": (
        RejectedConflict,
        lambda a: f"the consent for lien {a['lienId']} expired (deadline {a['deadline']})",
    ),
    "RegistryLienNotFound": (RejectedNotFound, lambda a: f"lien {a['lienId']} does not exist"),
    "RegistryLienNotActive": (
        RejectedConflict,
        lambda a: f"lien {a['lienId']} is not active (it is {_name(LienStatus, a['status'])})",
    ),
    "RegistryNotLienholder": (
        RejectedUnauthorized,
        lambda a: f"lien {a['lienId']} is held by {a['holder']}, not by you ({a['caller']})",
    ),
    "RegistryNotLender": (
        RejectedInvalid,
        lambda a: f"{a['account']} is not an admitted lender: a lien can only go to a lender",
    ),
    "RegistryBatchLengthMismatch": (
        RejectedInvalid,
        lambda a: f"batch arrays differ in length ({a['expected']} and {a['actual']})",
    ),
    "RegistryUnknownRole": (
        RejectedInvalid,
        lambda a: f"{_role(a['role'])} is not a participant role",
    ),
    "LoanNotFound": (RejectedNotFound, lambda a: f"loan {a['loanId']} does not exist"),
    "LoanUnauthorizedAccount": (
        RejectedUnauthorized,
        lambda a: f"{a['account']} does not have the {_role(a['neededRole'])} role",
    ),
    "LoanLienNotActive": (
        RejectedConflict,
        lambda a: f"lien {a['lienId']} is not active: a loan needs an active lien",
    ),
    "LoanNotLienholder": (
        RejectedUnauthorized,
        lambda a: f"lien {a['lienId']} is held by {a['holder']}, not by you ({a['caller']})",
    ),
    "LoanNotLender": (
        RejectedUnauthorized,
        lambda a: f"loan {a['loanId']} is serviced by {a['lender']}, not by you ({a['caller']})",
    ),
    "LoanUnexpectedState": (
        RejectedConflict,
        lambda a: (
            f"loan {a['loanId']} is {_name(LoanState, a['current'])}; this needs it to be "
            f"one of: {_states(a['allowedStates'])}"
        ),
    ),
    "LoanLienAlreadyFinanced": (
        RejectedConflict,
        lambda a: f"lien {a['lienId']} already secures loan {a['loanId']}",
    ),
    "LoanZeroAmount": (RejectedInvalid, lambda a: f"the amount for loan {a['loanId']} must be > 0"),
    "LoanUnauthorizedHook": (
        RejectedUnauthorized,
        lambda a: f"{a['caller']} is not the registry: only it reports lien assignments",
    ),
    "LoanBatchLengthMismatch": (
        RejectedInvalid,
        lambda a: f"batch arrays differ in length ({a['expected']} and {a['actual']})",
    ),
    "PledgeUnauthorizedAccount": (
        RejectedInvalid,
        lambda a: f"{a['account']} is not an admitted funder: a loan can only be pledged to one",
    ),
    "PledgeLoanAlreadyPledged": (
        RejectedConflict,
        lambda a: (
            f"loan {a['loanId']} is already pledged to funder {a['funder']} (pledge "
            f"{a['pledgeId']}): a loan is pledged to one funder at a time"
        ),
    ),
    "PledgeNotPledged": (RejectedNotFound, lambda a: f"loan {a['loanId']} is not pledged"),
    "PledgeNotFunder": (
        RejectedUnauthorized,
        lambda a: (
            f"loan {a['loanId']} is pledged to {a['funder']}, not to you ({a['caller']}): "
            "only the funder releases its pledge"
        ),
    ),
    "PledgeInvalidReason": (
        RejectedInvalid,
        lambda a: (
            f"release reason #{a['reason']} is not repurchase or remittance "
            "(a sale to another funder is a pledge transfer)"
        ),
    ),
    "PledgeSameFunder": (
        RejectedInvalid,
        lambda a: f"loan {a['loanId']} is already pledged to {a['funder']}: name another funder",
    ),
    "PledgeConsentMissing": (
        RejectedConflict,
        lambda a: (
            f"loan {a['loanId']} is pledged to funder {a['funder']} (pledge {a['pledgeId']}): "
            "assigning its lien needs the funder's signed consent"
        ),
    ),
    "PledgeConsentInvalid": (
        RejectedConflict,
        lambda a: (
            f"the consent to assign the lien of loan {a['loanId']} is not a valid signature "
            f"of its funder {a['funder']} for this assignment"
        ),
    ),
    "PledgeConsentExpired": (
        RejectedConflict,
        lambda a: f"the funder's consent for loan {a['loanId']} expired (deadline {a['deadline']})",
    ),
    "LoanEffectiveTimeInFuture": (
        RejectedInvalid,
        lambda a: (
            f"loan {a['loanId']}: the effective time {_when(a['at'])} is later than the "
            f"block's ({_when(a['blockTime'])}); nothing can be recorded as of the future"
        ),
    ),
    "LoanEffectiveTimeTooEarly": (
        RejectedConflict,
        lambda a: (
            f"loan {a['loanId']}: the effective time {_when(a['at'])} is before its "
            f"origination or disbursement ({_when(a['earliest'])})"
        ),
    ),
    "InsuranceUnauthorizedAccount": (
        RejectedUnauthorized,
        lambda a: f"{a['account']} does not have the {_role(a['neededRole'])} role",
    ),
    "InsuranceTitleNotFound": (RejectedNotFound, lambda a: f"VIN {_vin(a['vin'])} has no title"),
    "InsurancePolicyNotFound": (
        RejectedNotFound,
        lambda a: f"policy {a['policyId']} does not exist",
    ),
    "InsuranceClaimNotFound": (RejectedNotFound, lambda a: f"claim {a['claimId']} does not exist"),
    "InsuranceNotInsurer": (
        RejectedUnauthorized,
        lambda a: f"this policy is the insurer {a['insurer']}'s, not yours ({a['caller']})",
    ),
    "InsurancePolicyNotActive": (
        RejectedConflict,
        lambda a: f"policy {a['policyId']} is {_name(PolicyStatus, a['status'])}",
    ),
    "InsuranceClaimNotOpen": (
        RejectedConflict,
        lambda a: f"claim {a['claimId']} is {_name(ClaimStatus, a['status'])}, not open",
    ),
    "InsuranceTotalLossAlreadyDeclared": (
        RejectedConflict,
        lambda a: f"claim {a['claimId']} was already declared a total loss",
    ),
}


@lru_cache(maxsize=1)
def _selectors() -> dict[bytes, tuple[str, list[str], list[str]]]:
    table: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for contract in CONTRACT_NAMES:
        for entry in abi(contract):
            if entry["type"] != "error":
                continue
            types = [i["type"] for i in entry["inputs"]]
            selector = keccak(text=f"{entry['name']}({','.join(types)})")[:4]
            table[selector] = (entry["name"], [i["name"] for i in entry["inputs"]], types)
    return table


def known_error_names() -> set[str]:
    """Every custom error the contracts can raise (for tests: each has a message)."""
    return {name for name, _, _ in _selectors().values()}


def decode_revert(data: bytes | str | None, *, action: str = "the transaction") -> RegistryError:
    """The domain error for a revert's return data (custom error, Error(string) or Panic)."""
    if isinstance(data, str):
        data = bytes.fromhex(data[2:] if data.startswith("0x") else data)
    if not data or len(data) < 4:
        return TransactionFailed(f"the chain refused {action} without giving a reason")
    selector, body = data[:4], data[4:]
    if selector == bytes.fromhex("08c379a0"):
        (reason,) = abi_decode(["string"], body)
        return TransactionFailed(f"the chain refused {action}: {reason}", reason=reason)
    if selector == bytes.fromhex("4e487b71"):
        (code,) = abi_decode(["uint256"], body)
        return TransactionFailed(f"{action} failed a contract check (panic {code:#x})", panic=code)
    known = _selectors().get(selector)
    if known is None:
        return TransactionFailed(
            f"the chain refused {action} with an unknown error 0x{data.hex()}",
            data="0x" + data.hex(),
        )
    name, names, types = known
    values = abi_decode(types, body)
    args: Args = {}
    for n, t, v in zip(names, types, values, strict=True):
        args[n] = to_checksum_address(v) if t == "address" else v
    category, message = _MESSAGES.get(name, (TransactionFailed, lambda a: f"{name}({a})"))
    shown = {k: _shown(k, v) for k, v in args.items()}
    error = category(message(args), error=name, **shown)
    if isinstance(error, ContractRejection):
        error.error_name = name
        error.arguments = shown
    return error
