"""A real indexed chain for the API tests: anvil, deployed registry, a book of vehicles, the
indexer run into a temporary SQLite, and the API over it (TestClient or a real uvicorn)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from registry.config import PROJECT_ROOT
from registry.contracts import write_deployment
from registry.db import make_engine, migrate
from tests.api.api_kit import CAST, Keys, Mirror, Registry, free_port, make_book


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
