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
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from registry.events import DecodedEvent
from registry.indexer.apply import base_row
from registry.indexer.fetch import ChainReader, Header, LogBatch
from registry.indexer.state import (
    BLOCK_HASH,
    BLOCK_NUMBER,
    EVENT,
    LOG_INDEX,
    TX_HASH,
    LoadKeys,
    load_keys,
)

_reader: ChainReader | None = None
_contracts: dict[str, str] = {}
#: fork starts the worker in milliseconds (it only reads the chain: it never touches the
#: parent's database connections); spawn where fork does not exist.
_START_METHOD = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"

Compact = tuple[
    int,
    int,
    list[tuple[Any, ...]],
    dict[int, int],
    list[tuple[Any, ...]],
    int,
    int | None,
    LoadKeys,
]


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
    from registry.rpc import connect

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
    times, contracts, encode = batch.times, _contracts, _reader.decoder.args_json
    events = []
    for e in batch.events:
        e.address = one(e.address, e.address)
        e.block_hash = one(e.block_hash, e.block_hash)
        e.tx_hash = one(e.tx_hash, e.tx_hash)
        row = base_row(e, times[e.block_number], contracts.get(e.address, e.address),
                       encode(e.name, e.args))  # fmt: skip
        events.append((e.address, e.args, row))
    headers = [(h.number, h.hash, h.parent_hash, h.timestamp) for h in batch.headers.values()]
    keys = load_keys(batch.events)  # the writer's scan for rows to load, done here
    return batch.start, batch.end, events, batch.times, headers, _reader.range, batch.head, keys


def expand(compact: Compact, reader: ChainReader) -> LogBatch:
    """The worker's answer as a :class:`LogBatch` (and its range choice for the next read)."""
    start, end, events, times, headers, next_range, head, keys = compact
    reader.range = next_range
    return LogBatch(
        start=start,
        end=end,
        events=[
            DecodedEvent(
                r[EVENT], address, r[BLOCK_NUMBER], r[BLOCK_HASH], r[TX_HASH], r[LOG_INDEX], args
            )
            for address, args, r in events
        ],
        times=times,
        headers={h[0]: Header(*h) for h in headers},
        rows=[e[2] for e in events],
        head=head,
        keys=keys,
    )


class ReadAhead:
    """One worker process that fetches and decodes ranges for :class:`ChainReader`, keeping
    ``depth`` consecutive ranges in flight: the worker reads on while the writer is slower
    than usual (a checkpoint, a big upsert), and the writer finds the next batch waiting."""

    def __init__(
        self,
        reader: ChainReader,
        rpc_url: str,
        contracts: dict[str, str] | None = None,
        *,
        depth: int = 2,
    ) -> None:
        self.reader = reader
        self.depth = depth
        self.pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context(_START_METHOD),
            initializer=_init,
            initargs=(rpc_url, reader.addresses, reader.max_range, reader.target_events, contracts),
        )
        self._warm: Future[bool] = self.pool.submit(_ready)
        self.submitted = 0
        self._inflight: deque[tuple[int, int, Future[Compact]]] = deque()  # (start, end, read)

    @property
    def ready(self) -> bool:
        return self._warm.done() and self._warm.exception() is None

    def wait_ready(self, timeout: float = 60.0) -> None:
        self._warm.result(timeout)

    @property
    def in_flight(self) -> list[tuple[int, int]]:
        """The block ranges being read, in order."""
        return [(start, end) for start, end, _ in self._inflight]

    def top_up(self, start: int, end: int, header_from: int | None) -> None:
        """Keeps ``depth`` consecutive reads in flight from ``start`` towards ``end``, each
        of the reader's current range. The first read is a quarter of that range and the second
        a half: the writer, idle until they arrive, starts sooner, and the range grows back as
        the batches come in (:meth:`ChainReader.logs`)."""
        if self._inflight and self._inflight[0][0] != start:
            self.discard()
        following = self._inflight[-1][1] + 1 if self._inflight else start
        while len(self._inflight) < self.depth and following <= end:
            blocks = self.reader.range  # a quarter, then a half at first
            blocks = max(self.reader.min_range, blocks >> max(0, 2 - self.submitted))
            stop = min(end, following + blocks - 1)
            read = self.pool.submit(_fetch, following, stop, header_from, blocks)
            self._inflight.append((following, stop, read))
            self.submitted += 1
            following = stop + 1

    def take(self, start: int) -> Compact | None:
        """The read that starts at ``start`` (None if there is none); its errors surface
        here, and drop the reads after it."""
        if not self._inflight:
            return None
        begin, stop, read = self._inflight.popleft()
        if begin != start:
            read.cancel()
            self.discard()
            return None
        try:
            compact = read.result()
        except BaseException:
            self.discard()
            raise
        if compact[1] != stop:  # the node answered a shorter range: the next reads are off
            self.discard()
        return compact

    def discard(self) -> None:
        """Forgets the reads in flight (a reorg, an error, a jump)."""
        while self._inflight:
            self._inflight.popleft()[2].cancel()

    def close(self) -> None:
        self.discard()
        self.pool.shutdown(wait=False, cancel_futures=True)
