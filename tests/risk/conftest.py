"""Fixtures of the risk tests: a chain of their own (they move its clock) and a mirror."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.chain import ephemeral_anvil
from tests.risk.risk_kit import Chain, Mirror, start_chain


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    with ephemeral_anvil() as node:
        yield start_chain(node)


@pytest.fixture(scope="module")
def mirror(chain: Chain, tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    return Mirror.create(chain, tmp_path_factory.mktemp("risk"))


@pytest.fixture
def fresh_mirror(chain: Chain, tmp_path: Path) -> Mirror:
    return Mirror.create(chain, tmp_path)
