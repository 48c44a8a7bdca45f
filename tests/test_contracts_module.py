"""Deployments files and name tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.contracts import (
    Deployment,
    brand_index,
    brand_names,
    load_deployment,
    read_deployments,
    write_deployment,
)
from registry.errors import ConfigurationError, InvalidInput

A, B, C = "0x" + "a" * 40, "0x" + "b" * 40, "0x" + "c" * 40


def test_deployments_per_chain_are_kept_side_by_side(tmp_path: Path) -> None:
    path = tmp_path / "deployments.json"
    write_deployment(path, Deployment(31337, A, B, C, block=1))
    write_deployment(path, Deployment(1337, C, B, A, block=9))
    both = read_deployments(path)
    assert set(both) == {31337, 1337}
    assert both[1337].block == 9
    assert load_deployment(path, 31337).registry.lower() == A


def test_missing_deployment_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="registry deploy"):
        load_deployment(tmp_path / "none.json", 5)


def test_brand_names_and_indexes() -> None:
    assert brand_names(0b101) == ["SALVAGE", "FLOOD"]
    assert brand_index("odometer-not-actual") == 4
    assert brand_index("Rebuilt") == 1
    with pytest.raises(InvalidInput, match="unknown brand"):
        brand_index("shiny")
