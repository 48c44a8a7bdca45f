"""The fixtures every suite shares, wired from the factories of :mod:`tests.kit`.

One real anvil per session with the registry deployed and the cast admitted (tests on it
title fresh VINs, so they do not interfere); a registry on a chain of its own per test
(``fresh_registry``) for tests that need an empty chain; databases (a SQLite file, a
scratch PostgreSQL database, or each in turn); headless Chromium for the page tests. A
module that moves the clock or stops the node takes ``private_registry()`` in a fixture of
its own (module-scoped, as ``tests/risk/conftest.py`` does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from registry.chain import AnvilNode, ephemeral_anvil
from registry.db.scratch import scratch_database
from tests.kit.browser import chromium
from tests.kit.chain import Registry, deploy_registry, private_registry
from tests.kit.vins import fresh_vin


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilNode]:
    """One real anvil for the session."""
    with ephemeral_anvil() as node:
        yield node


@pytest.fixture(scope="session")
def registry(anvil: AnvilNode) -> Registry:
    """The registry deployed once per session on :func:`anvil`, the cast admitted."""
    return deploy_registry(anvil)


@pytest.fixture
def fresh_registry() -> Iterator[Registry]:
    """A registry on its own new anvil, for one test that needs an empty chain."""
    with private_registry() as reg:
        yield reg


@pytest.fixture
def new_vin() -> Callable[[], str]:
    """A factory of fresh, valid VINs."""
    return fresh_vin


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file of the test's own (not yet created)."""
    return f"sqlite:///{tmp_path / 'mirror.sqlite'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards (fails if the server is down)."""
    with scratch_database("test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The test runs twice: on a SQLite file, then on a scratch PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mirror.sqlite'}"
    else:
        with scratch_database("test") as url:
            yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium, one per test module."""
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page of :func:`browser`, sized for the registry's page."""
    pg = browser.new_page(viewport={"width": 1200, "height": 1400})
    yield pg
    pg.close()
