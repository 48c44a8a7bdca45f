"""The fast log decoder and its JSON writer, checked against eth_abi/web3 on every ABI event."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from registry.contracts import CONTRACT_NAMES, abi
from registry.errors import InvalidInput
from registry.events import EventDecoder, shared_decoder

EVENTS = [
    (contract, entry)
    for contract in CONTRACT_NAMES
    for entry in abi(contract)
    if entry["type"] == "event"
]
#: Text a hostile or odd VIN/string could hold: quotes, backslashes, control characters.
AWKWARD = ['a"b', "back\\slash", "tab\tand\nnewline", "naïve ✓", ""]


def _value(rng: random.Random, name: str, type_: str) -> Any:
    if type_ == "address":
        return to_checksum_address(rng.randbytes(20))
    if type_.startswith("uint"):
        bits = int(type_[4:] or 256)
        return rng.choice([0, 1, 2**bits - 1, rng.getrandbits(bits)])
    if type_ == "bool":
        return rng.random() < 0.5
    if type_ == "bytes32" and name == "vin":
        return rng.choice(["1HGCM82633A004352", 'WVW"\\ZZZ1JZ3W38', "SHORT"]).encode()
    if type_ == "bytes32":
        return rng.randbytes(32)
    if type_ == "string":
        return rng.choice(AWKWARD)
    raise AssertionError(f"no generator for {type_}")


def _log(entry: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """An eth_getLogs entry for ``entry`` carrying ``values``."""
    signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
    topics = ["0x" + keccak(text=signature).hex()]
    data_types, data_values = [], []
    for field in entry["inputs"]:
        if field["indexed"]:
            topics.append("0x" + abi_encode([field["type"]], [values[field["name"]]]).hex())
        else:
            data_types.append(field["type"])
            data_values.append(values[field["name"]])
    return {
        "address": "0x" + "ab" * 20,
        "topics": topics,
        "data": "0x" + abi_encode(data_types, data_values).hex(),
        "blockNumber": "0x10",
        "blockHash": "0x" + "11" * 32,
        "transactionHash": "0x" + "22" * 32,
        "logIndex": "0x3",
        "removed": False,
    }


def _expected(field: dict[str, Any], value: Any) -> Any:
    """What the decoder gives for ``value``: lowercase addresses, hex bytes, VINs as text."""
    if field["type"] == "address":
        return value.lower()
    if field["type"] == "bytes32" and field["name"] == "vin":
        return value.rstrip(b"\0").decode()
    if field["type"] == "bytes32":
        return "0x" + value.hex()
    return value


@pytest.mark.parametrize(("contract", "entry"), EVENTS, ids=[f"{c}.{e['name']}" for c, e in EVENTS])
def test_every_event_decodes_as_eth_abi_encodes_it(contract: str, entry: dict[str, Any]) -> None:
    rng = random.Random(entry["name"])
    decoder = EventDecoder()
    web3_event = Web3().eth.contract(abi=abi(contract)).events[entry["name"]]()
    for _ in range(20):
        values = {f["name"]: _value(rng, f["name"], f["type"]) for f in entry["inputs"]}
        log = _log(entry, values)
        ev = decoder.decode(log)
        assert ev is not None
        assert (ev.name, ev.block_number, ev.log_index) == (entry["name"], 16, 3)
        assert ev.args == {f["name"]: _expected(f, values[f["name"]]) for f in entry["inputs"]}
        # web3's own decoding agrees on every value
        topics = [bytes.fromhex(t[2:]) for t in log["topics"]]
        reference = web3_event.process_log(
            {**log, "topics": topics, "blockNumber": 16, "logIndex": 3, "transactionIndex": 0}
        )
        for field in entry["inputs"]:
            assert _expected(field, reference["args"][field["name"]]) == ev.args[field["name"]]
        # the JSON written to the events table is exactly json.dumps of the args
        text = decoder.args_json(ev.name, ev.args)
        assert text == json.dumps(ev.args)
        assert json.loads(text) == ev.args


def test_a_log_that_does_not_fit_its_abi_is_refused_by_name() -> None:
    """A registry event with a topic missing or its data cut short (artifacts of other
    contracts than the deployed ones) is an error naming the log, never args made up."""
    decoder = shared_decoder()
    entry = next(e for c, e in EVENTS if e["name"] == "LienRegistered")
    rng = random.Random(1)
    log = _log(entry, {f["name"]: _value(rng, f["name"], f["type"]) for f in entry["inputs"]})
    assert decoder.decode(log) is not None
    for broken in ({**log, "topics": log["topics"][:-1]}, {**log, "data": log["data"][:-2]}):
        with pytest.raises(InvalidInput, match=r"0x2222.*:3 of 0xabab.* does not fit .*LienRegist"):
            decoder.decode(broken)


def test_args_json_needs_the_abi_s_fields() -> None:
    decoder = shared_decoder()
    odd = {"vin": "1HGCM82633A004352", "owner": 7}  # not TitleIssued's fields: no fallback
    with pytest.raises((KeyError, TypeError)):
        decoder.args_json("TitleIssued", odd)


def test_logs_of_other_contracts_are_skipped() -> None:
    decoder = shared_decoder()
    assert decoder.decode({"topics": [], "data": "0x"}) is None
    assert decoder.decode({"topics": ["0x" + "00" * 32], "data": "0x"}) is None
