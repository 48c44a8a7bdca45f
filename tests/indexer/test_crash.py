"""SIGKILL during a backfill, 20 times: no missing, no duplicated rows, projections exact."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from registry.contracts import write_deployment
from registry.indexer import latest_state
from tests.kit.books import populate, random_actions, safely
from tests.kit.chain import Registry
from tests.kit.follower import wait_until
from tests.kit.mirror import assert_mirror_exact, migrated_engine

REGISTRY = str(Path(sys.executable).parent / "registry")


def test_sigkill_during_backfill(tmp_path: Path, fresh_registry: Registry) -> None:
    reg = fresh_registry
    rng = random.Random(99)
    populate(reg)
    actions = random_actions(reg, rng)
    for _ in range(120):  # one block each: many small batches to interrupt
        safely(next(actions))
    head = int(reg.rpc.request("eth_blockNumber"), 16)
    url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    engine = migrated_engine(url)
    deployments = tmp_path / "deployments.json"
    write_deployment(deployments, reg.deployment)
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_RPC_URL": reg.node.rpc_url,
        "REGISTRY_DEPLOYMENTS_FILE": str(deployments),
        "REGISTRY_DATA_DIR": str(tmp_path),
    }
    cmd = [REGISTRY, "index", "--until-head", "--batch-blocks", "1", "--quiet"]

    def indexed() -> int:
        st = latest_state(engine, reg.deployment)
        return st.indexed_block if st else -1

    mid_batch_kills = 0
    for _ in range(20):
        before = indexed()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        target = before + rng.randint(1, 6)
        # kill once it has committed a few more batches (or at a random moment if it is done)
        running = proc

        def advanced(t: int = target, p: subprocess.Popen[bytes] = running) -> bool:
            return indexed() >= t or p.poll() is not None

        wait_until(advanced, 60, "progress")
        time.sleep(rng.random() * 0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            mid_batch_kills += 1
        proc.wait(10)
    assert mid_batch_kills >= 15
    assert indexed() < head  # the kills really interrupted the backfill
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert indexed() >= head
    assert_mirror_exact(engine, reg)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
        distinct = conn.execute(
            text("SELECT count(*) FROM (SELECT DISTINCT tx_hash, log_index FROM events) AS d")
        ).scalar_one()
    assert total == distinct
