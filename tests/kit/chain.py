"""The chain side of the test kit: who is who, a deployed registry seen by each participant.

:class:`Registry` is the one object a test acts through: a client per member of the
:data:`CAST`, factories for the usual set-ups (a title, a lien, a loan, a transfer consent)
and the node's clock (:meth:`Registry.now`, :meth:`Registry.advance`). The fixtures of
``tests/conftest.py`` hand out the session's shared one; :func:`private_registry` gives a
test or module a chain of its own (to move its clock, stop its node, or start empty).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount

from registry import domain
from registry.accounts import dev_account
from registry.chain import AnvilNode, ephemeral_anvil
from registry.client import RegistryClient
from registry.contracts import Deployment
from registry.deploy import deploy
from registry.risk.delinquency import chain_day
from registry.rpc import Transport, connect
from tests.kit.vins import fresh_vin

ZERO_ADDRESS = "0x" + "0" * 40
HOUR = 3600
DAY = 86400


class HasAddress(Protocol):
    """A participant as tests name one: a client or an account."""

    @property
    def address(self) -> str: ...


@dataclass(frozen=True)
class Cast:
    """Who is who on the test chain (anvil's dev accounts 0-7, the funders 10 and 11)."""

    registrar: LocalAccount
    lender: LocalAccount
    lender2: LocalAccount
    dealer: LocalAccount
    insurer: LocalAccount
    owner: LocalAccount
    buyer: LocalAccount
    outsider: LocalAccount
    funder: LocalAccount  # a warehouse lender
    funder2: LocalAccount  # a securitisation trust


CAST = Cast(*(dev_account(i) for i in (*range(8), 10, 11)))


def ref(label: str = "") -> bytes:
    """A random 32-byte reference or salted hash (what lenders and insurers commit on chain)."""
    return os.urandom(32 - len(label[:8])) + label[:8].encode()


class Registry:
    """A deployed registry on a running node, with a client per participant of the cast.

    ``registry.lender`` acts as the cast's lender, ``registry.reader`` signs nothing.
    """

    def __init__(
        self, node: AnvilNode, rpc: Transport, deployment: Deployment, cast: Cast = CAST
    ) -> None:
        self.node = node
        self.rpc = rpc
        self.deployment = deployment
        self.cast = cast
        self.reader = self.client(None)
        self.registrar = self.client(cast.registrar)
        self.lender = self.client(cast.lender)
        self.lender2 = self.client(cast.lender2)
        self.dealer = self.client(cast.dealer)
        self.insurer = self.client(cast.insurer)
        self.owner = self.client(cast.owner)
        self.buyer = self.client(cast.buyer)
        self.outsider = self.client(cast.outsider)
        self.funder = self.client(cast.funder)
        self.funder2 = self.client(cast.funder2)

    def client(self, account: LocalAccount | None) -> RegistryClient:
        """A new client acting as ``account`` (any key, not only the cast's; None: reads only),
        with caches of its own (a test may tamper with one's facts without touching others)."""
        return RegistryClient(self.rpc, self.deployment, account)

    @property
    def everyone(self) -> dict[str, RegistryClient]:
        """Every participant's client by its name in the cast."""
        return {f.name: getattr(self, f.name) for f in fields(Cast)}

    # -------------------------------------------------------------- factories

    def title(self, owner: HasAddress | None = None, odometer: int = 10_000) -> str:
        """A fresh VIN with a title issued to ``owner`` (default: the cast's owner)."""
        vin = fresh_vin()
        self.registrar.issue_title(vin, (owner or self.cast.owner).address, odometer)
        return vin

    def lien(
        self, vin: str, holder: RegistryClient | None = None, *, floor_plan: bool = False
    ) -> int:
        """A lien of ``holder`` (default: the lender) on ``vin``; its id."""
        return (holder or self.lender).register_lien(vin, floor_plan=floor_plan).id

    def loan(self, lien_id: int, lender: RegistryClient | None = None) -> int:
        """A loan originated on ``lien_id`` with random commitments; its id."""
        return (lender or self.lender).originate_loan(lien_id, ref("loan"), ref(), ref()).id

    def active_loan(self, lender: RegistryClient | None = None) -> tuple[str, int, int]:
        """A titled vehicle with a lien and a disbursed loan: (vin, lien id, loan id)."""
        servicer = lender or self.lender
        vin = self.title()
        lien_id = self.lien(vin, servicer)
        loan_id = self.loan(lien_id, servicer)
        servicer.record_disbursement(loan_id, 2_500_000)
        return vin, lien_id, loan_id

    def pledged_loan(
        self, funder: RegistryClient | None = None, lender: RegistryClient | None = None
    ) -> tuple[str, int, int, int]:
        """An active loan pledged to ``funder`` (default: the funder): (vin, lien, loan,
        pledge id)."""
        servicer = lender or self.lender
        vin, lien_id, loan_id = self.active_loan(servicer)
        pledge_id = servicer.pledge_loan(loan_id, (funder or self.funder).address).id
        return vin, lien_id, loan_id, pledge_id

    def consent(
        self,
        holder: RegistryClient,
        vin: str,
        lien_id: int,
        to: HasAddress | str,
        *,
        release: bool,
        from_owner: HasAddress | None = None,
        deadline: int | None = None,
        nonce: int | None = None,
    ) -> domain.LienConsent:
        """``holder``'s signed consent to move ``vin`` from its owner (default) to ``to``,
        valid for an hour unless ``deadline``."""
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

    # ------------------------------------------------------------------ clock

    def now(self) -> int:
        """The latest block's timestamp."""
        block: dict[str, Any] = self.rpc.request("eth_getBlockByNumber", ["latest", False])
        return int(block["timestamp"], 16)

    def today(self) -> date:
        """The latest block's UTC day."""
        return date.fromordinal(chain_day(self.now()))

    def advance(self, days: float) -> None:
        """Moves the chain's clock on by ``days`` and mines a block at the new time (only on
        a chain of the test's own: the session's is shared)."""
        self.rpc.request("evm_increaseTime", [int(days * DAY)])
        self.rpc.request("evm_mine")


def admit_cast(client: RegistryClient, cast: Cast = CAST) -> None:
    """Admits the cast's lenders, dealer, insurer and funders (``client`` acts as the
    registrar)."""
    client.admit_participant(cast.lender.address, "lender", "First Auto Bank")
    client.admit_participant(cast.lender2.address, "lender", "Second Credit Union")
    client.admit_participant(cast.dealer.address, "dealer", "Main Street Motors")
    client.admit_participant(cast.insurer.address, "insurer", "Shield Mutual")
    client.admit_participant(cast.funder.address, "funder", "Harbor Warehouse Funding")
    client.admit_participant(cast.funder2.address, "funder", "Keystone Auto Trust 2026-1")


def deploy_registry(node: AnvilNode) -> Registry:
    """Deploys a fresh registry on ``node`` and admits the cast."""
    rpc = connect(node.rpc_url)
    registry = Registry(node, rpc, deploy(rpc, CAST.registrar))
    admit_cast(registry.registrar)
    return registry


@contextmanager
def private_registry(
    *,
    state_file: Path | None = None,
    hardfork: str | None = None,
    genesis_timestamp: int | None = None,
    gas_limit: int | None = None,
) -> Iterator[Registry]:
    """A registry on a new anvil of its own (killed when the block exits); ``state_file``
    keeps the chain across a stop and start of ``registry.node``; ``genesis_timestamp``
    starts its clock in the past; ``gas_limit`` makes its blocks smaller (so bulk work takes
    many transactions)."""
    node_options = {"genesis_timestamp": genesis_timestamp, "gas_limit": gas_limit}
    with ephemeral_anvil(state_file=state_file, hardfork=hardfork, **node_options) as node:
        yield deploy_registry(node)
