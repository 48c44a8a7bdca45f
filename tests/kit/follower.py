"""An indexer following the chain in a background thread, and waiting for a condition."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from registry.indexer import Indexer, Progress, latest_state
from registry.risk.hooks import RiskSettings
from tests.kit.chain import Registry
from tests.kit.mirror import handler_registries


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Polls ``condition`` until it holds; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


class Follower:
    """An indexer following ``registry`` into ``engine`` in a thread, with the handlers
    ``registry index`` runs (core and risk) unless given ``registries``.

    ``with Follower(engine, registry) as f: ...; f.catch_up()``
    """

    def __init__(
        self, engine: Engine, registry: Registry, *, poll_interval: float = 0.02, **kwargs: Any
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.records = tempfile.TemporaryDirectory(prefix="follower-loans-")
        kwargs.setdefault(
            "registries", handler_registries(RiskSettings(records_dir=Path(self.records.name)))
        )
        self.indexer = Indexer(
            engine, registry.rpc, registry.deployment, poll_interval=poll_interval, **kwargs
        )
        self.stop = threading.Event()
        self.progress: list[Progress] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.indexer.run(stop=self.stop, on_progress=self.progress.append)
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    def indexed(self) -> int:
        st = latest_state(self.engine, self.registry.deployment)
        return st.indexed_block if st else -1

    def synced(self) -> bool:
        """The checkpoint is the node's head block, same hash (a reorg at the same height,
        or to a lower one, is not "caught up" until the indexer has undone it)."""
        st = latest_state(self.engine, self.registry.deployment)
        if st is None or st.indexed_hash is None:
            return False
        head = self.registry.rpc.request("eth_getBlockByNumber", ["latest", False])
        return st.indexed_block == int(head["number"], 16) and st.indexed_hash == head["hash"]

    def catch_up(self, timeout: float = 30.0) -> None:
        """Waits until the indexer has indexed the node's current head."""
        wait_until(lambda: self.error is not None or self.synced(), timeout, "catch up")
        if self.error is not None:
            raise self.error

    def __enter__(self) -> Follower:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)
        self.records.cleanup()
