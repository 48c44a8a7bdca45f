"""Fixtures of the API tests: the session chain with the API tests' book of vehicles,
indexed into a SQLite mirror, and the API over it (in-process, or as `registry serve`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from tests.kit.api import Keys, api_settings, make_keys, registry_serve
from tests.kit.books import Book, make_book
from tests.kit.chain import Registry
from tests.kit.mirror import Mirror


@pytest.fixture(scope="session")
def book(registry: Registry) -> Book:
    """The vehicles the API tests look at, on the session chain."""
    return make_book(registry)


@pytest.fixture(scope="session")
def mirror(registry: Registry, book: Book, tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    """A SQLite mirror of the session chain (core projections), indexed past the book."""
    m = Mirror.create(registry, tmp_path_factory.mktemp("api-mirror"))
    m.index()
    return m


@pytest.fixture(scope="session")
def app(mirror: Mirror) -> FastAPI:
    return create_app(api_settings(mirror))


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def keys(mirror: Mirror) -> Keys:
    return make_keys(mirror)


@pytest.fixture(scope="session")
def live_server(mirror: Mirror) -> Iterator[str]:
    """The API under the real `registry serve` (production settings); its base URL."""
    with registry_serve(mirror) as url:
        yield url
