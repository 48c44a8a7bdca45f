"""The batch entry points' fast encoding writes exactly the bytes eth_abi writes."""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.codec import codec

words = st.binary(min_size=32, max_size=32)
addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


def _same(contract: str, fn: str, args: tuple[Any, ...]) -> None:
    f = codec(contract).function(fn)
    assert f.encode(args) == "0x" + (f.selector + encode(f.inputs, args)).hex()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(words, addresses, st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1)),
                max_size=30))  # fmt: skip
def test_titles_batch(rows: list[tuple[bytes, str, int, int]]) -> None:
    _same("CollateralRegistry", "issueTitlesBatch", tuple(list(c) for c in zip(*rows, strict=True))
          if rows else ([], [], [], []))  # fmt: skip


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**256 - 1), st.integers(0, 2**256 - 1), words,
                          st.integers(0, 2**64 - 1)), min_size=1, max_size=30))  # fmt: skip
def test_payments_batch(rows: list[tuple[int, int, bytes, int]]) -> None:
    cols = tuple(list(c) for c in zip(*rows, strict=True))
    _same("LoanLedger", "recordPaymentsBatch", cols)


def test_liens_batch_and_a_value_out_of_range() -> None:
    _same("CollateralRegistry", "registerLiensBatch", ([b"\x01" * 32], [True]))
    f = codec("LoanLedger").function("recordPaymentsBatch")
    try:
        f.encode(([1], [1], [b"\x00" * 32], [2**64]))
    except ValueError:
        return
    raise AssertionError("a paidAt beyond uint64 was encoded")
