"""Sending an import's batches: sized from the block gas limit, several in flight with local
nonces, each recorded in the journal before the node sees it, and progress as it goes.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any

from registry.client import RegistryClient
from registry.errors import ChainUnavailable, NodeError, RegistryError
from registry.imports.journal import Batch, Journal
from registry.transactor import SignedTx

#: What one batch may use of a block's gas: half, the EIP-1559 target, so that a long import
#: does not raise the base fee block after block (above the target it grows up to 12.5% a
#: block: thousands of times over an import, until its transactions are priced out).
BLOCK_SHARE = 0.5
#: The gas price offered: this many times the latest base fee (room for others raising it),
#: plus the node's priority fee. Not a multiple of ``eth_gasPrice``: that follows the tips
#: recently paid, so paying over it would raise it batch after batch.
BASE_FEE_MARGIN = 2
IN_FLIGHT = 4
RECEIPT_TIMEOUT = 120.0


class Progress:
    """Rows/s, time left and gas spent, on one line (a terminal) or a line every few seconds."""

    def __init__(self, total: int, stream: IO[str] | None = None, *, quiet: bool = False) -> None:
        self.total = total
        self.done = 0
        self.gas = 0
        self.transactions = 0
        self.started = time.monotonic()
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self._shown = 0.0
        self.stage = ""
        #: called with (rows done, total, gas) after every confirmed batch (the API's jobs)
        self.listeners: list[Callable[[int, int, int], None]] = []

    def add(self, rows: int, gas: int) -> None:
        self.done += rows
        self.gas += gas
        self.transactions += 1
        for listener in self.listeners:
            listener(self.done, self.total, self.gas)
        self.show()

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def show(self, *, final: bool = False) -> None:
        if self.quiet:
            return
        tty = self.stream.isatty()
        now = time.monotonic()
        if not final and now - self._shown < (0.2 if tty else 5.0):
            return
        self._shown = now
        rate = self.rate()
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        line = (f"{self.stage}: {self.done:,}/{self.total:,} rows  {rate:,.0f} rows/s  "
                f"{left:,.0f} s left  gas {self.gas:,}")  # fmt: skip
        self.stream.write(("\r" + line + ("\n" if final else "")) if tty else line + "\n")
        self.stream.flush()


@dataclass
class Plan:
    """One batch to send: the rows it carries and how to encode any number of them."""

    stage: str
    to: str
    action: str
    #: the event whose first indexed argument is the id each row creates (None: no ids)
    id_event: str | None
    rows: list[Any]
    weights: list[int]  # per row, in units of the lightest row's gas (brands, payments cost more)
    encode: Callable[[Sequence[Any]], tuple[str, dict[str, Any]]]  # rows -> (calldata, extra)
    extra: dict[str, Any] = field(default_factory=dict)


class Pipeline:
    """Sends batches for one signer, recording each in ``journal`` before sending it."""

    def __init__(
        self,
        client: RegistryClient,
        journal: Journal,
        progress: Progress,
        in_flight: int = IN_FLIGHT,
    ) -> None:
        self.client = client
        self.tx = client.tx
        self.journal = journal
        self.progress = progress
        self.in_flight = max(1, in_flight)
        self._nonce: int | None = None

    # ---------------------------------------------------------------- a rerun

    def resolve(self, landed: Callable[[Batch], list[int] | None]) -> None:
        """Settles every batch a previous run sent but did not see confirmed, by its hash;
        a confirmed batch whose receipt the node no longer has (a node restarted from an
        older state, a reorg) is settled again the same way.

        When the node knows no such transaction and refuses its bytes (its nonce was used),
        ``landed`` reads the chain's state: the ids the batch's rows created if they are
        there as it would have left them (a node restored from a state dump keeps state,
        not always the receipts), else None: then the batch is lost and its rows free.
        """
        confirmed = self.journal.confirmed()
        receipts = self.tx.rpc.batch(
            [("eth_getTransactionReceipt", [b.tx_hash]) for b in confirmed]
        )
        for batch, receipt in zip(confirmed, receipts, strict=True):
            if receipt is None:
                self.journal.forgotten(batch)
        for batch in sorted(self.journal.unconfirmed(), key=lambda b: b.nonce):
            receipt = self._receipt(batch.tx_hash)
            if receipt is None and not self._known(batch.tx_hash):
                try:  # never reached the node (or the node forgot it): the same signed bytes
                    self.tx.rpc.send_raw_transaction(batch.raw, batch.tx_hash, action="resending")
                except NodeError:  # its nonce is used: by this batch (state says) or another
                    ids = landed(batch)
                    if ids is None:
                        self.journal.lost(batch)
                    else:
                        self.journal.done(batch, {"block": None, "gas": 0, "ids": ids})
                    continue
            if receipt is None:
                receipt = self._await(batch.tx_hash)
            if receipt["status"] == "0x1":
                self.journal.done(batch, self._done(batch.stage, receipt, batch.extra))
            else:
                self.journal.lost(batch)  # mined and refused: nothing of it was recorded

    def _receipt(self, tx_hash: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.tx.rpc.request("eth_getTransactionReceipt", [tx_hash])
        return found

    def _known(self, tx_hash: str) -> bool:
        return self.tx.rpc.request("eth_getTransactionByHash", [tx_hash]) is not None

    def _await(self, tx_hash: str) -> dict[str, Any]:
        deadline = time.monotonic() + RECEIPT_TIMEOUT
        while True:
            receipt = self._receipt(tx_hash)
            if receipt is not None:
                return receipt
            if time.monotonic() > deadline:
                raise ChainUnavailable(
                    f"transaction {tx_hash} of the import was sent but not mined within "
                    f"{RECEIPT_TIMEOUT:.0f} s; rerun the same command later to continue",
                    tx_hash=tx_hash,
                )
            time.sleep(self.tx.poll_interval)

    def _done(self, stage: str, receipt: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
        event = extra.get("id_event")
        ids: list[int] = []
        if event:
            topic = self.client.decoder.topics_by_name[event]
            ids = [
                int(log["topics"][1], 16) for log in receipt["logs"] if log["topics"][0] == topic
            ]
        return {"block": int(receipt["blockNumber"], 16), "gas": int(receipt["gasUsed"], 16),
                "ids": ids}  # fmt: skip

    # ---------------------------------------------------------------- sending

    def batches(self, plan: Plan) -> Iterator[tuple[list[Any], int]]:
        """``plan``'s rows cut into batches that fit a block, each with the gas to give it.

        The gas of a row is measured on the node (an estimate of a one-row and a many-row
        batch of the first rows), so the batch size follows the chain's gas limit.
        """
        if not plan.rows:
            return
        limit = self.tx.block_gas_limit()
        k = min(len(plan.rows), 16)
        one = self.tx.estimate(plan.to, plan.encode(plan.rows[:1])[0], action=plan.action)
        if k > 1:
            many = self.tx.estimate(plan.to, plan.encode(plan.rows[:k])[0], action=plan.action)
            units = sum(plan.weights[:k]) - plan.weights[0]
            unit = max(1, (many - one) // max(1, units))
        else:
            unit = one // 2
        base = max(21_000, one - unit * plan.weights[0])
        budget = int(limit * BLOCK_SHARE)
        start = 0
        while start < len(plan.rows):
            gas, end = base, start
            while end < len(plan.rows) and (
                end == start or gas + unit * plan.weights[end] <= budget
            ):
                gas += unit * plan.weights[end]
                end += 1
            yield plan.rows[start:end], min(limit, int(gas * 1.25) + 20_000)
            start = end

    def send(self, plan: Plan) -> None:
        """Sends every batch of ``plan`` and waits for them all.

        This thread encodes, signs and journals the next batch while a sender thread hands
        the previous ones to the node, in nonce order, and waits for their receipts; at most
        ``in_flight`` batches are signed and not yet confirmed.
        """
        if self._nonce is None:
            self._nonce = self.tx.next_nonce()
        window: deque[Future[None]] = deque()
        self.progress.stage = plan.stage
        sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-send")
        try:
            for rows, gas in self.batches(plan):
                data, extra = plan.encode(rows)
                extra = extra | {"id_event": plan.id_event}
                assert self._nonce is not None
                price = self._price()
                signed = self.tx.sign(plan.to, data, gas=gas, nonce=self._nonce, gas_price=price)
                batch = Batch(plan.stage, self.journal.next_key(), list(rows), signed.tx_hash,
                              signed.raw, signed.nonce, extra)  # fmt: skip
                self.journal.sent([batch])  # before the node can see it
                self._nonce += 1
                window.append(sender.submit(self._land, batch, signed, plan))
                while len(window) >= self.in_flight:
                    window.popleft().result()
            while window:
                window.popleft().result()
        except RegistryError:
            self._nonce = None  # the node decides again on the next send
            raise
        finally:  # batches not yet handed over stay journaled: a rerun sends them
            sender.shutdown(wait=True, cancel_futures=True)

    def _land(self, batch: Batch, signed: SignedTx, plan: Plan) -> None:
        self.tx.broadcast(signed, action=plan.action)
        self._confirm(batch, signed, plan)

    def _price(self) -> int:
        block = self.tx.rpc.request("eth_getBlockByNumber", ["latest", False])
        if block.get("baseFeePerGas") is None:  # a chain without EIP-1559
            return self.tx.gas_price()
        tip = int(self.tx.rpc.request("eth_maxPriorityFeePerGas"), 16)
        return BASE_FEE_MARGIN * int(block["baseFeePerGas"], 16) + tip

    def _confirm(self, batch: Batch, signed: SignedTx, plan: Plan) -> None:
        try:
            result = self.tx.wait(
                signed.tx_hash, to=signed.to, data=signed.data, action=plan.action
            )
        except ChainUnavailable:
            raise
        except RegistryError as exc:
            self.journal.lost(batch)
            exc.message = (f"{plan.action}: the batch of rows {_span(batch.rows)} was refused, "
                           f"nothing of it recorded: {exc.message}")  # fmt: skip
            raise
        ids: list[int] = []
        if plan.id_event:
            ids = [int(next(iter(ev.args.values()))) for ev in result.all(plan.id_event)]
        self.journal.done(batch, {"block": result.block_number, "gas": result.gas_used,
                                  "ids": ids})  # fmt: skip
        self.progress.add(len(batch.rows), result.gas_used)


def _span(rows: Iterable[Any]) -> str:
    numbers = [r if isinstance(r, int) else r[0] for r in rows]
    return f"{min(numbers)}-{max(numbers)}" if numbers else "-"
