"""Reverts decoded into domain errors: every custom error has a human message."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from registry.contracts import CONTRACT_NAMES, abi
from registry.errors import (
    ContractRejection,
    NotFound,
    RejectedConflict,
    RejectedUnauthorized,
    TransactionFailed,
)
from registry.reverts import _MESSAGES, decode_revert, known_error_names

_SAMPLES: dict[str, Any] = {
    "address": "0x" + "ab" * 20,
    "bytes32": b"1HGCM82633A004352".ljust(32, b"\x00"),
    "bool": True,
    "string": "a very long EIP-712 name",
}


def _sample(kind: str) -> Any:
    if kind in _SAMPLES:
        return _SAMPLES[kind]
    assert kind.startswith("uint"), kind
    return 1  # a valid index into every status table


def _errors() -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for contract in CONTRACT_NAMES:
        for entry in abi(contract):
            if entry["type"] == "error":
                seen[entry["name"]] = entry
    return [seen[name] for name in sorted(seen)]


def _revert_data(entry: dict[str, Any]) -> bytes:
    types = [i["type"] for i in entry["inputs"]]
    selector = keccak(text=f"{entry['name']}({','.join(types)})")[:4]
    return selector + abi_encode(types, [_sample(t) for t in types])


def test_every_custom_error_has_a_message() -> None:
    names = known_error_names()
    assert names == {e["name"] for e in _errors()}
    missing = sorted(names - set(_MESSAGES))
    assert missing == [], f"add human messages in registry/reverts.py for {missing}"


@pytest.mark.parametrize("entry", _errors(), ids=lambda e: e["name"])
def test_each_custom_error_decodes_to_a_domain_error(entry: dict[str, Any]) -> None:
    error = decode_revert(_revert_data(entry), action="testing")
    assert isinstance(error, ContractRejection)
    assert error.error_name == entry["name"]
    assert set(error.arguments) == {i["name"] for i in entry["inputs"]}
    assert error.message and entry["name"] not in error.message


def test_decoded_arguments_are_readable() -> None:
    entry = next(e for e in _errors() if e["name"] == "RegistryNotLienholder")
    error = decode_revert("0x" + _revert_data(entry).hex())
    assert isinstance(error, RejectedUnauthorized)
    assert isinstance(error, PermissionError)
    assert error.status == 403
    assert error.arguments["holder"] == to_checksum_address("0x" + "ab" * 20)
    assert "lien 1 is held by" in error.message
    vin_error = decode_revert(
        _revert_data(next(e for e in _errors() if e["name"] == "RegistryTitleExists"))
    )
    assert isinstance(vin_error, RejectedConflict)
    assert "1HGCM82633A004352" in vin_error.message


def test_error_string() -> None:
    data = bytes.fromhex("08c379a0") + abi_encode(["string"], ["not today"])
    error = decode_revert(data, action="selling the car")
    assert isinstance(error, TransactionFailed)
    assert error.message == "the chain refused selling the car: not today"
    assert error.details["reason"] == "not today"


def test_panic() -> None:
    data = bytes.fromhex("4e487b71") + abi_encode(["uint256"], [0x11])
    error = decode_revert("0x" + data.hex(), action="counting")
    assert isinstance(error, TransactionFailed)
    assert "panic 0x11" in error.message
    assert error.details["panic"] == 0x11


def test_unknown_selector() -> None:
    error = decode_revert("deadbeef" + "00" * 32)
    assert isinstance(error, TransactionFailed)
    assert not isinstance(error, ContractRejection)
    assert "unknown error 0xdeadbeef" in error.message


@pytest.mark.parametrize("data", [None, b"", "0x", "0x1234"])
def test_no_reason(data: bytes | str | None) -> None:
    error = decode_revert(data, action="trying")
    assert isinstance(error, TransactionFailed)
    assert "without giving a reason" in error.message


def test_not_found_is_also_a_lookup_error() -> None:
    entry = next(e for e in _errors() if e["name"] == "LoanNotFound")
    error = decode_revert(_revert_data(entry))
    assert isinstance(error, NotFound)
    assert isinstance(error, LookupError)
    assert error.message == "loan 1 does not exist"
