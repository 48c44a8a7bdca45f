"""Access control, driven from the ABIs: every state-changing function of the three contracts,
called by every participant that may not call it, is refused with the right error; called by
one that may, it goes through. A new function without a row in ``ACCESS`` fails the suite.

Every call is an ``eth_call`` simulated as the participant, so nothing changes on chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from registry.client import RegistryClient
from registry.codec import Contract
from registry.contracts import CONTRACT_NAMES, abi
from registry.enums import Role
from registry.vin import vin_to_bytes32
from tests.kit.chain import Registry, ref
from tests.kit.expect import reverts
from tests.kit.vins import fresh_vin

PARTICIPANTS = ("registrar", "lender", "lender2", "dealer", "insurer", "owner", "buyer", "outsider",
                "funder", "funder2")  # fmt: skip
LENDERS = frozenset({"lender", "lender2"})
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Scene:
    """Records the calls are aimed at, all in a state where the allowed caller would succeed."""

    registry: Registry
    free_vin: bytes  # owned by the cast's owner, no lien
    dealer_vin: bytes  # owned by the dealer, no lien
    lien: int  # the lender's, on free_vin's sibling, securing no loan
    originated: int  # loan ids, the lender's, in these states
    active: int
    defaulted: int
    policy: int  # the insurer's, active
    claim: int  # open
    pledged: int  # the lender's active loan, pledged to the funder

    def address(self, role: str) -> str:
        return self.registry.everyone[role].address


@dataclass(frozen=True)
class Access:
    """Who may call ``contract.fn``, and how everyone else is refused."""

    contract: str
    fn: str
    args: Callable[[Scene], list[Any]]
    allowed: frozenset[str]
    refusal: str
    needed_role: str | None = None  # the role the refusal names, for role-based refusals
    overrides: dict[str, str] = field(default_factory=dict)  # role -> its own refusal

    @property
    def name(self) -> str:
        return f"{self.contract}.{self.fn}"

    def refusal_for(self, role: str) -> str:
        return self.overrides.get(role, self.refusal)


def _registrar_only(fn: str, args: Callable[[Scene], list[Any]]) -> Access:
    return Access(
        "CollateralRegistry",
        fn,
        args,
        frozenset({"registrar"}),
        "AccessControlUnauthorizedAccount",
        "REGISTRAR",
    )


def _module_only(fn: str, args: Callable[[Scene], list[Any]]) -> Access:
    return Access(
        "CollateralRegistry", fn, args, NOBODY, "AccessControlUnauthorizedAccount", "MODULE"
    )


def _servicer(fn: str, args: Callable[[Scene], list[Any]]) -> Access:
    return Access("LoanLedger", fn, args, frozenset({"lender"}), "LoanNotLender")


def _policy_insurer(fn: str, args: Callable[[Scene], list[Any]]) -> Access:
    return Access("InsuranceLedger", fn, args, frozenset({"insurer"}), "InsuranceNotInsurer")


def _originator(fn: str, args: Callable[[Scene], list[Any]]) -> Access:
    return Access(
        "LoanLedger",
        fn,
        args,
        frozenset({"lender"}),
        "LoanUnauthorizedAccount",
        "LENDER",
        {"lender2": "LoanNotLienholder"},
    )


def _pledgor(fn: str, args: Callable[[Scene], list[Any]]) -> Access:
    return Access(
        "LoanLedger",
        fn,
        args,
        frozenset({"lender"}),
        "LoanUnauthorizedAccount",
        "LENDER",
        {"lender2": "LoanNotLender"},
    )


def _pledge_funder(fn: str, args: Callable[[Scene], list[Any]]) -> Access:
    return Access("LoanLedger", fn, args, frozenset({"funder"}), "PledgeNotFunder")


def _new_vin(s: Scene) -> bytes:
    return vin_to_bytes32(fresh_vin())


ACCESS: list[Access] = [
    # ------------------------------------------------------ CollateralRegistry
    _registrar_only(
        "admitParticipant", lambda s: [s.address("outsider"), Role.LENDER.id, "Rogue Bank"]
    ),
    _registrar_only("removeParticipant", lambda s: [s.address("lender"), Role.LENDER.id]),
    _registrar_only("setLoanLedger", lambda s: [s.address("outsider")]),
    _registrar_only("grantRole", lambda s: [Role.LENDER.id, s.address("outsider")]),
    _registrar_only("revokeRole", lambda s: [Role.LENDER.id, s.address("lender")]),
    Access(
        "CollateralRegistry",
        "renounceRole",
        lambda s: [Role.REGISTRAR.id, s.address("registrar")],
        frozenset({"registrar"}),
        "AccessControlBadConfirmation",
    ),
    _registrar_only("issueTitle", lambda s: [_new_vin(s), s.address("owner"), 0]),
    _registrar_only("issueTitlesBatch", lambda s: [[_new_vin(s)], [s.address("owner")], [0], [0]]),
    _registrar_only("applyBrand", lambda s: [s.free_vin, 2]),
    _registrar_only("correctOdometer", lambda s: [s.free_vin, 1]),
    Access(
        "CollateralRegistry",
        "recordOdometer",
        lambda s: [s.free_vin, 10**9],
        frozenset({"registrar", "dealer", "insurer", "owner"}),
        "RegistryNotOdometerRecorder",
    ),
    Access(
        "CollateralRegistry",
        "transferTitle",
        lambda s: [s.free_vin, s.address("buyer")],
        frozenset({"owner"}),
        "RegistryNotTitleOwner",
    ),
    Access(
        "CollateralRegistry",
        "transferTitleWithConsent",
        lambda s: [s.free_vin, s.address("buyer"), []],
        frozenset({"owner"}),
        "RegistryNotTitleOwner",
    ),
    Access(
        "CollateralRegistry",
        "recordSale",
        lambda s: [s.dealer_vin, s.address("buyer"), ref(), []],
        frozenset({"dealer"}),
        "AccessControlUnauthorizedAccount",
        "DEALER",
    ),
    Access(
        "CollateralRegistry",
        "registerLien",
        lambda s: [s.free_vin, False],
        LENDERS,
        "AccessControlUnauthorizedAccount",
        "LENDER",
    ),
    Access(
        "CollateralRegistry",
        "registerLiensBatch",
        lambda s: [[s.free_vin], [True]],
        LENDERS,
        "AccessControlUnauthorizedAccount",
        "LENDER",
    ),
    Access(
        "CollateralRegistry",
        "releaseLien",
        lambda s: [s.lien],
        frozenset({"lender"}),
        "RegistryNotLienholder",
    ),
    Access(
        "CollateralRegistry",
        "assignLien",
        lambda s: [s.lien, s.address("lender2")],
        frozenset({"lender"}),
        "RegistryNotLienholder",
    ),
    Access(
        "CollateralRegistry",
        "assignLienWithConsent",
        lambda s: [s.lien, s.address("lender2"), (0, b"")],
        frozenset({"lender"}),
        "RegistryNotLienholder",
    ),
    _module_only("moduleReleaseLien", lambda s: [s.lien, s.address("lender")]),
    _module_only("moduleRepossess", lambda s: [s.lien, s.address("lender")]),
    _module_only("moduleRecordTotalLoss", lambda s: [s.free_vin, s.address("insurer"), True]),
    # -------------------------------------------------------------- LoanLedger
    _originator("originateLoan", lambda s: [s.lien, ref(), ref(), ref()]),
    _originator("originateLoansBatch", lambda s: [[s.lien], [ref()], [ref()], [ref()], [0]]),
    _servicer("recordDisbursement", lambda s: [s.originated, 100]),
    _servicer("recordDisbursementsBatch", lambda s: [[s.originated], [100], [0]]),
    _servicer("recordPayment", lambda s: [s.active, 100, ref()]),
    _servicer("recordPaymentsBatch", lambda s: [[s.active], [100], [ref()], [0]]),
    _servicer("recordDelinquency", lambda s: [s.active, 30]),
    _servicer("declareDefault", lambda s: [s.active]),
    _servicer("restructureLoan", lambda s: [s.active, ref(), ref()]),
    _servicer("payOff", lambda s: [s.active]),
    _servicer("repossess", lambda s: [s.defaulted]),
    _servicer("chargeOff", lambda s: [s.defaulted, 100]),
    Access(
        "LoanLedger",
        "onLienAssigned",
        lambda s: [s.lien, s.address("lender2"), (0, b"")],
        NOBODY,
        "LoanUnauthorizedHook",
    ),
    _pledgor("pledgeLoan", lambda s: [s.active, s.address("funder")]),
    _pledgor("pledgeLoansBatch", lambda s: [[s.active], s.address("funder")]),
    _pledge_funder("releasePledge", lambda s: [s.pledged, 1]),
    _pledge_funder("releasePledgesBatch", lambda s: [[s.pledged], 0]),
    _pledge_funder("transferPledge", lambda s: [s.pledged, s.address("funder2")]),
    _pledge_funder("transferPledgesBatch", lambda s: [[s.pledged], s.address("funder2")]),
    # --------------------------------------------------------- InsuranceLedger
    Access(
        "InsuranceLedger",
        "recordPolicy",
        lambda s: [s.free_vin, s.address("lender"), ref(), 2**40],
        frozenset({"insurer"}),
        "InsuranceUnauthorizedAccount",
        "INSURER",
    ),
    _policy_insurer("changeLossPayee", lambda s: [s.policy, s.address("lender2")]),
    _policy_insurer("cancelPolicy", lambda s: [s.policy]),
    _policy_insurer("fileClaim", lambda s: [s.policy, ref(), 100]),
    _policy_insurer("settleClaim", lambda s: [s.claim, 100]),
    _policy_insurer("denyClaim", lambda s: [s.claim]),
    _policy_insurer("declareTotalLoss", lambda s: [s.claim, True]),
]

_BY_NAME = {a.name: a for a in ACCESS}


@pytest.fixture(scope="module")
def scene(registry: Registry) -> Scene:
    lien_vin = registry.title()
    registry.lien(lien_vin)  # a senior lien, so the lien under test ranks second
    defaulted = registry.active_loan()[2]
    registry.lender.declare_default(defaulted)
    policy = registry.insurer.record_policy(
        lien_vin, registry.cast.lender.address, ref(), registry.now() + 10**7
    ).id
    return Scene(
        registry=registry,
        free_vin=vin_to_bytes32(registry.title()),
        dealer_vin=vin_to_bytes32(registry.title(registry.dealer)),
        lien=registry.lien(lien_vin),
        originated=registry.loan(registry.lien(registry.title())),
        active=registry.active_loan()[2],
        defaulted=defaulted,
        policy=policy,
        claim=registry.insurer.file_claim(policy, ref(), 1_000).id,
        pledged=registry.pledged_loan()[2],
    )


def _contract(client: RegistryClient, name: str) -> Contract:
    return {
        "CollateralRegistry": client.registry,
        "LoanLedger": client.loans,
        "InsuranceLedger": client.insurance,
    }[name]


def _simulate(scene: Scene, access: Access, role: str) -> None:
    """``eth_call`` of the function as ``role``; a refusal raises the decoded domain error."""
    client = scene.registry.everyone[role]
    contract = _contract(client, access.contract)
    data = contract.encode(access.fn, *access.args(scene))
    client.tx.call(contract.address, data, action=f"{access.name} as {role}")


def _state_changing() -> set[str]:
    return {
        f"{contract}.{entry['name']}"
        for contract in CONTRACT_NAMES
        for entry in abi(contract)
        if entry["type"] == "function" and entry["stateMutability"] not in ("view", "pure")
    }


def test_every_state_changing_function_has_an_access_row() -> None:
    missing = sorted(_state_changing() - set(_BY_NAME))
    stale = sorted(set(_BY_NAME) - _state_changing())
    assert missing == [], f"add access rows for {missing}"
    assert stale == [], f"access rows for functions no longer in the ABI: {stale}"
    assert len(_BY_NAME) == len(ACCESS), "one row per function"


REFUSED = [(a.name, role) for a in ACCESS for role in PARTICIPANTS if role not in a.allowed]
ALLOWED = [(a.name, role) for a in ACCESS for role in sorted(a.allowed)]


@pytest.mark.parametrize(("fn", "role"), REFUSED, ids=[f"{f}-{r}" for f, r in REFUSED])
def test_refused(scene: Scene, fn: str, role: str) -> None:
    access = _BY_NAME[fn]
    expected = access.refusal_for(role)
    with reverts(expected) as info:
        _simulate(scene, access, role)
    arguments = info.value.arguments
    caller = scene.address(role)
    if "account" in arguments and expected != "RegistryNotLender":
        assert arguments["account"] == caller
    if "caller" in arguments:
        assert arguments["caller"] == caller
    if access.needed_role and "neededRole" in arguments and role not in access.overrides:
        assert arguments["neededRole"] == "0x" + Role(access.needed_role).id.hex()


@pytest.mark.parametrize(("fn", "role"), ALLOWED, ids=[f"{f}-{r}" for f, r in ALLOWED])
def test_allowed(scene: Scene, fn: str, role: str) -> None:
    """The row's arguments are right: the participants it allows do get through."""
    _simulate(scene, _BY_NAME[fn], role)


def test_module_entry_points_refuse_the_registrar_too(scene: Scene) -> None:
    for fn in ("moduleReleaseLien", "moduleRepossess", "moduleRecordTotalLoss"):
        assert _BY_NAME[f"CollateralRegistry.{fn}"].allowed == NOBODY
    assert _BY_NAME["LoanLedger.onLienAssigned"].allowed == NOBODY
