"""How fresh an answer is: the chain head (polled in the background) against the mirror's block."""

from __future__ import annotations

import threading
import time
from typing import Any

from registry.errors import ChainUnavailable, NodeError
from registry.rpc import connect


class ChainWatch:
    """Polls ``eth_blockNumber`` every ``interval`` seconds on a daemon thread.

    Requests never wait on the node: they read the last head seen. When the node stops
    answering, ``reachable`` turns False and every answer is marked stale.
    """

    def __init__(self, rpc_url: str, interval: float = 1.0, timeout: float = 1.0) -> None:
        self.rpc_url = rpc_url
        self.interval = interval
        self.timeout = timeout
        # no retries: the next poll is the retry, and answers must not wait on a dead node
        self._rpc = connect(rpc_url, timeout=timeout, connect_timeout=timeout, retries=0)
        self.head: int | None = None
        self.reachable = False
        self.checked_at = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def poll(self) -> None:
        """One look at the node (also what the thread does every interval)."""
        try:
            self.head = int(self._rpc.request("eth_blockNumber"), 16)
            self.reachable = True
        except (ChainUnavailable, NodeError):
            self.reachable = False
        self.checked_at = time.time()

    def ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self.poll()
                self._thread = threading.Thread(target=self._run, name="chain-watch", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def stop(self) -> None:
        self._stop.set()


def freshness(
    watch: ChainWatch, indexed_block: int | None, confirmations: int, stale_after: int
) -> dict[str, Any]:
    """The ``freshness`` object every read answer carries."""
    watch.ensure_started()
    head = watch.head
    if head is not None and indexed_block is not None:
        head = max(head, indexed_block)  # the mirror has seen a block the last poll had not
    lag = None if head is None or indexed_block is None else max(0, head - indexed_block)
    stale = not watch.reachable or lag is None or lag > confirmations + stale_after
    return {
        "indexed_block": indexed_block,
        "head": head,
        "lag": lag,
        "confirmations": confirmations,
        "chain_reachable": watch.reachable,
        "stale": stale,
    }
