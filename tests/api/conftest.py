"""A real indexed chain for the API tests: anvil, deployed registry, a book of vehicles, the
indexer run into a temporary SQLite, and the API over it (TestClient or a real uvicorn)."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.config import ApiSettings
from api.main import create_app
from registry.accounts import dev_account
from registry.auth import create_key
from registry.config import PROJECT_ROOT
from registry.contracts import write_deployment
from registry.db import make_engine, migrate
from registry.indexer import Indexer
from registry.vin import generate_vin

ZERO32 = b"\x00" * 32
# The root conftest's cast (anvil dev accounts 0-7); a site-packages `tests` package shadows
# `tests.conftest`, so it is restated here rather than imported.
Registry = Any


@dataclass(frozen=True)
class Cast:
    registrar: Any
    lender: Any
    lender2: Any
    dealer: Any
    insurer: Any
    owner: Any
    buyer: Any
    outsider: Any


CAST = Cast(*(dev_account(i) for i in range(8)))
_rng = random.Random(4_2026_11_29)


def fresh_vin() -> str:
    """A valid VIN from this module's own sequence (the root conftest uses another seed)."""
    return generate_vin(_rng)


def h32(n: int) -> bytes:
    return n.to_bytes(32, "big")


@dataclass
class Book:
    """The vehicles the API tests look at, each in a known state."""

    clean: str  # title, two odometer readings, nothing else
    liened: str  # two liens (lender first, lender2 second), a loan with a payment
    branded: str  # policy, claim, total loss (salvage) declared by the insurer
    floor_plan: str  # dealer stock under a floor-plan lien, sold out of trust
    released: str  # a lien registered then released: clean again
    unknown: str  # a valid VIN never titled
    lien_first: int
    lien_second: int
    loan_id: int


def make_book(reg: Registry) -> Book:
    c = CAST
    registrar, lender, lender2 = reg.registrar, reg.client(c.lender), reg.client(c.lender2)
    dealer, insurer = reg.client(c.dealer), reg.client(c.insurer)
    vins = [fresh_vin() for _ in range(6)]
    clean, liened, branded, floor_plan, released, unknown = vins
    for vin, owner in ((clean, c.owner), (liened, c.owner), (branded, c.owner),
                       (floor_plan, c.dealer), (released, c.owner)):  # fmt: skip
        registrar.issue_title(vin, owner.address, 1_000)
    dealer.record_odometer(clean, 12_500)
    dealer.record_odometer(clean, 18_200)
    first = lender.register_lien(liened)
    second = lender2.register_lien(liened)
    loan_id = lender.originate_loan(first, h32(1), h32(2), h32(3))
    lender.record_disbursement(loan_id, 2_000_000)
    lender.record_payment(loan_id, 45_000, h32(4))
    policy = insurer.record_policy(branded, c.lender.address, h32(5), 2_000_000_000)
    claim = insurer.file_claim(policy, h32(6), 900_000)
    insurer.declare_total_loss(claim)
    lender.register_lien(floor_plan, floor_plan=True)
    dealer.record_sale(floor_plan, c.buyer.address, h32(7))
    rel = lender.register_lien(released)
    lender.release_lien(rel)
    return Book(clean, liened, branded, floor_plan, released, unknown, first, second, loan_id)


@dataclass
class Mirror:
    """The chain and its SQL mirror, with the settings an API instance needs."""

    reg: Registry
    engine: Engine
    db_url: str
    data_dir: Path
    book: Book

    def settings(self, **overrides: object) -> ApiSettings:
        values: dict[str, object] = {
            "data_dir": self.data_dir,
            "database_url": self.db_url,
            "rpc_url": self.reg.node.rpc_url,
            "deployments_file": self.data_dir / "deployments.json",
            "rate_limit_per_second": 0,
            "head_poll_interval": 0.2,
        }
        values.update(overrides)
        return ApiSettings(**values)  # type: ignore[arg-type]

    def index(self) -> None:
        """Brings the mirror up to the chain head."""
        Indexer(self.engine, self.reg.w3, self.reg.deployment, confirmations=0).run(until_head=True)

    def key(self, role: str, participant: str, label: str = "test") -> str:
        with Session(self.engine) as session:
            _, token = create_key(session, role, participant, label)
            session.commit()
        return token


@pytest.fixture(scope="session")
def mirror(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    data_dir = tmp_path_factory.mktemp("api-mirror")
    write_deployment(data_dir / "deployments.json", registry.deployment)
    db_url = f"sqlite:///{data_dir / 'registry.sqlite'}"
    migrate(db_url)
    m = Mirror(registry, make_engine(db_url), db_url, data_dir, make_book(registry))
    m.index()
    return m


@pytest.fixture(scope="session")
def app(mirror: Mirror) -> FastAPI:
    return create_app(mirror.settings())


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@dataclass(frozen=True)
class Keys:
    """One API key per role, each bound to the cast member playing it."""

    registrar: str
    lender: str
    lender2: str
    dealer: str
    insurer: str
    auditor: str


@pytest.fixture(scope="session")
def keys(mirror: Mirror) -> Keys:
    c = CAST
    return Keys(
        registrar=mirror.key("registrar", c.registrar.address),
        lender=mirror.key("lender", c.lender.address),
        lender2=mirror.key("lender", c.lender2.address),
        dealer=mirror.key("dealer", c.dealer.address),
        insurer=mirror.key("insurer", c.insurer.address),
        auditor=mirror.key("auditor", c.outsider.address),
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_server(mirror: Mirror) -> Iterator[str]:
    """The API under a real uvicorn (production settings) on a free localhost port."""
    port = free_port()
    env = {
        **os.environ,
        "REGISTRY_DATA_DIR": str(mirror.data_dir),
        "REGISTRY_DATABASE_URL": mirror.db_url,
        "REGISTRY_RPC_URL": mirror.reg.node.rpc_url,
        "REGISTRY_DEPLOYMENTS_FILE": str(mirror.data_dir / "deployments.json"),
        "REGISTRY_API_PORT": str(port),
        "REGISTRY_RATE_LIMIT_PER_SECOND": "0",
    }
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "registry"), "serve"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/status", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.stdout.read().decode() if proc.stdout else ""
            proc.kill()
            raise RuntimeError(f"`registry serve` did not come up:\n{out}")
        time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
