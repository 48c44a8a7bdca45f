"""Fixtures of the risk tests: a chain of their own per module (they move its clock) and its
mirror, indexed with the risk rules as ``registry index`` runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kit.chain import Registry, private_registry
from tests.kit.mirror import Mirror


@pytest.fixture(scope="module")
def chain() -> Iterator[Registry]:
    """This module's own registry (its clock moves)."""
    with private_registry() as reg:
        yield reg


@pytest.fixture(scope="module")
def mirror(chain: Registry, tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    """The module's mirror, shared by its tests."""
    return Mirror.create(chain, tmp_path_factory.mktemp("risk"), risk=True)


@pytest.fixture
def fresh_mirror(chain: Registry, tmp_path: Path) -> Mirror:
    """A mirror of the module's chain for one test, indexed from the deployment block."""
    return Mirror.create(chain, tmp_path, risk=True)
