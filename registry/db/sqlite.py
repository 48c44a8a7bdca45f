"""The SQLite driver: the newest SQLite at hand, and None bound the quick way.

The standard library's ``sqlite3`` uses the system's SQLite (3.40 on Debian 12). Where the
``pysqlite3-binary`` wheel is installed (Linux x86-64: a dependency there), its ``pysqlite3``
module, the same DB-API with a recent SQLite built in, is used instead: about 20% cheaper
bulk inserts into the indexed events table. Elsewhere the standard library's serves. Both
read and write the same database files.
"""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Callable
from types import ModuleType
from typing import Any, cast


def _newest() -> ModuleType:
    try:
        bundled = importlib.import_module("pysqlite3.dbapi2")
    except ImportError:
        return sqlite3
    newer: bool = bundled.sqlite_version_info > sqlite3.sqlite_version_info
    return bundled if newer else sqlite3


#: The DB-API module SQLite engines and the WAL checkpointer connect with.
driver: ModuleType = _newest()


def connect(path: str, **kwargs: Any) -> Any:
    """A plain connection through :data:`driver`."""
    return driver.connect(path, **kwargs)


def bind_none_quickly() -> None:
    """Registers an adapter for None in both sqlite3 modules (what :func:`registry.db.make_engine`
    does for a SQLite engine; idempotent).

    The sqlite3 module binds None through its adapter protocol: it looks for an adapter, then
    asks the value and the protocol to adapt (two attribute lookups), about 4x the cost of an
    int. An adapter registered for None (``{}.get``: a C call returning None) takes the quick
    path; None is still bound as NULL. The indexer binds millions of them. Adapters are
    process-wide in sqlite3, so this is done when a SQLite engine is made, not on import.
    """
    for module in {sqlite3, driver}:
        module.register_adapter(type(None), cast(Callable[[None], None], {}.get))
