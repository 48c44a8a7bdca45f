"""The node stops and restarts while the indexer follows: it waits, retries, resumes alone."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from registry.chain import ephemeral_anvil
from tests.indexer.indexer_kit import (
    Follower,
    assert_mirror_exact,
    deploy_on,
    migrated_engine,
    random_actions,
    safely,
    wait_until,
)


def test_node_outage_while_following(tmp_path: Path, sqlite_url: str, registry: Any) -> None:
    rng = random.Random(3)
    with ephemeral_anvil(state_file=tmp_path / "state.json") as node:
        reg = deploy_on(node, registry)
        engine = migrated_engine(sqlite_url)
        actions = random_actions(reg, rng)
        with Follower(engine, reg, confirmations=1) as f:
            for _ in range(10):
                safely(next(actions))
            f.catch_up()
            node.stop()
            wait_until(lambda: any(p.waiting for p in f.progress), 20, "the indexer to notice")
            time.sleep(1.5)  # a few retries with backoff
            assert f.thread.is_alive() and f.error is None
            node.start()
            for _ in range(10):
                safely(next(actions))
            f.catch_up(timeout=30)
            waits = [p.waiting for p in f.progress if p.waiting]
            assert any("cannot reach the chain node" in w for w in waits)
            assert_mirror_exact(engine, reg)
