"""Factories and assertions shared by the contract tests (one client per participant).

Not a conftest: a second ``conftest.py`` would clash with ``tests/conftest.py`` under mypy
(no ``__init__.py`` in the test tree), so each module builds its :class:`World` with a
short fixture.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from registry import domain
from registry.chain import ephemeral_anvil
from registry.client import RegistryClient
from registry.enums import ReleaseReason
from registry.errors import ContractRejection
from registry.transactor import TxResult
from tests.registry_kit import Cast, Registry, deploy_registry, fresh_vin

ZERO_ADDRESS = "0x" + "0" * 40
HOUR = 3600


#: What the ``registry`` fixture of ``tests/conftest.py`` offers (kept as names the tests use).
DeployedRegistry = Registry
CastLike = Cast


@contextmanager
def private_registry() -> Iterator[Registry]:
    """A new anvil with the registry deployed and the cast admitted (as ``tests/conftest.py``)."""
    with ephemeral_anvil() as node:
        yield deploy_registry(node)


def ref(label: str = "") -> bytes:
    """A random 32-byte reference or salted hash (what lenders commit on chain)."""
    return os.urandom(32 - len(label[:8])) + label[:8].encode()


@dataclass
class World:
    """The deployed registry seen by each participant, with factories for titles, liens, loans."""

    registry: DeployedRegistry
    new_vin: Callable[[], str] = field(default=fresh_vin)

    def __post_init__(self) -> None:
        cast = self.registry.cast
        self.cast: CastLike = cast
        self.registrar = self.registry.client(cast.registrar)
        self.lender = self.registry.client(cast.lender)
        self.lender2 = self.registry.client(cast.lender2)
        self.dealer = self.registry.client(cast.dealer)
        self.insurer = self.registry.client(cast.insurer)
        self.owner = self.registry.client(cast.owner)
        self.buyer = self.registry.client(cast.buyer)
        self.outsider = self.registry.client(cast.outsider)
        self.reader = self.registry.client(None)

    @property
    def everyone(self) -> dict[str, RegistryClient]:
        """Every participant's client by role name."""
        return {
            "registrar": self.registrar,
            "lender": self.lender,
            "lender2": self.lender2,
            "dealer": self.dealer,
            "insurer": self.insurer,
            "owner": self.owner,
            "buyer": self.buyer,
            "outsider": self.outsider,
        }

    # -------------------------------------------------------------- factories

    def title(self, owner: RegistryClient | None = None, odometer: int = 10_000) -> str:
        """A fresh VIN with a title issued to ``owner`` (default: the cast's owner)."""
        vin = self.new_vin()
        self.registrar.issue_title(vin, (owner or self.owner).address, odometer)
        return vin

    def lien(
        self, vin: str, holder: RegistryClient | None = None, *, floor_plan: bool = False
    ) -> int:
        return (holder or self.lender).register_lien(vin, floor_plan=floor_plan).id

    def loan(self, lien_id: int, lender: RegistryClient | None = None) -> int:
        return (lender or self.lender).originate_loan(lien_id, ref("loan"), ref(), ref()).id

    def active_loan(self, lender: RegistryClient | None = None) -> tuple[str, int, int]:
        """A titled vehicle with a lien and a disbursed loan: (vin, lien id, loan id)."""
        servicer = lender or self.lender
        vin = self.title()
        lien_id = self.lien(vin, servicer)
        loan_id = self.loan(lien_id, servicer)
        servicer.record_disbursement(loan_id, 2_500_000)
        return vin, lien_id, loan_id

    def consent(
        self,
        holder: RegistryClient,
        vin: str,
        lien_id: int,
        to: RegistryClient | str,
        *,
        release: bool,
        from_owner: RegistryClient | None = None,
        deadline: int | None = None,
        nonce: int | None = None,
    ) -> domain.LienConsent:
        """``holder``'s signed consent to move ``vin`` from its owner (default) to ``to``."""
        seller = from_owner.address if from_owner else self.reader.title(vin).owner
        return holder.sign_transfer_consent(
            vin,
            lien_id,
            seller,
            to if isinstance(to, str) else to.address,
            release=release,
            deadline=deadline if deadline is not None else self.now() + HOUR,
            nonce=nonce,
        )

    # ------------------------------------------------------------------ chain

    def rpc(self, method: str, params: list[Any]) -> Any:
        return self.reader.rpc.request(method, params)

    def now(self) -> int:
        """The latest block's timestamp."""
        return int(self.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)


@contextmanager
def reverts(error_name: str, **arguments: Any) -> Iterator[pytest.ExceptionInfo[Any]]:
    """Expects a contract refusal named ``error_name`` (and, if given, with these arguments)."""
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
