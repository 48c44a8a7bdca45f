"""Fixtures of the indexer tests: databases (SQLite file, fresh PostgreSQL) and a follower."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from indexer_kit import migrated_engine, postgres_database
from sqlalchemy import Engine

from registry.indexer import Indexer, Progress, latest_state


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mirror.sqlite'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mirror.sqlite'}"
    else:
        with postgres_database() as url:
            yield url


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


class Follower:
    """An indexer following the chain in a background thread."""

    def __init__(self, engine: Engine, reg: Any, **kwargs: Any) -> None:
        self.engine = engine
        self.reg = reg
        self.indexer = Indexer(engine, reg.w3, reg.deployment, poll_interval=0.02, **kwargs)
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
        st = latest_state(self.engine, self.reg.deployment)
        return st.indexed_block if st else -1

    def catch_up(self, timeout: float = 30.0) -> None:
        """Waits until the indexer has indexed the node's current head."""
        head = self.reg.w3.eth.block_number
        wait_until(lambda: self.error is not None or self.indexed() >= head, timeout, "catch up")
        if self.error is not None:
            raise self.error

    def __enter__(self) -> Follower:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


@pytest.fixture
def follower() -> Callable[..., Follower]:
    return Follower


__all__ = ["Follower", "migrated_engine", "wait_until"]
