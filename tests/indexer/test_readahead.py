"""The read-ahead worker: consecutive ranges kept in flight, handed over in chain order."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from registry.indexer.apply import contract_names
from registry.indexer.fetch import ChainReader
from registry.indexer.readahead import ReadAhead, expand
from tests.kit.books import populate
from tests.kit.chain import Registry


def _key(batch: Any) -> list[tuple[str, int, int, dict[str, Any]]]:
    return [(e.name, e.block_number, e.log_index, e.args) for e in batch.events]


def test_two_ranges_stay_in_flight_and_arrive_in_order(fresh_registry: Registry) -> None:
    reg = fresh_registry
    populate(reg)
    reader = ChainReader(reg.rpc, reg.deployment.addresses, max_range=4)
    reader.range = 4
    inline = ChainReader(reg.rpc, reg.deployment.addresses, max_range=4)
    ahead = ReadAhead(reader, reader.endpoint, contract_names(reg.deployment))
    try:
        ahead.wait_ready()
        start, head = reg.deployment.block, reader.head()
        ahead.top_up(start, head, None)
        first = ahead.in_flight
        assert len(first) == 2
        assert first[0] == (start, start)  # a quarter of the range first, then a half
        assert first[1] == (start + 1, start + 2)
        seen = 0
        while start <= head:
            compact = ahead.take(start)
            assert compact is not None
            batch = expand(compact, reader)
            assert batch.start == start
            assert batch.head is not None and batch.head >= batch.end
            assert batch.headers[start].number == start  # the first block's header comes along
            # the same events as an inline read of the same range, rows built alike
            assert _key(batch) == _key(inline.fetch(start, batch.end))
            assert batch.rows is not None and len(batch.rows) == len(batch.events)
            seen += len(batch.events)
            start = batch.end + 1
            ahead.top_up(start, head, None)
            if start <= head:
                assert ahead.in_flight[0][0] == start
                ranges = ahead.in_flight
                assert all(b[0] == a[1] + 1 for a, b in pairwise(ranges))
        assert seen > 0
        assert ahead.take(start) is None  # nothing left in flight
    finally:
        ahead.close()


def test_a_jump_drops_the_reads_in_flight(fresh_registry: Registry) -> None:
    reg = fresh_registry
    populate(reg)
    reader = ChainReader(reg.rpc, reg.deployment.addresses, max_range=8)
    ahead = ReadAhead(reader, reader.endpoint, contract_names(reg.deployment))
    try:
        start, head = reg.deployment.block, reader.head()
        ahead.top_up(start, head, None)
        assert ahead.in_flight
        assert ahead.take(start + 1) is None  # not what is in flight (after a reorg, say)
        assert ahead.in_flight == []
        ahead.top_up(start + 1, head, None)  # reading resumes from where the writer is
        assert ahead.in_flight[0][0] == start + 1
        compact = ahead.take(start + 1)
        assert compact is not None and compact[0] == start + 1
    finally:
        ahead.close()
