"""What building and starting the app does to the process: nothing, unless it is serving."""

from __future__ import annotations

import gc

import pytest
from fastapi.testclient import TestClient

from api.main import app_from_env, create_app
from tests.kit.api import api_settings
from tests.kit.mirror import Mirror

SERVING_THRESHOLD = (20_000, 20, 20)


def test_creating_and_starting_the_app_leaves_the_gc_alone(mirror: Mirror) -> None:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    assert threshold != SERVING_THRESHOLD
    with TestClient(create_app(api_settings(mirror))) as client:
        assert client.get("/status").status_code == 200
        assert gc.get_threshold() == threshold
        assert gc.get_freeze_count() == frozen
    assert gc.get_threshold() == threshold


@pytest.fixture
def serving_env(mirror: Mirror, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment `registry serve` builds its app from (``app_from_env``)."""
    for name, value in {
        "REGISTRY_DATA_DIR": str(mirror.data_dir),
        "REGISTRY_DATABASE_URL": mirror.url,
        "REGISTRY_RPC_URL": mirror.registry.node.rpc_url,
        "REGISTRY_DEPLOYMENTS_FILE": str(mirror.data_dir / "deployments.json"),
    }.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("serving_env")
def test_serving_tunes_the_gc_unless_told_not_to(monkeypatch: pytest.MonkeyPatch) -> None:
    threshold = gc.get_threshold()
    try:
        with TestClient(app_from_env()) as client:
            assert client.get("/status").status_code == 200
            assert gc.get_threshold() == SERVING_THRESHOLD
            assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
    monkeypatch.setenv("REGISTRY_TUNE_GC", "false")
    with TestClient(app_from_env()):
        assert gc.get_threshold() == threshold
