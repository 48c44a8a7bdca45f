"""The node stops and restarts while the indexer follows: it waits, retries, resumes alone."""

from __future__ import annotations

import random
import time
from pathlib import Path

from tests.kit.books import random_actions, safely
from tests.kit.chain import private_registry
from tests.kit.follower import Follower, wait_until
from tests.kit.mirror import assert_mirror_exact, migrated_engine


def test_node_outage_while_following(tmp_path: Path, sqlite_url: str) -> None:
    rng = random.Random(3)
    with private_registry(state_file=tmp_path / "state.json") as reg:
        node = reg.node
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
