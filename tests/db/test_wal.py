"""The WAL checkpointer: checkpoints off the writer's thread, automatic ones off meanwhile."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from registry.db import make_engine
from registry.db.sqlite import connect
from registry.db.wal import AUTOCHECKPOINT_BYTES, WalCheckpointer


def _autocheckpoint(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one())


def _write(engine: Engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (i INTEGER PRIMARY KEY, v TEXT)"))
        conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "x" * 200} for _ in range(rows)])


def test_automatic_checkpoints_pause_while_the_checkpointer_runs(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    usual = AUTOCHECKPOINT_BYTES // 8192  # 8 KiB pages
    assert _autocheckpoint(engine) == usual
    with WalCheckpointer(engine):
        assert _autocheckpoint(engine) == 0  # the pooled connection, at its next checkout
    assert _autocheckpoint(engine) == usual


def test_committed_batches_reach_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    with WalCheckpointer(engine) as checkpointer:
        _write(engine, 2000)
        checkpointer.nudge()
        deadline = time.monotonic() + 30
        while checkpointer.checkpoints < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert checkpointer.checkpoints >= 1
        # the database file alone (no WAL beside it) already holds the batch
        shutil.copy(path, tmp_path / "copy.sqlite")
        copy = sqlite3.connect(tmp_path / "copy.sqlite")
        assert copy.execute("SELECT count(*) FROM t").fetchone() == (2000,)
        copy.close()
        _write(engine, 500)  # the last batch: checkpointed when the checkpointer stops
    shutil.copy(path, tmp_path / "final.sqlite")
    final = sqlite3.connect(tmp_path / "final.sqlite")
    assert final.execute("SELECT count(*) FROM t").fetchone() == (2500,)
    final.close()


def test_a_locked_database_at_start_does_not_stop_the_checkpointer(tmp_path: Path) -> None:
    """Another connection holds the new database locked when the checkpointer starts: its
    setup (``PRAGMA journal_mode=WAL``) meets "database is locked", and it retries at the next
    round instead of dying (as it once did, in a run of the test above)."""
    path = tmp_path / "db.sqlite"
    # the engines' driver: one SQLite library's locks (another's, in the same process, do
    # not see them: POSIX locks are per process)
    holder = connect(str(path), isolation_level=None)
    holder.execute("CREATE TABLE t (i INTEGER PRIMARY KEY, v TEXT)")
    holder.execute("BEGIN EXCLUSIVE")  # a rollback-journal database, locked
    engine = make_engine(f"sqlite:///{path}")
    with WalCheckpointer(engine, busy_timeout=0.1) as checkpointer:
        checkpointer.nudge()
        time.sleep(0.5)  # the first round meets the lock and gives up
        assert checkpointer.checkpoints == 0
        holder.execute("COMMIT")
        holder.close()
        _write(engine, 1000)
        checkpointer.nudge()
        deadline = time.monotonic() + 30
        while checkpointer.checkpoints < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert checkpointer.checkpoints >= 1
        assert checkpointer._thread is not None and checkpointer._thread.is_alive()
        assert _autocheckpoint(engine) == 0  # still in charge: no automatic checkpoints
        shutil.copy(path, tmp_path / "copy.sqlite")  # the file alone holds the batch
        copy = sqlite3.connect(tmp_path / "copy.sqlite")
        assert copy.execute("SELECT count(*) FROM t").fetchone() == (1000,)
        copy.close()


def test_other_databases_get_no_thread(tmp_path: Path) -> None:
    engine = make_engine("sqlite://")  # in memory: nothing to checkpoint
    with WalCheckpointer(engine) as checkpointer:
        checkpointer.nudge()
        assert checkpointer.path is None
    assert checkpointer.checkpoints == 0


def test_automatic_checkpoints_resume_if_the_checkpointer_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")

    def broken(self: WalCheckpointer) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(WalCheckpointer, "_checkpoint_loop", broken)
    with WalCheckpointer(engine) as checkpointer:
        assert checkpointer._thread is not None
        checkpointer._thread.join(10)
        assert _autocheckpoint(engine) == AUTOCHECKPOINT_BYTES // 8192
