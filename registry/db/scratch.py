"""Scratch PostgreSQL databases for tests and benchmarks: created empty, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

#: The server the tests and benchmarks use (this machine kind runs one; trust auth).
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_server_url() -> str:
    """``REGISTRY_TEST_POSTGRES_URL``, or the local server."""
    return os.environ.get("REGISTRY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@contextmanager
def scratch_database(prefix: str = "scratch", server_url: str | None = None) -> Iterator[str]:
    """Creates a new, empty database on the server and yields its SQLAlchemy URL; drops it
    on exit. Raises (psycopg.OperationalError) when the server is unreachable: callers that
    need PostgreSQL must fail, not skip."""
    url = make_url(server_url or postgres_server_url())
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
