"""Talking to the node: a node that went away is a clear ChainUnavailable, not a traceback."""

from __future__ import annotations

import pytest

from registry.accounts import dev_account
from registry.chain import free_port
from registry.client import RegistryClient
from registry.contracts import Deployment
from registry.errors import ChainUnavailable
from registry.rpc import connect
from registry.transactor import Transactor
from tests.kit.chain import Registry


def test_unreachable_node_is_chain_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    tx = Transactor(connect(url, timeout=2), dev_account(0))
    with pytest.raises(ChainUnavailable, match=f"cannot reach the chain node at {url}"):
        tx.block_number()


def test_a_write_to_a_stopped_node_fails_cleanly_and_changes_nothing(
    registry: Registry, new_vin: object
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    dead = RegistryClient(connect(url, timeout=2), registry.deployment, registry.cast.registrar)
    vin = new_vin()  # type: ignore[operator]
    with pytest.raises(ChainUnavailable):
        dead.issue_title(vin, registry.cast.owner.address, 10)
    assert not registry.registrar.title(vin).exists


def test_receipt_carries_decoded_events_and_gas(registry: Registry, new_vin: object) -> None:
    vin = new_vin()  # type: ignore[operator]
    result = registry.registrar.issue_title(vin, registry.cast.owner.address, 42)
    issued = result.event("TitleIssued")
    assert issued.args["vin"] == vin
    assert issued.args["owner"] == registry.cast.owner.address.lower()
    assert issued.args["odometer"] == 42
    assert result.gas_used > 21_000
    assert issued.tx_hash == result.tx_hash and issued.block_number == result.block_number


def test_read_only_client_cannot_sign(registry: Registry, new_vin: object) -> None:
    from registry.errors import ConfigurationError

    reader = RegistryClient(registry.rpc, registry.deployment, None)
    with pytest.raises(ConfigurationError, match="can only read"):
        reader.issue_title(new_vin(), registry.cast.owner.address)  # type: ignore[operator]


def test_deployment_addresses() -> None:
    d = Deployment(1, "0x" + "1" * 40, "0x" + "2" * 40, "0x" + "3" * 40)
    assert d.addresses == ["0x" + "1" * 40, "0x" + "2" * 40, "0x" + "3" * 40]
