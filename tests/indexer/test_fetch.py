"""Reading logs: a node that limits eth_getLogs gets smaller ranges until it answers (its refusal
comes through the transport as a NodeError, a TransactionFailed)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from registry.errors import TransactionFailed
from registry.indexer.fetch import ChainReader
from registry.rpc import connect
from tests.kit.rpc import scripted_node


class Limiter:
    """Refuses eth_getLogs over more than ``limit`` blocks, like hosted nodes do."""

    def __init__(self, limit: int, message: str) -> None:
        self.limit = limit
        self.message = message
        self.ranges: list[tuple[int, int]] = []

    def __call__(self, method: str, params: list[Any]) -> dict[str, Any]:
        assert method == "eth_getLogs"
        start, end = int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)
        self.ranges.append((start, end))
        if end - start + 1 > self.limit:
            return {"error": {"code": -32005, "message": self.message}}
        return {"result": []}


@pytest.mark.parametrize(
    "message",
    ["query returned more than 10000 results", "block range is too large", "request timed out"],
)
def test_range_shrinks_until_the_node_answers(message: str) -> None:
    with scripted_node(Limiter(limit=300, message=message)) as (url, _):
        reader = ChainReader(connect(url), ["0x" + "11" * 20], max_range=5000)
        _cover(reader)


def _cover(reader: ChainReader) -> None:
    reader.range = 5000
    covered, start = [], 0
    while start <= 9999:
        stop, logs = reader.logs(start, 9999)
        assert logs == [] and stop - start + 1 <= 300
        covered.append((start, stop))
        start = stop + 1
    assert covered[0][0] == 0 and covered[-1][1] == 9999
    assert all(b[0] == a[1] + 1 for a, b in pairwise(covered))


def test_other_refusals_are_not_retried_smaller() -> None:
    limiter = Limiter(limit=0, message="invalid params")
    with scripted_node(limiter) as (url, _):
        reader = ChainReader(connect(url), ["0x" + "11" * 20])
        with pytest.raises(TransactionFailed, match="invalid params"):
            reader.logs(0, 10)
    assert len(limiter.ranges) == 1
