"""One writer per database: a file lock next to a SQLite file, an advisory lock on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from registry.errors import IndexerLocked

#: The advisory lock key (any constant shared by all indexers): "REGI" in ASCII.
ADVISORY_KEY = 0x52454749


def _message(where: str) -> str:
    return (
        f"another indexer is already writing to {where}; stop it first, "
        "or run this one with --wait to take over when it exits"
    )


@contextmanager
def indexer_lock(
    engine: Engine, *, wait: bool = False, timeout: float | None = None
) -> Iterator[None]:
    """Holds the database's indexer lock for the block.

    Raises:
        IndexerLocked: another indexer holds it and ``wait`` is false (or ``timeout`` passed).
    """
    url = make_url(str(engine.url))
    if url.get_backend_name() == "sqlite":
        db = url.database
        if not db or db == ":memory:":
            yield  # a private in-memory database: nobody else can write to it
            return
        lock = FileLock(db + ".indexer.lock")
        try:
            lock.acquire(timeout=(timeout if timeout is not None else -1) if wait else 0)
        except Timeout:
            raise IndexerLocked(_message(db), path=db) from None
        try:
            yield
        finally:
            lock.release()
        return
    with engine.connect() as conn:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not conn.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}
        ).scalar():
            conn.rollback()
            if not wait or (deadline is not None and time.monotonic() > deadline):
                raise IndexerLocked(_message(url.render_as_string(hide_password=True)))
            time.sleep(0.5)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            conn.commit()
