"""Assertions about what the chain did: an expected refusal, a release's reason, addresses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from registry.enums import ReleaseReason
from registry.errors import ContractRejection
from registry.transactor import TxResult


@contextmanager
def reverts(error_name: str, **arguments: Any) -> Iterator[pytest.ExceptionInfo[Any]]:
    """Expects a contract refusal named ``error_name`` (and, if given, with these arguments),
    as ``ape.reverts`` does: ``with reverts("RegistryTitleExists"): ...``."""
    with pytest.raises(ContractRejection) as info:
        yield info
    error = info.value
    assert error.error_name == error_name, f"expected {error_name}, got {error.error_name}: {error}"
    for key, value in arguments.items():
        assert error.arguments[key] == value, (key, error.arguments)


def release_reason(result: TxResult, lien_id: int) -> str:
    """The reason of the LienReleased event of ``lien_id`` in ``result``."""
    for ev in result.all("LienReleased"):
        if ev.args["lienId"] == lien_id:
            return ReleaseReason.from_chain(ev.args["reason"])
    raise AssertionError(f"no LienReleased for lien {lien_id}")


def same(a: str, b: str) -> bool:
    """Addresses equal regardless of checksum case."""
    return a.lower() == b.lower()
