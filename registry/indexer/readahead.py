"""Reading ahead in a worker process during a backfill.

Fetching (JSON parsing) and decoding cost about as much CPU as writing, and a thread would
share the writer's GIL; a worker process reads and decodes the next range while the writer
applies the current one. The worker is started when a batch turns out big and used once it is ready;
until then (and in follow mode, where batches are small) the indexer reads inline.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from registry.events import DecodedEvent
from registry.indexer.apply import base_row, encode_args
from registry.indexer.fetch import ChainReader, Header, LogBatch

_reader: ChainReader | None = None
_contracts: dict[str, str] = {}
#: fork starts the worker in milliseconds (it only reads the chain: it never touches the
#: parent's database connections); spawn where fork does not exist.
_START_METHOD = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"

Compact = tuple[int, int, list[tuple[Any, ...]], dict[int, int], list[tuple[Any, ...]], int]


def _watch_parent(parent: int) -> None:
    """Exits the worker when the indexer dies (even by SIGKILL): no orphan readers."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _init(
    rpc_url: str,
    addresses: list[str],
    max_range: int,
    target_events: int,
    contracts: dict[str, str] | None = None,
) -> None:
    global _reader, _contracts
    from registry.transactor import connect

    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    _reader = ChainReader(
        connect(rpc_url, timeout=120), addresses, max_range=max_range, target_events=target_events
    )
    _contracts = contracts or {}


def _ready() -> bool:
    return _reader is not None


def _fetch(start: int, end: int, header_from: int | None, current_range: int) -> Compact:
    assert _reader is not None
    gc.disable()  # the worker only holds acyclic data: JSON, decoded events, tuples
    _reader.range = current_range
    batch = _reader.fetch(start, end, header_from=header_from)
    # the events-table rows are built here, off the writer (which only resolves the VIN of
    # events that do not name it); one object per distinct address and hash, so that pickle
    # sends the repeats as references
    same: dict[str, str] = {}
    one = same.setdefault
    times, contracts = batch.times, _contracts
    events = []
    for e in batch.events:
        e.address = one(e.address, e.address)
        e.block_hash = one(e.block_hash, e.block_hash)
        e.tx_hash = one(e.tx_hash, e.tx_hash)
        row = base_row(e, times[e.block_number], contracts.get(e.address, e.address),
                       encode_args(e.args))  # fmt: skip
        events.append((e.address, e.args, row))
    headers = [(h.number, h.hash, h.parent_hash, h.timestamp) for h in batch.headers.values()]
    return batch.start, batch.end, events, batch.times, headers, _reader.range


def expand(compact: Compact, reader: ChainReader) -> LogBatch:
    """The worker's answer as a :class:`LogBatch` (and its range choice for the next read)."""
    start, end, events, times, headers, next_range = compact
    reader.range = next_range
    return LogBatch(
        start=start,
        end=end,
        events=[
            DecodedEvent(r[6], address, r[0], r[1], r[3], r[4], args) for address, args, r in events
        ],
        times=times,
        headers={h[0]: Header(*h) for h in headers},
        rows=[e[2] for e in events],
    )


class ReadAhead:
    """One worker process that fetches and decodes ranges for :class:`ChainReader`."""

    def __init__(
        self, reader: ChainReader, rpc_url: str, contracts: dict[str, str] | None = None
    ) -> None:
        self.reader = reader
        self.pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context(_START_METHOD),
            initializer=_init,
            initargs=(rpc_url, reader.addresses, reader.max_range, reader.target_events, contracts),
        )
        self._warm: Future[bool] = self.pool.submit(_ready)
        self.submitted = 0

    @property
    def ready(self) -> bool:
        return self._warm.done() and self._warm.exception() is None

    def wait_ready(self, timeout: float = 60.0) -> None:
        self._warm.result(timeout)

    def submit(self, start: int, end: int, header_from: int | None) -> Future[Compact]:
        """Reads ``start..end`` (up to the reader's current range) in the worker. The first
        read is a quarter of that range: the writer, idle until it arrives, starts sooner,
        and the range grows back as the batches come in (:meth:`ChainReader.logs`)."""
        blocks = self.reader.range
        if not self.submitted:
            blocks = max(self.reader.min_range, blocks // 4)
        self.submitted += 1
        return self.pool.submit(_fetch, start, end, header_from, blocks)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
