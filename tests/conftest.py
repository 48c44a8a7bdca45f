"""Shared fixtures: a real anvil per session, contracts deployed, participants admitted."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from registry.chain import AnvilNode, ephemeral_anvil
from tests.registry_kit import Registry, deploy_registry, fresh_vin


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilNode]:
    """One real anvil for the session (tests that stop or reorg the node start their own)."""
    with ephemeral_anvil() as node:
        yield node


@pytest.fixture(scope="session")
def registry(anvil: AnvilNode) -> Registry:
    """The registry deployed once per session; tests use fresh VINs so they don't interfere."""
    return deploy_registry(anvil)


@pytest.fixture
def fresh_registry() -> Iterator[Registry]:
    """A registry on its own new anvil, for tests that need an empty chain."""
    with ephemeral_anvil() as node:
        yield deploy_registry(node)


@pytest.fixture
def new_vin() -> Callable[[], str]:
    """A factory of fresh, valid VINs."""
    return fresh_vin
