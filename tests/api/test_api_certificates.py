"""A saved certificate verifies against the chain alone; one altered statement does not.

(Lives under tests/api/ because it needs the indexed-chain fixtures of tests/api/conftest.py.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from registry.certificates import certificate_id, verify_certificate
from registry.cli.certificate import certificate as certificate_cli
from registry.client import RegistryClient
from tests.kit.books import Book
from tests.kit.chain import CAST
from tests.kit.mirror import Mirror


def _save(client: TestClient, vin: str, path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = client.get(f"/vehicles/{vin}/title-check").json()
    path.write_text(json.dumps(doc, indent=2))
    return doc


def _verify(mirror: Mirror, path: Path) -> Any:
    env = {
        "REGISTRY_RPC_URL": mirror.registry.node.rpc_url,
        "REGISTRY_DEPLOYMENTS_FILE": str(mirror.data_dir / "deployments.json"),
    }
    from registry.config import get_settings

    get_settings.cache_clear()
    try:
        return CliRunner().invoke(certificate_cli, ["verify", str(path)], env=env)
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("which", ["clean", "liened", "branded", "floor_plan"])
def test_saved_certificate_verifies(
    client: TestClient, mirror: Mirror, book: Book, tmp_path: Path, which: str
) -> None:
    path = tmp_path / "cert.json"
    _save(client, getattr(book, which), path)
    result = _verify(mirror, path)
    assert result.exit_code == 0, result.output
    assert "FAILED" not in result.output and "statements hold" in result.output


def _altered(doc: dict[str, Any], change: str, reseal: bool) -> dict[str, Any]:
    body = json.loads(json.dumps(doc["certificate"]))
    if change == "owner":
        body["title"]["owner"] = "0x" + "ab" * 20
    elif change == "lien_order":
        body["liens"].reverse()
    elif change == "block_hash":
        body["block"]["hash"] = "0x" + "00" * 32
    elif change == "odometer":
        body["odometer"]["reading"] += 1
    elif change == "holder_name":
        body["liens"][0]["holder_name"] = "Someone Else Bank"
    return {
        "certificate_id": certificate_id(body) if reseal else doc["certificate_id"],
        "certificate": body,
    }


@pytest.mark.parametrize("change", ["owner", "lien_order", "block_hash", "odometer", "holder_name"])
def test_altered_statement_fails(
    client: TestClient, mirror: Mirror, book: Book, tmp_path: Path, change: str
) -> None:
    doc = _save(client, book.liened, tmp_path / "orig.json")
    # resealed: the id matches, so only the altered statement itself can fail
    path = tmp_path / "altered.json"
    path.write_text(json.dumps(_altered(doc, change, reseal=True)))
    result = _verify(mirror, path)
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if "FAILED" in line]
    assert len(failed) >= 1
    # not resealed: the id check fails too
    stmts = verify_certificate(
        _altered(doc, change, reseal=False),
        RegistryClient(mirror.registry.rpc, mirror.registry.deployment),
    )
    assert not stmts[0].held and "hash of its body" in stmts[0].text


def test_certificate_still_verifies_after_new_blocks(
    client: TestClient, mirror: Mirror, book: Book, tmp_path: Path
) -> None:
    """A certificate speaks of its block: later changes on chain do not falsify it."""
    path = tmp_path / "cert.json"
    _save(client, book.released, path)
    dealer = mirror.registry.client(CAST.dealer)
    dealer.record_odometer(book.released, 25_000)
    assert _verify(mirror, path).exit_code == 0


def test_unreadable_file_is_a_clear_error(tmp_path: Path, mirror: Mirror) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    result = _verify(mirror, bad)
    assert result.exit_code != 0
