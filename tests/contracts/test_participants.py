"""Participants: admitted and removed by the registrar only; no personal data in the ABI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from registry.accounts import dev_account
from registry.client import RegistryClient
from registry.contracts import CONTRACT_NAMES, abi
from registry.enums import Role
from tests.kit.chain import ZERO_ADDRESS, Registry, private_registry, ref
from tests.kit.expect import reverts, same
from tests.kit.vins import fresh_vin

# anvil's dev accounts 8 and 9 are not in the cast: these tests admit and remove them.
NEWCOMER: LocalAccount = dev_account(9)
DEPUTY: LocalAccount = dev_account(8)


@pytest.fixture(scope="module")
def registry() -> Iterator[Registry]:
    """A registry of its own (overriding the session's): admitting and removing participants
    stays out of other tests' view."""
    with private_registry() as reg:
        yield reg


@pytest.fixture
def newcomer(registry: Registry) -> RegistryClient:
    return registry.client(NEWCOMER)


def _admit_raw(client: RegistryClient, account: str, role: bytes) -> None:
    client.transact(client.registry, "admitParticipant", account, role, "X", action="admitting")


def test_admitted_dealer_acts_until_removed(registry: Registry, newcomer: RegistryClient) -> None:
    result = registry.registrar.admit_participant(NEWCOMER.address, "dealer", "Harbour Cars Ltd")
    event = result.event("ParticipantAdmitted")
    assert same(event.args["account"], NEWCOMER.address)
    assert event.args["role"] == "0x" + Role.DEALER.id.hex()
    assert event.args["name"] == "Harbour Cars Ltd"
    assert registry.reader.has_role("dealer", NEWCOMER.address)
    vin = registry.title(newcomer)
    newcomer.record_sale(vin, registry.cast.buyer.address, ref())
    removed = registry.registrar.remove_participant(NEWCOMER.address, "dealer")
    assert same(removed.event("ParticipantRemoved").args["account"], NEWCOMER.address)
    assert not registry.reader.has_role("dealer", NEWCOMER.address)
    stock = registry.title(newcomer)
    with reverts("AccessControlUnauthorizedAccount", account=NEWCOMER.address):
        newcomer.record_sale(stock, registry.cast.buyer.address, ref())


def test_a_removed_lender_keeps_its_liens_but_takes_no_new_ones(
    registry: Registry, newcomer: RegistryClient
) -> None:
    registry.registrar.admit_participant(NEWCOMER.address, "lender", "Fly-by-night Finance")
    vin = registry.title()
    lien_id = registry.lien(vin, newcomer)
    registry.registrar.remove_participant(NEWCOMER.address, "lender")
    with reverts("AccessControlUnauthorizedAccount"):
        newcomer.register_lien(vin)
    with reverts("LoanUnauthorizedAccount"):
        registry.loan(lien_id, newcomer)
    with reverts("RegistryNotLender"):
        registry.lender.assign_lien(registry.lien(registry.title()), NEWCOMER.address)
    lien = registry.reader.lien(lien_id)
    assert (lien.status, lien.priority) == ("ACTIVE", 1)
    assert registry.reader.liens_of(vin) == [lien_id]
    newcomer.release_lien(lien_id)  # it may still let go of its own interest


def test_a_second_registrar(registry: Registry) -> None:
    deputy = registry.client(DEPUTY)
    registry.registrar.admit_participant(DEPUTY.address, "registrar", "County title office")
    deputy.issue_title(fresh_vin(), registry.cast.owner.address)
    registry.registrar.remove_participant(DEPUTY.address, "registrar")
    with reverts("AccessControlUnauthorizedAccount"):
        deputy.issue_title(fresh_vin(), registry.cast.owner.address)


def test_a_participant_may_renounce_its_role(registry: Registry, newcomer: RegistryClient) -> None:
    registry.registrar.admit_participant(NEWCOMER.address, "insurer", "Tiny Mutual")
    newcomer.renounce_role("insurer")
    assert not registry.reader.has_role("insurer", NEWCOMER.address)


@pytest.mark.parametrize(
    "who", ["lender", "lender2", "dealer", "insurer", "owner", "buyer", "outsider"]
)
def test_only_the_registrar_admits_and_removes(registry: Registry, who: str) -> None:
    client = registry.everyone[who]
    for role in ("lender", "registrar"):
        with reverts("AccessControlUnauthorizedAccount", account=client.address):
            client.admit_participant(client.address, role, "Me")
    with reverts("AccessControlUnauthorizedAccount"):
        client.remove_participant(registry.cast.lender.address, "lender")
    assert registry.reader.has_role("lender", registry.cast.lender.address)


@pytest.mark.parametrize(
    "role", [Role.MODULE.id, b"\x00" * 32, bytes.fromhex("ab" * 32)], ids=["module", "admin", "x"]
)
def test_unknown_roles_are_refused(registry: Registry, role: bytes) -> None:
    with reverts("RegistryUnknownRole", role="0x" + role.hex()):
        _admit_raw(registry.registrar, NEWCOMER.address, role)


def test_the_zero_address_is_not_admitted(registry: Registry) -> None:
    with reverts("RegistryInvalidAddress"):
        registry.registrar.admit_participant(ZERO_ADDRESS, "lender", "Nobody")


# ------------------------------------------------------------------- privacy

_FIXED = re.compile(r"^(address|bytes\d+|bool|u?int\d+)(\[\])?$")
# Public by design: a participant's business name, a consent's signature, and the EIP-712
# domain name in OpenZeppelin's StringTooLong error.
_ALLOWED_FREE = {"name", "signature", "str"}


def _free_fields(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    for field in entry["inputs"]:
        parts = field["components"] if field["type"].startswith("tuple") else [field]
        for part in parts:
            if _FIXED.match(part["type"]):
                continue
            allowed = part["name"] in _ALLOWED_FREE and entry["name"] in (
                "admitParticipant",
                "ParticipantAdmitted",
                "transferTitleWithConsent",
                "recordSale",
                "assignLienWithConsent",
                "onLienAssigned",
                "StringTooLong",
            )
            if not allowed:
                found.append((entry["name"], part["name"], part["type"]))
    return found


@pytest.mark.parametrize("contract", CONTRACT_NAMES)
def test_no_free_text_goes_on_chain(contract: str) -> None:
    """Parties are addresses; documents and terms are bytes32 commitments: no field could
    carry a name, an address line or a loan term in clear (except a participant's name)."""
    free = [
        found
        for entry in abi(contract)
        if entry["type"] in ("event", "function", "error")
        for found in _free_fields(entry)
    ]
    assert free == []
