"""The API side of the test kit: settings and keys over a mirror, and the ways to serve it.

:func:`api_settings` points an API instance at a :class:`~tests.kit.mirror.Mirror`;
:func:`make_keys` gives each role a key bound to the cast member playing it; the app runs
in-process (``TestClient``), under uvicorn in a thread (:func:`uvicorn_thread`), or as the
real ``registry serve`` process (:func:`registry_serve`); :func:`served` is the uvicorn one
over a mirror, with its keys. :func:`risk_app` is the risk tests' instance: a mirror holding
a double pledge and a late loan; :func:`indexed_risk_mirror` a fresh risk mirror, indexed.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from api.config import ApiSettings
from api.main import create_app
from registry.chain import free_port
from registry.config import PROJECT_ROOT
from tests.kit.books import make_loan
from tests.kit.chain import Registry
from tests.kit.cli import REGISTRY, registry_env
from tests.kit.mirror import Mirror


def api_settings(mirror: Mirror, **overrides: object) -> ApiSettings:
    """Settings of an API over ``mirror`` and its chain (no rate limit unless overridden)."""
    values: dict[str, object] = {
        "data_dir": mirror.data_dir,
        "database_url": mirror.url,
        "rpc_url": mirror.registry.node.rpc_url,
        "deployments_file": mirror.data_dir / "deployments.json",
        "rate_limit_per_second": 0,
        "head_poll_interval": 0.2,
    }
    values.update(overrides)
    return ApiSettings(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Keys:
    """One API key per role, each bound to the cast member playing it."""

    registrar: str
    lender: str
    lender2: str
    dealer: str
    insurer: str
    auditor: str
    funder: str
    funder2: str


def make_keys(mirror: Mirror, label: str = "test") -> Keys:
    """A key per role in ``mirror`` (the auditor is the cast's outsider)."""
    c = mirror.registry.cast
    return Keys(
        registrar=mirror.key("registrar", c.registrar.address, label),
        lender=mirror.key("lender", c.lender.address, label),
        lender2=mirror.key("lender", c.lender2.address, label),
        dealer=mirror.key("dealer", c.dealer.address, label),
        insurer=mirror.key("insurer", c.insurer.address, label),
        auditor=mirror.key("auditor", c.outsider.address, label),
        funder=mirror.key("funder", c.funder.address, label),
        funder2=mirror.key("funder", c.funder2.address, label),
    )


def bearer(token: str) -> dict[str, str]:
    """The Authorization header carrying ``token``."""
    return {"Authorization": f"Bearer {token}"}


def risk_app(mirror: Mirror) -> tuple[FastAPI, Keys]:
    """The API (risk router included) over a risk ``mirror`` to which this adds a double
    pledge and a loan five days late, indexed; with a key per role."""
    chain = mirror.registry
    vin = chain.title()
    chain.lender.register_lien(vin)
    chain.lender2.register_lien(vin)
    make_loan(mirror, chain.title(), first_due_in_days=-5)
    chain.advance(2 / 24)  # past the loan's settling hour
    mirror.index()
    return create_app(api_settings(mirror)), make_keys(mirror, "risk")


def indexed_risk_mirror(registry: Registry, directory: Path) -> Mirror:
    """A mirror of ``registry`` in ``directory`` with the risk hooks, indexed to the head."""
    mirror = Mirror.create(registry, directory, risk=True)
    mirror.index()
    return mirror


def _wait_for(url: str, alive: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if not alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up")
        time.sleep(0.1)


@contextmanager
def uvicorn_thread(app: FastAPI) -> Iterator[str]:
    """``app`` under uvicorn in a thread on a free localhost port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url + "/status", thread.is_alive, "uvicorn")
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def served(mirror: Mirror, label: str) -> Iterator[tuple[str, Keys]]:
    """The API over ``mirror`` under uvicorn in a thread: (base URL, keys labelled ``label``)."""
    with uvicorn_thread(create_app(api_settings(mirror))) as url:
        yield url, make_keys(mirror, label)


@contextmanager
def registry_serve(mirror: Mirror) -> Iterator[str]:
    """The real ``registry serve`` process (production settings) over ``mirror`` on a free
    localhost port; yields its base URL."""
    port = free_port()
    env = registry_env(
        data_dir=mirror.data_dir,
        database_url=mirror.url,
        rpc_url=mirror.registry.node.rpc_url,
        deployments_file=mirror.data_dir / "deployments.json",
        api_port=port,
        rate_limit_per_second=0,
    )
    proc = subprocess.Popen(
        [str(REGISTRY), "serve"], cwd=PROJECT_ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            _wait_for(url + "/status", lambda: proc.poll() is None, "`registry serve`")
        except RuntimeError:
            proc.kill()
            out = proc.stdout.read().decode() if proc.stdout else ""
            raise RuntimeError(f"`registry serve` did not come up:\n{out}") from None
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
