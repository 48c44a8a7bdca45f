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
from tests.contracts.chainkit import ZERO_ADDRESS, World, private_registry, ref, reverts, same

# anvil's dev accounts 8 and 9 are not in the cast: these tests admit and remove them.
NEWCOMER: LocalAccount = dev_account(9)
DEPUTY: LocalAccount = dev_account(8)


@pytest.fixture(scope="module")
def w() -> Iterator[World]:
    """A registry of its own: admitting and removing participants stays out of others' view."""
    with private_registry() as registry:
        yield World(registry)


@pytest.fixture
def newcomer(w: World) -> RegistryClient:
    return w.registry.client(NEWCOMER)


def _admit_raw(client: RegistryClient, account: str, role: bytes) -> None:
    client.transact(client.registry, "admitParticipant", account, role, "X", action="admitting")


def test_admitted_dealer_acts_until_removed(w: World, newcomer: RegistryClient) -> None:
    result = w.registrar.admit_participant(NEWCOMER.address, "dealer", "Harbour Cars Ltd")
    event = result.event("ParticipantAdmitted")
    assert same(event.args["account"], NEWCOMER.address)
    assert event.args["role"] == "0x" + Role.DEALER.id.hex()
    assert event.args["name"] == "Harbour Cars Ltd"
    assert w.reader.has_role("dealer", NEWCOMER.address)
    vin = w.title(newcomer)
    newcomer.record_sale(vin, w.cast.buyer.address, ref())
    removed = w.registrar.remove_participant(NEWCOMER.address, "dealer")
    assert same(removed.event("ParticipantRemoved").args["account"], NEWCOMER.address)
    assert not w.reader.has_role("dealer", NEWCOMER.address)
    stock = w.title(newcomer)
    with reverts("AccessControlUnauthorizedAccount", account=NEWCOMER.address):
        newcomer.record_sale(stock, w.cast.buyer.address, ref())


def test_a_removed_lender_keeps_its_liens_but_takes_no_new_ones(
    w: World, newcomer: RegistryClient
) -> None:
    w.registrar.admit_participant(NEWCOMER.address, "lender", "Fly-by-night Finance")
    vin = w.title()
    lien_id = w.lien(vin, newcomer)
    w.registrar.remove_participant(NEWCOMER.address, "lender")
    with reverts("AccessControlUnauthorizedAccount"):
        newcomer.register_lien(vin)
    with reverts("LoanUnauthorizedAccount"):
        w.loan(lien_id, newcomer)
    with reverts("RegistryNotLender"):
        w.lender.assign_lien(w.lien(w.title()), NEWCOMER.address)
    lien = w.reader.lien(lien_id)
    assert (lien.status, lien.priority) == ("ACTIVE", 1)
    assert w.reader.liens_of(vin) == [lien_id]
    newcomer.release_lien(lien_id)  # it may still let go of its own interest


def test_a_second_registrar(w: World) -> None:
    deputy = w.registry.client(DEPUTY)
    w.registrar.admit_participant(DEPUTY.address, "registrar", "County title office")
    deputy.issue_title(w.new_vin(), w.cast.owner.address)
    w.registrar.remove_participant(DEPUTY.address, "registrar")
    with reverts("AccessControlUnauthorizedAccount"):
        deputy.issue_title(w.new_vin(), w.cast.owner.address)


def test_a_participant_may_renounce_its_role(w: World, newcomer: RegistryClient) -> None:
    w.registrar.admit_participant(NEWCOMER.address, "insurer", "Tiny Mutual")
    newcomer.renounce_role("insurer")
    assert not w.reader.has_role("insurer", NEWCOMER.address)


@pytest.mark.parametrize(
    "who", ["lender", "lender2", "dealer", "insurer", "owner", "buyer", "outsider"]
)
def test_only_the_registrar_admits_and_removes(w: World, who: str) -> None:
    client = w.everyone[who]
    for role in ("lender", "registrar"):
        with reverts("AccessControlUnauthorizedAccount", account=client.address):
            client.admit_participant(client.address, role, "Me")
    with reverts("AccessControlUnauthorizedAccount"):
        client.remove_participant(w.cast.lender.address, "lender")
    assert w.reader.has_role("lender", w.cast.lender.address)


@pytest.mark.parametrize(
    "role", [Role.MODULE.id, b"\x00" * 32, bytes.fromhex("ab" * 32)], ids=["module", "admin", "x"]
)
def test_unknown_roles_are_refused(w: World, role: bytes) -> None:
    with reverts("RegistryUnknownRole", role="0x" + role.hex()):
        _admit_raw(w.registrar, NEWCOMER.address, role)


def test_the_zero_address_is_not_admitted(w: World) -> None:
    with reverts("RegistryInvalidAddress"):
        w.registrar.admit_participant(ZERO_ADDRESS, "lender", "Nobody")


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
