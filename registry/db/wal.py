"""SQLite WAL checkpoints on a thread of their own while the indexer writes.

By default SQLite checkpoints inside the commit that grows the WAL past its limit: the
committing writer copies the WAL into the database file and waits for the fsync. During a
backfill that is about a sixth of the writer's time. :class:`WalCheckpointer` runs the
checkpoints on a thread with its own connection instead (``PASSIVE``: it never blocks the
writer or readers), after each batch, and turns the writer connections' automatic
checkpoints off while it runs (:func:`autocheckpoint_pages`, applied at checkout). The
sqlite3 module releases the GIL while SQLite works, so the copy and the fsync overlap the
writer's next batch. A crash at any point is safe: a checkpoint only copies committed pages.
"""

from __future__ import annotations

import logging
import threading
import weakref
from types import TracebackType
from typing import Any

from sqlalchemy import Engine

from registry.db.sqlite import connect, driver

log = logging.getLogger("registry.db")

#: WAL size (bytes) at which a connection checkpoints by itself, when no checkpointer runs.
AUTOCHECKPOINT_BYTES = 40 * 1024 * 1024
_checkpointed: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines with a checkpointer


def autocheckpoint_pages(engine: Engine, page_size: int) -> int:
    """The ``wal_autocheckpoint`` setting ``engine``'s connections should have now."""
    return 0 if engine in _checkpointed else AUTOCHECKPOINT_BYTES // page_size


class WalCheckpointer:
    """Checkpoints ``engine``'s SQLite database after each :meth:`nudge` (a no-op for other
    databases). Use as a context manager around the writing."""

    def __init__(self, engine: Engine, *, busy_timeout: float = 30.0) -> None:
        self.engine = engine
        self.busy_timeout = busy_timeout
        database = engine.url.database
        self.path = (
            database
            if engine.dialect.name == "sqlite" and database and database != ":memory:"
            else None
        )
        self.checkpoints = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> WalCheckpointer:
        if self.path is not None:
            _checkpointed.add(self.engine)
            self._thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _checkpointed.discard(self.engine)
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join()
            self._thread = None

    def nudge(self) -> None:
        """A batch was committed: checkpoint it (soon, on the checkpointer's thread)."""
        self._wake.set()

    def _run(self) -> None:
        try:
            self._checkpoint_loop()
        except Exception:  # never leave the writers without checkpoints of any kind
            log.exception("the WAL checkpointer stopped; automatic checkpoints resume")
            _checkpointed.discard(self.engine)

    def _connect(self) -> Any:
        """The checkpointer's connection, set up as every connection of make_engine's."""
        assert self.path is not None
        conn = connect(self.path, timeout=self.busy_timeout, check_same_thread=False)
        try:
            # SQLite does not always call the busy handler for a journal mode change (a new
            # database whose first writer switches it to WAL at the same moment): "database
            # is locked" at once. The caller retries at the next round.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    def _checkpoint_loop(self) -> None:
        conn: Any = None
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                stopping = self._stop.is_set()
                try:  # the last round (stopping) checkpoints what the final batch left
                    if conn is None:
                        conn = self._connect()
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except driver.Error as exc:  # busy, locked or gone: the next round tries again
                    log.debug("WAL checkpoint skipped: %s", exc)
                if stopping:
                    return
        finally:
            if conn is not None:
                conn.close()
