"""None binds as NULL through the quick adapter path registry.db installs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from registry.db import make_engine


def test_none_is_bound_as_null(tmp_path: Path) -> None:
    assert (type(None), sqlite3.PrepareProtocol) in sqlite3.adapters
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (a, b)")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(None, 1), (2, None)])
    assert db.execute("SELECT count(*) FROM t WHERE a IS NULL OR b IS NULL").fetchone() == (2,)
    assert db.execute("SELECT typeof(a), typeof(b) FROM t ORDER BY rowid").fetchall() == [
        ("null", "integer"),
        ("integer", "null"),
    ]
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")  # and through SQLAlchemy
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (a)"))
        conn.execute(text("INSERT INTO t VALUES (:a)"), [{"a": None}])
        assert conn.execute(text("SELECT typeof(a) FROM t")).scalar() == "null"
