"""Shared test helpers: who is who on the test chain, a deployed registry, fresh VINs.

Imported as ``tests.registry_kit``; the fixtures that use
these live in ``conftest.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from registry.accounts import dev_account
from registry.chain import AnvilNode
from registry.client import RegistryClient
from registry.contracts import Deployment
from registry.deploy import deploy
from registry.rpc import Transport, connect
from registry.vin import generate_vin


@dataclass(frozen=True)
class Cast:
    """Who is who on the test chain (anvil's dev accounts)."""

    registrar: LocalAccount
    lender: LocalAccount
    lender2: LocalAccount
    dealer: LocalAccount
    insurer: LocalAccount
    owner: LocalAccount
    buyer: LocalAccount
    outsider: LocalAccount


CAST = Cast(*(dev_account(i) for i in range(8)))


@dataclass
class Registry:
    """A deployed registry on a running node, with a client per participant."""

    node: AnvilNode
    rpc: Transport
    deployment: Deployment
    cast: Cast

    def client(self, account: LocalAccount | None) -> RegistryClient:
        return RegistryClient(self.rpc, self.deployment, account)

    @property
    def registrar(self) -> RegistryClient:
        return self.client(self.cast.registrar)


def admit_cast(client: RegistryClient, cast: Cast = CAST) -> None:
    """Admits the cast's lenders, dealer and insurer."""
    client.admit_participant(cast.lender.address, "lender", "First Auto Bank")
    client.admit_participant(cast.lender2.address, "lender", "Second Credit Union")
    client.admit_participant(cast.dealer.address, "dealer", "Main Street Motors")
    client.admit_participant(cast.insurer.address, "insurer", "Shield Mutual")


def deploy_registry(node: AnvilNode) -> Registry:
    """Deploys a fresh registry on ``node`` and admits the cast."""
    rpc = connect(node.rpc_url)
    deployment = deploy(rpc, CAST.registrar)
    reg = Registry(node=node, rpc=rpc, deployment=deployment, cast=CAST)
    admit_cast(reg.registrar)
    return reg


# Seeded from the OS: this module may be imported twice (as conftest and tests.conftest),
# and two copies must not hand out the same VINs on the shared session chain.
_vin_rng = random.Random()
_vins_used: set[str] = set()


def fresh_vin() -> str:
    """A valid VIN never handed out before in this test session."""
    while True:
        vin = generate_vin(_vin_rng)
        if vin not in _vins_used:
            _vins_used.add(vin)
            return vin
