"""The registry's domain values as types: one ``StrEnum`` per vocabulary.

Values are the strings stored in the mirror and shown by the API (so stored data does not
change). The enums copied from Solidity list their members in the contract's order, so a
member's :attr:`~ChainEnum.chain_index` is its on-chain value; ``tests/test_enums.py`` checks them
against the compiled contracts (the enums and ``BRAND_*`` constants recorded in the
artifacts) and against what the page's JavaScript is served.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class ChainEnum(StrEnum):
    """A vocabulary mirrored from a contract: member order is the on-chain order."""

    @property
    def chain_index(self) -> int:
        """The member's value on chain (its position in the Solidity enum)."""
        return type(self)._member_names_.index(self._name_)

    @classmethod
    def from_chain(cls, index: int) -> Self:
        """The member whose on-chain value is ``index``.

        Raises:
            ValueError: no member has that value.
        """
        if not 0 <= index < len(cls._member_names_):
            raise ValueError(f"{index} is not a {cls.__name__} value")
        return cls[cls._member_names_[index]]

    @property
    def solidity_name(self) -> str:
        """The member's name in Solidity (``TOTAL_LOSS`` → ``TotalLoss``)."""
        return "".join(part.capitalize() for part in self._name_.split("_"))


class TitleStatus(ChainEnum):
    """``ICollateralRegistry.TitleStatus``."""

    NONE = "NONE"  # no title issued for this VIN
    ACTIVE = "ACTIVE"
    TOTAL_LOSS = "TOTAL_LOSS"
    STOLEN = "STOLEN"
    SCRAPPED = "SCRAPPED"


class Brand(ChainEnum):
    """The ``BRAND_*`` constants of ``RegistryBase`` (bit ``index`` of a title's brands)."""

    SALVAGE = "SALVAGE"
    REBUILT = "REBUILT"
    FLOOD = "FLOOD"
    JUNK = "JUNK"
    ODOMETER_NOT_ACTUAL = "ODOMETER_NOT_ACTUAL"
    STOLEN = "STOLEN"
    RECOVERED_THEFT = "RECOVERED_THEFT"
    LEMON = "LEMON"
    FIRE = "FIRE"
    HAIL = "HAIL"

    @property
    def solidity_name(self) -> str:
        return f"BRAND_{self._name_}"

    @property
    def label(self) -> str:
        """How messages name it: ``odometer-not-actual``."""
        return self.value.lower().replace("_", "-")


class LienStatus(ChainEnum):
    """``ICollateralRegistry.LienStatus``."""

    NONE = "NONE"
    ACTIVE = "ACTIVE"
    RELEASED = "RELEASED"
    REPOSSESSED = "REPOSSESSED"


class ReleaseReason(ChainEnum):
    """``ICollateralRegistry.ReleaseReason``: why a lien stopped being active."""

    VOLUNTARY = "VOLUNTARY"
    PAYOFF = "PAYOFF"
    TRANSFER_CONSENT = "TRANSFER_CONSENT"
    REPOSSESSION = "REPOSSESSION"


class LoanState(ChainEnum):
    """``ILoanLedger.LoanState``."""

    NONE = "NONE"
    ORIGINATED = "ORIGINATED"
    ACTIVE = "ACTIVE"
    DELINQUENT = "DELINQUENT"
    DEFAULTED = "DEFAULTED"
    PAID_OFF = "PAID_OFF"
    REPOSSESSED = "REPOSSESSED"
    CHARGED_OFF = "CHARGED_OFF"


class PledgeReleaseReason(ChainEnum):
    """``IPledges.PledgeReleaseReason``: why a funder released its pledge of a loan."""

    REPURCHASE = "REPURCHASE"  # the lender bought the loan back
    REMITTANCE = "REMITTANCE"  # the funder was repaid
    SALE = "SALE"  # sold to another funder (a new pledge follows in the same transaction)


class PolicyStatus(ChainEnum):
    """``IInsuranceLedger.PolicyStatus``."""

    NONE = "NONE"
    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"


class ClaimStatus(ChainEnum):
    """``IInsuranceLedger.ClaimStatus``."""

    NONE = "NONE"
    OPEN = "OPEN"
    SETTLED = "SETTLED"
    DENIED = "DENIED"


class Role(StrEnum):
    """The access-control roles (``<NAME>_ROLE`` constants of the contracts)."""

    REGISTRAR = "REGISTRAR"
    LENDER = "LENDER"
    DEALER = "DEALER"
    INSURER = "INSURER"
    FUNDER = "FUNDER"
    MODULE = "MODULE"  # the registry's own ledgers, never a participant
    DEFAULT_ADMIN = "DEFAULT_ADMIN"  # OpenZeppelin's admin role (unused by the registry)

    @property
    def solidity_name(self) -> str:
        return f"{self._name_}_ROLE"

    @property
    def id(self) -> bytes:
        """The role's bytes32 id, as the contracts compute it (``keccak256("LENDER_ROLE")``)."""
        from eth_utils import keccak  # here: importing the vocabularies stays instant

        if self is Role.DEFAULT_ADMIN:
            return b"\x00" * 32
        return keccak(text=self.solidity_name)

    @classmethod
    def parse(cls, text: str) -> Role:
        """A role from user text (``lender``, ``LENDER_ROLE``).

        Raises:
            ValueError: no such role.
        """
        return cls(text.strip().upper().removesuffix("_ROLE"))


#: The roles a participant can be admitted in.
PARTICIPANT_ROLES = (Role.REGISTRAR, Role.LENDER, Role.DEALER, Role.INSURER, Role.FUNDER)


class AlertKind(StrEnum):
    """The kinds of risk alert (``registry.risk.alerts.KINDS`` says what each means)."""

    DOUBLE_PLEDGE = "double_pledge"
    SOLD_OUT_OF_TRUST = "sold_out_of_trust"
    MISSED_PAYMENT = "missed_payment"
    BUCKET_ROLL = "bucket_roll"
    TOTAL_LOSS = "total_loss"
    BRAND = "brand"
    LIEN_NOT_RELEASED = "lien_not_released"
    REPOSSESSION = "repossession"
    PLEDGED_TOTAL_LOSS = "pledged_total_loss"
    PLEDGED_BRAND = "pledged_brand"
    PLEDGED_REPOSSESSION = "pledged_repossession"
    PLEDGED_OTHER_LIEN = "pledged_other_lien"
    PLEDGED_PAYOFF_UNREMITTED = "pledged_payoff_unremitted"
    PLEDGED_LIEN_RELEASED = "pledged_lien_released"
    PLEDGED_LIEN_ASSIGNED = "pledged_lien_assigned"


class WatchKind(StrEnum):
    """What a watch names (``registry.watches``): one vehicle, or a party's vehicles and
    liens (every vehicle the address owns, every lien it holds)."""

    VIN = "vin"
    ADDRESS = "address"


class Severity(StrEnum):
    """How serious an alert is, least serious first."""

    INFO = "info"
    WARNING = "warning"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return type(self)._member_names_.index(self._name_)


class Bucket(StrEnum):
    """Delinquency buckets by days past due, best first."""

    CURRENT = "current"
    DPD_1_29 = "1-29"
    DPD_30_59 = "30-59"
    DPD_60_89 = "60-89"
    DPD_90_PLUS = "90+"

    @property
    def rank(self) -> int:
        """0 for current up to 4 for 90+: higher is worse."""
        return type(self)._member_names_.index(self._name_)


class StandingBucket(StrEnum):
    """A loan's standing: its delinquency :class:`Bucket`, or closed (paid off or charged off:
    no days past due, no exposure)."""

    CURRENT = "current"
    DPD_1_29 = "1-29"
    DPD_30_59 = "30-59"
    DPD_60_89 = "60-89"
    DPD_90_PLUS = "90+"
    CLOSED = "closed"


class EventKind(StrEnum):
    """What a contract event is about, as a vehicle's history shows it
    (``registry.queries.vehicles.event_kind`` sorts every event of the ABIs into one)."""

    TITLE = "title"
    LIEN = "lien"
    SALE = "sale"
    PARTICIPANT = "participant"
    LOAN = "loan"
    INSURANCE = "insurance"


class TapeException(StrEnum):
    """What a loan-tape check finds wrong with a tape row (``registry.tapes.check``)."""

    LOAN_UNKNOWN = "loan_unknown"  # no loan with this id or reference on chain
    VIN_MISMATCH = "vin_mismatch"  # the tape's VIN is not the loan's
    NO_ACTIVE_LIEN = "no_active_lien"  # the lender holds no active lien on the VIN
    NOT_FIRST_PRIORITY = "not_first_priority"  # the lender's best lien does not rank first
    OTHER_LENDER_LIEN = "other_lender_lien"  # another lender's active lien stands on the VIN
    TITLE_BRANDED = "title_branded"
    TITLE_TOTAL_LOSS = "title_total_loss"
    TITLE_STOLEN = "title_stolen"
    TITLE_JUNK = "title_junk"
    REPOSSESSED = "repossessed"
    CLOSED_ON_CHAIN = "closed_on_chain"  # paid off or charged off on chain, live in the tape
    DPD_MISMATCH = "dpd_mismatch"
    BALANCE_MISMATCH = "balance_mismatch"
    PLEDGED_ELSEWHERE = "pledged_elsewhere"  # actively pledged to another funder
    DUPLICATE_LOAN = "duplicate_loan"  # the same loan on two or more rows
    DUPLICATE_VIN = "duplicate_vin"  # the same VIN on rows of different loans


class DelinquencyStep(StrEnum):
    """The 30-day delinquency steps of a pool report, as securitisation disclosures show them."""

    CURRENT = "current"  # 0-29 days past due
    DPD_30_59 = "30-59"
    DPD_60_89 = "60-89"
    DPD_90_119 = "90-119"
    DPD_120_PLUS = "120+"

    @classmethod
    def of(cls, dpd: int) -> DelinquencyStep:
        """The step of a loan ``dpd`` days past due."""
        steps = list(cls)
        return steps[min(max(dpd, 0) // 30, len(steps) - 1)]


#: The enums mirrored from Solidity enums: (contract that declares it, Solidity enum name).
SOLIDITY_ENUMS: dict[type[ChainEnum], tuple[str, str]] = {
    TitleStatus: ("CollateralRegistry", "TitleStatus"),
    LienStatus: ("CollateralRegistry", "LienStatus"),
    ReleaseReason: ("CollateralRegistry", "ReleaseReason"),
    LoanState: ("LoanLedger", "LoanState"),
    PledgeReleaseReason: ("LoanLedger", "PledgeReleaseReason"),
    PolicyStatus: ("InsuranceLedger", "PolicyStatus"),
    ClaimStatus: ("InsuranceLedger", "ClaimStatus"),
}

#: What the page's JavaScript is served (``/config.js``): every vocabulary it shows.
PAGE_ENUMS: dict[str, type[StrEnum]] = {
    "titleStatuses": TitleStatus,
    "brands": Brand,
    "lienStatuses": LienStatus,
    "loanStates": LoanState,
    "alertKinds": AlertKind,
    "severities": Severity,
    "buckets": Bucket,
    "tapeExceptions": TapeException,
    "delinquencySteps": DelinquencyStep,
}
