"""The indexer: backfill in block ranges, then follow new heads; reorg-, crash- and outage-safe.

Each batch (events, projection changes, recent headers, checkpoint) commits in one
transaction, so a crash loses at most the batch in flight and a restart resumes from the
checkpoint. Before each batch the checkpoint's block hash is checked against the node (for
a batch read ahead, against the parent hash of the batch's first block, read with it); on a
mismatch the common ancestor is found and everything above it undone (:mod:`.reorg`).

During a backfill a worker process reads two ranges ahead (:mod:`.readahead`) and a thread
checkpoints the SQLite WAL (:mod:`registry.db.wal`), so the writer's thread only applies
and commits.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, Table, delete
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from registry.contracts import Deployment
from registry.db.models import Block, IndexerState
from registry.db.wal import WalCheckpointer
from registry.errors import ChainUnavailable, IndexerMismatch, TransactionFailed
from registry.events import EventDecoder
from registry.indexer.apply import apply_events, contract_names
from registry.indexer.fetch import ChainReader, LogBatch, ReorgDuringFetch
from registry.indexer.handlers import HandlerRegistry
from registry.indexer.heads import HeadWatcher, websocket_url
from registry.indexer.lock import indexer_lock
from registry.indexer.projections import core_handlers
from registry.indexer.readahead import ReadAhead, expand
from registry.indexer.reorg import find_ancestor, rollback
from registry.rpc import Transport, backoff_delays

log = logging.getLogger("registry.indexer")
BLOCKS: Table = Block.__table__  # type: ignore[attr-defined]


@dataclass
class Progress:
    """Where the indexer stands, reported after every batch (and while waiting)."""

    head: int
    indexed_block: int
    finalized_block: int
    start_block: int
    batch_events: int = 0
    total_events: int = 0
    reorgs: int = 0
    waiting: str | None = None  # why it is not advancing (node down...), if so

    @property
    def lag(self) -> int:
        return max(0, self.head - self.indexed_block)


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: a batch allocates hundreds of thousands of
    acyclic objects, and the collections they trigger would cost ~10% of the batch."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def state_key(deployment: Deployment) -> str:
    return f"{deployment.chain_id}:{deployment.registry.lower()}"


class Indexer:
    """Mirrors one deployment's events into one database, running the handlers of
    ``registries`` in order (default: the core projections only; ``registry index`` adds the
    risk module's, :func:`registry.risk.hooks.risk_handlers`)."""

    def __init__(
        self,
        engine: Engine,
        rpc: Transport,
        deployment: Deployment,
        *,
        confirmations: int = 2,
        batch_blocks: int = 5000,
        batch_events: int = 25_000,  # per batch transaction (fewer: more commits and upserts)
        window: int = 64,
        poll_interval: float = 1.0,
        registries: Sequence[HandlerRegistry] | None = None,
        decoder: EventDecoder | None = None,
        read_ahead_process: bool = True,
        read_ahead_events: int = 2000,
        subscribe_heads: bool = True,
    ) -> None:
        self.engine = engine
        self.deployment = deployment
        self.confirmations = confirmations
        self.window = max(window, confirmations + 1)
        self.poll_interval = poll_interval
        self.registries = tuple(registries) if registries is not None else (core_handlers(),)
        self.reader = ChainReader(
            rpc, deployment.addresses, decoder, max_range=batch_blocks, target_events=batch_events
        )
        self.contracts = contract_names(deployment)
        self.key = state_key(deployment)
        self.start_block = deployment.block
        self.total_events = 0
        self.reorgs = 0
        self.head = 0
        self._ahead: ReadAhead | None = None
        self.read_ahead_process = read_ahead_process
        self.read_ahead_events = read_ahead_events  # a batch this big starts the worker
        self.read_ahead_batches = 0  # batches the worker read (for tests and stats)
        #: where new-head notifications come from while following (None: polling only)
        self.heads_url = websocket_url(rpc.url) if subscribe_heads else None
        self.heads: HeadWatcher | None = None
        #: copies the SQLite WAL into the database off the writer's thread (while running)
        self.checkpointer: WalCheckpointer | None = None

    # ------------------------------------------------------------------ state

    def _state(self, session: Session) -> IndexerState:
        st = session.get(IndexerState, self.key)
        if st is None:
            other = session.exec(select(IndexerState)).first()
            if other is not None:
                raise IndexerMismatch(
                    f"this database mirrors another deployment ({other.key}); index "
                    f"{self.key} into its own database",
                    database=other.key,
                )
            st = IndexerState(
                key=self.key,
                chain_id=self.deployment.chain_id,
                registry_address=self.deployment.registry.lower(),
                start_block=self.start_block,
                indexed_block=self.start_block - 1,
                finalized_block=self.start_block - 1,
                confirmations=self.confirmations,
            )
            session.add(st)
            session.flush()
        return st

    def progress(self, batch_events: int = 0, waiting: str | None = None) -> Progress:
        with Session(self.engine) as session:
            st = self._state(session)
            session.commit()
            return Progress(
                head=self.head,
                indexed_block=st.indexed_block,
                finalized_block=st.finalized_block,
                start_block=st.start_block,
                batch_events=batch_events,
                total_events=self.total_events,
                reorgs=self.reorgs,
                waiting=waiting,
            )

    def check_chain(self) -> None:
        chain_id = self.reader.chain_id()
        if chain_id != self.deployment.chain_id:
            raise IndexerMismatch(
                f"the node at {self.reader.endpoint} is chain {chain_id}, but the deployment "
                f"is on chain {self.deployment.chain_id}",
            )

    # ------------------------------------------------------------------ one step

    def step(self, until_block: int | None = None) -> int:
        """Indexes one batch (or undoes one reorg). Returns the events applied, -1 when
        there was nothing to do (caught up)."""
        with no_gc():
            return self._step(until_block)

    def _step(self, until_block: int | None) -> int:
        with Session(self.engine, expire_on_commit=False) as session:
            st = self._state(session)
            start = st.indexed_block + 1
            # a batch read ahead carries the head as of its reading, and the header of its
            # first block, whose parent must be the indexed block (checked below): no calls
            batch = self._take_prefetched(start)
            head = batch.head if batch is not None and batch.head else self.reader.head()
            self.head = head
            target = head if until_block is None else min(head, until_block)
            if (
                batch is None
                and st.indexed_hash is not None
                and st.indexed_block >= self.start_block
            ):
                node = self.reader.headers([st.indexed_block])[st.indexed_block]
                if node is None or node.hash != st.indexed_hash:
                    self._undo_reorg(session, st)
                    return 0
            if st.indexed_block >= target:
                if st.head_block != head:
                    st.head_block = head
                    st.finalized_block = max(
                        st.finalized_block, min(st.indexed_block, head - self.confirmations)
                    )
                    session.commit()
                return -1
            window_from = head - self.window + 1
            if batch is None:
                batch = self.reader.fetch(start, target, header_from=window_from)
            if self.read_ahead_process and self._ahead is None and batch.end < target:
                # worth a worker when this batch, or what remains at its density, is big
                remaining = target - batch.end
                expected = len(batch.events) * remaining // (batch.end - batch.start + 1)
                if max(len(batch.events), expected) >= self.read_ahead_events or (
                    remaining > 20_000
                ):
                    self.start_read_ahead()
            if batch.end < target:  # read the next range while this one is written
                self._prefetch(batch.end + 1, target, window_from)
            first = batch.headers.get(start)
            if first is not None and st.indexed_hash and first.parent_hash != st.indexed_hash:
                self._undo_reorg(session, st)
                return 0
            state = apply_events(session, batch.events, batch.times, self.contracts,
                                 registries=self.registries, rows=batch.rows,
                                 keys=batch.keys)  # fmt: skip
            conn = session.connection()
            recent = [
                {"number": h.number, "hash": h.hash, "parent_hash": h.parent_hash,
                 "timestamp": h.timestamp}
                for n, h in sorted(batch.headers.items()) if n >= window_from
            ]  # fmt: skip
            if recent:
                conn.execute(delete(BLOCKS).where(BLOCKS.c.number >= recent[0]["number"]))
                conn.execute(BLOCKS.insert(), recent)
            conn.execute(delete(BLOCKS).where(BLOCKS.c.number < window_from))
            end = batch.headers[batch.end]
            st.indexed_block = batch.end
            st.indexed_hash = end.hash
            st.head_block = head
            st.finalized_block = max(st.finalized_block, min(batch.end, head - self.confirmations))
            st.confirmations = self.confirmations
            st.updated_at = time.time()
            session.add(st)
            session.flush()
            for registry in self.registries:
                for hook in registry.after_batch_hooks:
                    hook(session, state, end.timestamp)
            session.commit()
        if self.checkpointer is not None:
            self.checkpointer.nudge()
        self.total_events += len(batch.events)
        log.debug(
            "batch %d..%d: %d events (head %d)", batch.start, batch.end, len(batch.events), head
        )
        return len(batch.events)

    def read_ahead_from(self, start: int) -> bool:
        """Starts the read-ahead worker on the ranges from ``start`` to the node's head, before
        the first batch (a backfill about to begin: its first batches are read while the
        database is being migrated). Returns whether there was a backfill to read ahead."""
        head = self.reader.head()
        if not self.read_ahead_process or head - start < self.window:
            return False  # nothing much to read: the first batch shows whether it is worth it
        self.start_read_ahead()
        self._prefetch(start, head, head - self.window + 1)
        return True

    def start_read_ahead(self, *, wait: bool = False) -> None:
        """Starts the worker process that reads ahead (``wait``: until it is ready)."""
        if self._ahead is None:
            self._ahead = ReadAhead(self.reader, self.reader.endpoint, self.contracts)
        if wait:
            self._ahead.wait_ready()

    def _prefetch(self, start: int, end: int, header_from: int) -> None:
        """Reads the next ranges in the worker process (not in a thread: a reading thread
        would fight the writer for the GIL and slow both down)."""
        if self._ahead is not None:  # queued until the worker is up (a fork: milliseconds)
            self._ahead.top_up(start, end, header_from)

    def _take_prefetched(self, start: int) -> LogBatch | None:
        """The batch read ahead, if it starts at ``start`` (its errors surface here)."""
        if self._ahead is None:
            return None
        try:
            compact = self._ahead.take(start)
        except BrokenProcessPool:  # the worker could not start or died: read inline
            log.warning("read-ahead worker failed; reading inline")
            self._ahead.close()
            self._ahead = None
            self.read_ahead_process = False
            return None
        if compact is None:
            return None
        self.read_ahead_batches += 1
        return expand(compact, self.reader)

    def _discard_prefetch(self) -> None:
        if self._ahead is not None:
            self._ahead.discard()

    def _undo_reorg(self, session: Session, st: IndexerState) -> None:
        self._discard_prefetch()
        ancestor, ancestor_hash = find_ancestor(session, self.reader, self.start_block)
        result = rollback(session, ancestor, self.contracts, self.registries)
        log.warning(
            "reorg: blocks after %d replaced; %d events removed, %d VINs rebuilt",
            ancestor, result.events_removed, len(result.vins),
        )  # fmt: skip
        if ancestor_hash is None and ancestor >= self.start_block:
            header = self.reader.headers([ancestor])[ancestor]
            ancestor_hash = header.hash if header else None
        st.indexed_block = ancestor
        st.indexed_hash = ancestor_hash
        st.finalized_block = min(st.finalized_block, ancestor)
        st.updated_at = time.time()
        session.add(st)
        session.commit()
        self.reorgs += 1

    # ------------------------------------------------------------------ loops

    def run(
        self,
        *,
        until_head: bool = False,
        until_block: int | None = None,
        stop: threading.Event | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        lock: bool = True,
        wait_for_lock: bool = False,
    ) -> Progress:
        """Indexes until caught up (``until_head``/``until_block``) or until ``stop`` is set.

        A node that stops answering is retried with backoff (0.5 s doubling to 10 s) for
        as long as it takes; the indexer resumes by itself when it is back.
        """
        try:
            with ExitStack() as stack:
                if lock:
                    stack.enter_context(indexer_lock(self.engine, wait=wait_for_lock))
                self.checkpointer = stack.enter_context(WalCheckpointer(self.engine))
                return self._loop(until_head, until_block, stop, on_progress)
        finally:
            self.checkpointer = None
            self._discard_prefetch()
            if self._ahead is not None:
                self._ahead.close()
                self._ahead = None

    def _loop(
        self,
        until_head: bool,
        until_block: int | None,
        stop: threading.Event | None,
        on_progress: Callable[[Progress], None] | None,
    ) -> Progress:
        stop = stop or threading.Event()
        wake = threading.Event()  # set by a new-head notification, or kept clear (polling)
        following = not until_head and until_block is None
        if following and self.heads_url and self.heads is None:
            self.heads = HeadWatcher(self.heads_url, wake).start()
        try:
            return self._follow(until_head, until_block, stop, on_progress, wake)
        finally:
            if self.heads is not None:
                self.heads.stop()
                self.heads = None

    def _follow(
        self,
        until_head: bool,
        until_block: int | None,
        stop: threading.Event,
        on_progress: Callable[[Progress], None] | None,
        wake: threading.Event,
    ) -> Progress:
        delays = backoff_delays()
        checked = False
        while not stop.is_set():
            try:
                if not checked:
                    self.check_chain()
                    checked = True
                applied = self.step(until_block)
            except (ChainUnavailable, ReorgDuringFetch, TransactionFailed, OperationalError) as exc:
                delay = next(delays)
                reason = f"{exc} (retrying in {delay:g} s)"
                log.warning("indexer waiting: %s", reason)
                if on_progress:
                    on_progress(self.progress(waiting=reason))
                stop.wait(delay)
                continue
            delays = backoff_delays()
            if on_progress:
                on_progress(self.progress(max(applied, 0)))
            if applied < 0:
                if until_head or until_block is not None:
                    break
                wake.wait(self.poll_interval)  # a new head wakes it early
                wake.clear()
        return self.progress()


def latest_state(engine: Engine, deployment: Deployment) -> IndexerState | None:
    """The checkpoint for ``deployment`` in ``engine``'s database, if any."""
    with Session(engine, expire_on_commit=False) as session:
        return session.get(IndexerState, state_key(deployment))
