"""The SQLite driver: the newest at hand, and None bound as NULL through the quick path."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import text

from registry.db import make_engine
from registry.db.sqlite import driver


def test_engines_use_the_newest_sqlite_at_hand(tmp_path: Path) -> None:
    assert driver.sqlite_version_info >= sqlite3.sqlite_version_info
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT sqlite_version()")).scalar() == driver.sqlite_version
    # the standard library's module reads what the engine wrote (one file format)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (a)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    plain = sqlite3.connect(tmp_path / "db.sqlite")
    assert plain.execute("SELECT a FROM t").fetchall() == [(1,)]
    plain.close()


@pytest.mark.parametrize("module", [sqlite3, driver], ids=["stdlib", "driver"])
def test_none_is_bound_as_null(module: ModuleType, tmp_path: Path) -> None:
    make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")  # a SQLite engine installs the adapter
    assert (type(None), module.PrepareProtocol) in module.adapters
    db = module.connect(":memory:")
    db.execute("CREATE TABLE t (a, b)")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(None, 1), (2, None)])
    assert db.execute("SELECT typeof(a), typeof(b) FROM t ORDER BY rowid").fetchall() == [
        ("null", "integer"),
        ("integer", "null"),
    ]


def test_none_through_sqlalchemy(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (a)"))
        conn.execute(text("INSERT INTO t VALUES (:a)"), [{"a": None}])
        assert conn.execute(text("SELECT typeof(a) FROM t")).scalar() == "null"
