"""Contract calls without web3: calldata and return values encoded with eth_abi from the ABI.

:func:`codec` builds, once per contract, each function's selector and argument and return
types from the committed artifact; :class:`Contract` binds one to a deployed address.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak

from registry.contracts import abi
from registry.errors import ConfigurationError


def abi_type(param: dict[str, Any]) -> str:
    """The canonical type of an ABI parameter (structs as tuples: ``(uint256,bytes)[]``)."""
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


@dataclass(frozen=True, slots=True)
class Function:
    """One contract function: its selector and the types it takes and returns."""

    name: str
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def encode(self, args: tuple[Any, ...]) -> str:
        """Calldata (``0x`` hex) for a call with ``args``."""
        if self.inputs and all(_ARRAY_WORD.get(t.removesuffix("[]")) and t.endswith("[]")
                               for t in self.inputs):  # fmt: skip
            return "0x" + self.selector.hex() + _static_arrays(self.inputs, args)
        return "0x" + (self.selector + abi_encode(self.inputs, args)).hex()

    def decode(self, data: str | bytes) -> Any:
        """The return value: the single value, or a tuple when the function returns several."""
        raw = (
            bytes.fromhex(data[2:] if data[:2] == "0x" else data) if isinstance(data, str) else data
        )
        values = abi_decode(self.outputs, raw)
        return values[0] if len(values) == 1 else values


def _word_int(value: Any) -> str:
    return format(int(value), "064x")


def _word_bytes32(value: Any) -> str:
    raw = bytes(value)
    if len(raw) != 32:
        raise ValueError(f"a bytes32 value must be 32 bytes, got {len(raw)}")
    return raw.hex()


def _word_address(value: Any) -> str:
    text = value[2:] if isinstance(value, str) and value[:2] in ("0x", "0X") else value
    if not isinstance(text, str) or len(text) != 40:
        raise ValueError(f"{value!r} is not an address")
    int(text, 16)
    return "0" * 24 + text.lower()


def _word_bool(value: Any) -> str:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not a bool")
    return format(int(value), "064x")


#: The one-word element types a batch function takes arrays of, and how each becomes a word.
_ARRAY_WORD = {
    "bytes32": _word_bytes32,
    "address": _word_address,
    "bool": _word_bool,
    **{f"uint{n}": _word_int for n in range(8, 257, 8)},
}


def _static_arrays(types: tuple[str, ...], args: tuple[Any, ...]) -> str:
    """ABI encoding of arguments that are all arrays of one-word elements (the batch entry
    points), as hex: the same bytes eth_abi writes, without its per-element dispatch (a batch
    of a thousand rows costs milliseconds instead of a large part of a second)."""
    if len(args) != len(types):
        raise ValueError(f"expected {len(types)} arguments, got {len(args)}")
    heads, tails, offset = [], [], 32 * len(types)
    for kind, values in zip(types, args, strict=True):
        base = kind.removesuffix("[]")
        word = _ARRAY_WORD[base]
        if base.startswith("uint"):
            bits = int(base[4:])
            if any(int(v) < 0 or int(v) >> bits for v in values):
                raise ValueError(f"a value does not fit {base}")
        heads.append(format(offset, "064x"))
        tails.append(format(len(values), "064x") + "".join(word(v) for v in values))
        offset += 32 * (1 + len(values))
    return "".join(heads) + "".join(tails)


class ContractCodec:
    """Every function of one contract, by name (the registry's contracts overload none)."""

    def __init__(self, name: str, entries: list[dict[str, Any]]) -> None:
        self.name = name
        self.functions: dict[str, Function] = {}
        for entry in entries:
            if entry["type"] != "function":
                continue
            inputs = tuple(abi_type(p) for p in entry["inputs"])
            signature = f"{entry['name']}({','.join(inputs)})"
            self.functions[entry["name"]] = Function(
                entry["name"],
                keccak(text=signature)[:4],
                inputs,
                tuple(abi_type(p) for p in entry["outputs"]),
            )

    def function(self, fn: str) -> Function:
        try:
            return self.functions[fn]
        except KeyError:
            raise ConfigurationError(f"{self.name} has no function {fn!r}") from None


@cache
def codec(name: str) -> ContractCodec:
    """The codec of contract ``name`` (built once per process)."""
    return ContractCodec(name, abi(name))


@dataclass(frozen=True)
class Contract:
    """A deployed contract: its name (for the ABI) and its address."""

    name: str
    address: str

    @property
    def codec(self) -> ContractCodec:
        return codec(self.name)

    def encode(self, fn: str, *args: Any) -> str:
        """Calldata for ``fn(*args)``, arguments as eth_abi takes them (bytes, ints, tuples)."""
        return self.codec.function(fn).encode(args)

    def decode(self, fn: str, data: str | bytes) -> Any:
        """What ``fn`` returned, from the raw ``eth_call`` result."""
        return self.codec.function(fn).decode(data)
