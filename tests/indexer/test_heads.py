"""Following: a new-head subscription wakes the indexer at once; polling remains the fallback."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from registry.chain import ephemeral_anvil
from registry.indexer.heads import HeadWatcher, websocket_url
from registry.rpc import connect
from tests.kit.chain import private_registry
from tests.kit.follower import Follower, wait_until
from tests.kit.mirror import migrated_engine
from tests.kit.vins import fresh_vin


def test_websocket_url_beside_the_rpc_url() -> None:
    assert websocket_url("http://127.0.0.1:8545") == "ws://127.0.0.1:8545"
    assert websocket_url("https://rpc.example:443/v1") == "wss://rpc.example:443/v1"
    assert websocket_url("ipc:///tmp/node.ipc") is None


def test_a_new_head_wakes_a_follower_that_polls_rarely(tmp_path: Path) -> None:
    with private_registry() as reg:
        engine = migrated_engine(f"sqlite:///{tmp_path / 'heads.sqlite'}")
        # A 60 s poll: only the subscription can bring the next event in within seconds.
        with Follower(engine, reg, poll_interval=60.0) as follower:
            follower.catch_up(30)
            watcher = follower.indexer.heads
            assert watcher is not None and watcher.subscribed.wait(10)
            time.sleep(0.5)  # the follower is now asleep in its 60 s poll
            result = reg.registrar.issue_title(fresh_vin(), reg.cast.owner.address, 10)
            started = time.monotonic()
            wait_until(lambda: follower.indexed() >= result.block_number, 15, "woken by head")
            assert time.monotonic() - started < 15
            assert watcher.heads_seen >= 1


def test_the_watcher_resubscribes_after_the_node_restarts(tmp_path: Path) -> None:
    with ephemeral_anvil(state_file=tmp_path / "state.json") as node:
        wake = threading.Event()
        url = websocket_url(node.rpc_url)
        assert url is not None
        watcher = HeadWatcher(url, wake, max_backoff=0.5).start()
        try:
            assert watcher.subscribed.wait(10)
            node.stop()
            wait_until(lambda: not watcher.subscribed.is_set(), 10, "subscription lost")
            node.start()
            assert watcher.subscribed.wait(15)
            connect(node.rpc_url).request("evm_mine")
            assert wake.wait(10)
        finally:
            watcher.stop()
