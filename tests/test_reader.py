"""Values the contracts define are read from them: role ids and the EIP-712 domain, each read
once and shared by a client's clones; the Python role constants equal the contracts' ids."""

from __future__ import annotations

import time
from typing import Any

import pytest
from eth_utils import keccak

from registry.chain import free_port
from registry.client import CONSENT_TYPE, RegistryClient
from registry.enums import Role
from registry.errors import ChainUnavailable, RejectedConflict
from registry.reader import RegistryReader
from registry.rpc import connect
from tests.kit.chain import CAST, Registry


def _dead_rpc() -> Any:
    return connect(f"http://127.0.0.1:{free_port()}", retries=0)


def test_python_role_ids_equal_the_contracts(registry: Registry) -> None:
    reader = RegistryReader(registry.rpc, registry.deployment)
    for role in Role:
        assert reader.role_id(role) == role.id, role
    for contract, role in ((reader.loans, Role.LENDER), (reader.insurance, Role.INSURER)):
        assert bytes(reader.read(contract, role.solidity_name)) == role.id
    # read once: a clone sharing the facts answers without a node
    offline = RegistryReader(_dead_rpc(), registry.deployment, facts=reader.facts)
    assert offline.role_id(Role.DEALER) == Role.DEALER.id
    with pytest.raises(ChainUnavailable):
        RegistryReader(_dead_rpc(), registry.deployment).role_id(Role.DEALER)


def test_the_eip712_domain_is_the_contracts(registry: Registry) -> None:
    client = registry.client(CAST.lender)
    assert client.eip712_domain() == {
        "name": "CollateralRegistry",
        "version": "1",
        "chainId": 31337,
        "verifyingContract": registry.deployment.registry,
    }
    offline = RegistryClient(_dead_rpc(), registry.deployment, CAST.owner, facts=client.facts)
    assert offline.eip712_domain() == client.eip712_domain()
    assert client.as_(CAST.owner).facts is client.facts


def test_the_consent_type_is_the_contracts(registry: Registry) -> None:
    fields = ",".join(f"{f['type']} {f['name']}" for f in CONSENT_TYPE)
    reader = RegistryReader(registry.rpc, registry.deployment)
    on_chain = bytes(reader.read(reader.registry, "TRANSFER_CONSENT_TYPEHASH"))
    assert on_chain == keccak(text=f"TransferConsent({fields})")


def test_consents_are_signed_for_the_domain_read(registry: Registry, new_vin: Any) -> None:
    vin = new_vin()
    registry.registrar.issue_title(vin, CAST.owner.address, 1)
    lender = registry.client(CAST.lender)
    lien_id = lender.register_lien(vin).id
    deadline = int(time.time()) + 3600
    # a domain other than the contract's (as a hard-coded copy could drift) is refused...
    stale = registry.client(CAST.lender)
    stale.facts.eip712_domain = {**lender.eip712_domain(), "version": "2"}
    bad = stale.sign_transfer_consent(
        vin, lien_id, CAST.owner.address, CAST.buyer.address, release=True, deadline=deadline
    )
    owner = registry.client(CAST.owner)
    with pytest.raises(RejectedConflict, match="not a valid signature"):
        owner.transfer_title_with_consent(vin, CAST.buyer.address, [bad])
    # ... the one read from the contract signs a consent it accepts
    good = lender.sign_transfer_consent(
        vin, lien_id, CAST.owner.address, CAST.buyer.address, release=True, deadline=deadline
    )
    owner.transfer_title_with_consent(vin, CAST.buyer.address, [good])
    assert registry.registrar.title(vin).owner == CAST.buyer.address
