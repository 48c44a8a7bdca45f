"""Reading the chain for the indexer: raw ``eth_getLogs`` in block ranges, block headers in
JSON-RPC batches. Nothing here touches the database.

A range the node refuses (too many results, too large, timeout) is halved until it passes;
the range that worked is remembered as the next attempt's size, growing back slowly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from registry.errors import TransactionFailed
from registry.events import DecodedEvent, EventDecoder
from registry.rpc import Call, Transport

if TYPE_CHECKING:
    from registry.indexer.state import LoadKeys

#: Substrings of node errors that mean "ask for less" (geth, erigon, alchemy, infura, anvil).
_TOO_LARGE = (
    "too many",
    "limit",
    "range",
    "exceed",
    "timeout",
    "timed out",
    "too large",
    "response size",
    "max results",
    "more than",
)


@dataclass(frozen=True, slots=True)
class Header:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


@dataclass
class LogBatch:
    """The registry events of blocks ``start..end`` and the headers fetched with them."""

    start: int
    end: int
    events: list[DecodedEvent]
    times: dict[int, int]  # block number -> timestamp, for every block with an event
    headers: dict[int, Header] = field(default_factory=dict)
    rows: list[tuple[Any, ...]] | None = None  # the events' base rows, when already built
    head: int | None = None  # the node's head when the batch was read
    keys: LoadKeys | None = None  # the rows it may touch (state.load_keys), if worked out


class ReorgDuringFetch(Exception):
    """Logs and headers disagree: the chain changed while the batch was read (retry)."""


class ChainReader:
    """Raw JSON-RPC reads of logs and headers for a set of contract addresses."""

    def __init__(
        self,
        rpc: Transport,
        addresses: list[str],
        decoder: EventDecoder | None = None,
        *,
        max_range: int = 5000,
        min_range: int = 1,
        target_events: int = 10_000,
    ) -> None:
        self.rpc = rpc
        self.addresses = [a.lower() for a in addresses]
        self.decoder = decoder or EventDecoder()
        self.max_range = max_range
        self.min_range = min_range
        self.target_events = target_events
        self.range = min(max_range, 8)  # current range per eth_getLogs (adapts)

    @property
    def endpoint(self) -> str:
        return self.rpc.url

    # ------------------------------------------------------------------ raw RPC

    def request(self, method: str, params: list[Any]) -> Any:
        """One JSON-RPC call (:meth:`registry.rpc.Transport.request`: node unreachable →
        ``ChainUnavailable``, a refusal → ``NodeError``, a ``TransactionFailed``)."""
        return self.rpc.request(method, params)

    def batch(self, calls: Sequence[Call]) -> list[Any]:
        """Many calls in JSON-RPC batches; results in call order."""
        return self.rpc.batch(calls)

    # ------------------------------------------------------------------ reads

    def head(self) -> int:
        return int(self.request("eth_blockNumber", []), 16)

    def chain_id(self) -> int:
        return int(self.request("eth_chainId", []), 16)

    def headers(self, numbers: list[int]) -> dict[int, Header | None]:
        """Headers of ``numbers`` (None for a block the node does not have)."""
        return self.headers_and_head(numbers)[0]

    def headers_and_head(self, numbers: list[int]) -> tuple[dict[int, Header | None], int]:
        """Headers of ``numbers`` and the head block number, in one JSON-RPC batch."""
        raw = self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers]
                         + [("eth_blockNumber", [])])  # fmt: skip
        head = int(raw.pop(), 16)
        out: dict[int, Header | None] = {}
        for n, block in zip(numbers, raw, strict=True):
            out[n] = (
                None
                if block is None
                else Header(
                    number=int(block["number"], 16),
                    hash=block["hash"],
                    parent_hash=block["parentHash"],
                    timestamp=int(block["timestamp"], 16),
                )
            )
        return out, head

    def raw_logs(self, start: int, end: int) -> list[dict[str, Any]]:
        """``eth_getLogs`` for ``start..end`` exactly (the caller chooses the range)."""
        params = [{"fromBlock": hex(start), "toBlock": hex(end), "address": self.addresses}]
        result: list[dict[str, Any]] = self.request("eth_getLogs", params)
        return result

    def logs(self, start: int, end: int) -> tuple[int, list[dict[str, Any]]]:
        """Logs from ``start`` up to at most ``end``, shrinking the range while the node
        refuses it. Returns the last block covered and the logs."""
        while True:
            stop = min(end, start + self.range - 1)
            try:
                logs = self.raw_logs(start, stop)
            except TransactionFailed as exc:
                message = str(exc).lower()
                if self.range <= self.min_range or not any(s in message for s in _TOO_LARGE):
                    raise
                self.range = max(self.min_range, self.range // 2)
                continue
            if len(logs) > self.target_events:  # keep batches to about target_events
                self.range = max(self.min_range, self.range * self.target_events // len(logs))
            elif len(logs) < self.target_events // 2 and self.range < self.max_range:
                self.range = min(self.max_range, self.range * 2)  # grow back after a success
            return stop, logs

    def fetch(self, start: int, end: int, *, header_from: int | None = None) -> LogBatch:
        """Decoded events of ``start..end'`` (``end' <= end``, see :meth:`logs`), with headers
        of ``start``, ``end'`` and every block from ``header_from`` (when given) to ``end'``,
        cross-checked, and the node's head read with them."""
        stop, logs = self.logs(start, end)
        events: list[DecodedEvent] = []
        times: dict[int, int] = {}
        decode = self.decoder.decode
        missing_times: set[int] = set()
        for log in logs:
            if log.get("removed"):
                continue
            ev = decode(log)
            if ev is None:
                continue
            events.append(ev)
            if ev.block_number in times:
                continue
            ts = log.get("blockTimestamp")
            if ts is not None:
                times[ev.block_number] = int(ts, 16)
            else:
                missing_times.add(ev.block_number)
        wanted: set[int] = set(missing_times)
        if header_from is not None and header_from <= stop:
            wanted.update(range(max(header_from, start), stop + 1))
        wanted.update((start, stop))  # start: the indexer checks it extends what it holds
        headers: dict[int, Header] = {}
        found, head = self.headers_and_head(sorted(wanted))
        for n, h in found.items():
            if h is None:
                raise ReorgDuringFetch(f"block {n} vanished while reading")
            headers[n] = h
        for n in missing_times:
            times[n] = headers[n].timestamp
        for ev in events:
            h = headers.get(ev.block_number)
            if h is not None and h.hash != ev.block_hash:
                raise ReorgDuringFetch(f"block {ev.block_number} changed while reading")
        numbers = sorted(headers)
        for a, b in pairwise(numbers):
            if b == a + 1 and headers[b].parent_hash != headers[a].hash:
                raise ReorgDuringFetch(f"block {b} does not extend block {a}")
        if any(
            (a.block_number, a.log_index) > (b.block_number, b.log_index)
            for a, b in pairwise(events)
        ):  # nodes answer in chain order; sort only if this one did not
            events.sort(key=lambda e: (e.block_number, e.log_index))
        return LogBatch(
            start=start, end=stop, events=events, times=times, headers=headers, head=head
        )


def sleep(seconds: float) -> None:
    time.sleep(seconds)
