"""The watch routes: any key holder watches VINs (a list or a file) and addresses, reads its
notices, and manages its own webhooks (local URLs refused unless the setting allows them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.kit.api import Keys, api_settings, bearer, indexed_risk_mirror, make_keys
from tests.kit.chain import CAST, Registry
from tests.kit.mirror import Mirror


@pytest.fixture(scope="module")
def watched(
    registry: Registry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Keys, Mirror]]:
    mirror = indexed_risk_mirror(registry, tmp_path_factory.mktemp("watches-api"))
    with TestClient(create_app(api_settings(mirror))) as client:
        yield client, make_keys(mirror, "watches"), mirror


def test_watch_a_vin_and_read_its_notices(
    registry: Registry, watched: tuple[TestClient, Keys, Mirror]
) -> None:
    client, keys, mirror = watched
    dealer = bearer(keys.dealer)
    vin, other = registry.title(), registry.title()
    r = client.post("/watches", json={"vins": [vin.lower()], "label": "trade-in"}, headers=dealer)
    assert r.status_code == 201, r.text
    [made] = [w for w in r.json()["items"] if w["target"] == vin]
    assert (made["kind"], made["label"], made["watcher"]) == (
        "vin",
        "trade-in",
        CAST.dealer.address.lower(),
    )
    lien = registry.lien(vin)
    registry.lien(other)
    mirror.index()

    r = client.get(f"/notices?vin={vin}", headers=dealer)
    assert r.status_code == 200, r.text
    notice, issued = r.json()["items"]  # newest first; the title was not indexed yet either
    assert issued["event"] == "TitleIssued" and issued["id"] < notice["id"]
    assert notice["event"] == "LienRegistered" and notice["args"]["lienId"] == lien
    assert notice["message"] == (
        f"{vin}: Lien {lien} (consumer) registered by First Auto Bank "
        f"({CAST.lender.address.lower()}), priority 1"
    )
    assert notice["state"]["active_liens"][0]["lien_id"] == lien
    assert {"block_number", "tx_hash", "log_index"} <= set(notice)
    assert client.get(f"/notices?vin={other}", headers=dealer).json()["items"] == []
    assert client.get("/notices", headers=bearer(keys.insurer)).json()["items"] == []

    assert client.delete(f"/watches/{made['id']}", headers=bearer(keys.insurer)).status_code == 404
    assert client.delete(f"/watches/{made['id']}", headers=dealer).status_code == 200
    assert client.delete(f"/watches/{made['id']}", headers=dealer).status_code == 404
    assert client.get("/watches").status_code == 401


def test_upload_a_file_of_vins(
    registry: Registry, watched: tuple[TestClient, Keys, Mirror]
) -> None:
    client, keys, _ = watched
    vins = [registry.title(), registry.title()]
    text = "vin,stock number\n" + "\n".join(f"{v},A-{i}" for i, v in enumerate(vins)) + "\n"
    headers = {**bearer(keys.insurer), "Content-Type": "text/plain"}
    r = client.post("/watch-file", content=text, headers=headers)
    assert r.status_code == 201, r.text
    assert [w["target"] for w in r.json()["items"]] == vins
    r = client.post("/watch-file", content="1HGCM82633A004352\nnot-a-vin\n", headers=headers)
    assert r.status_code == 422 and "line 2" in r.json()["error"]["message"]
    assert len(client.get("/watches", headers=bearer(keys.insurer)).json()["items"]) == 2


def test_any_participant_manages_its_webhooks(
    watched: tuple[TestClient, Keys, Mirror], tmp_path: Path
) -> None:
    client, keys, mirror = watched
    auditor = bearer(keys.auditor)
    for url in ("http://127.0.0.1:9000/hook", "http://169.254.169.254/", "http://localhost/x",
                "http://10.0.0.1/x", "http://0x7f000001/x"):  # fmt: skip
        r = client.post("/webhooks", json={"url": url}, headers=auditor)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_destination", url
    r = client.post("/webhooks", json={"url": "https://93.184.216.34/hook"}, headers=auditor)
    assert r.status_code == 201, r.text
    hook = r.json()
    assert (
        hook["secret"].startswith("whsec_") and hook["participant"] == CAST.outsider.address.lower()
    )
    listed = client.get("/webhooks", headers=auditor).json()["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert client.delete(f"/webhooks/{hook['id']}", headers=bearer(keys.dealer)).status_code == 404
    assert client.delete(f"/webhooks/{hook['id']}", headers=auditor).status_code == 200

    local = create_app(api_settings(mirror, webhook_private_urls=True))  # the demo's setting
    with TestClient(local) as allowed:
        r = allowed.post("/webhooks", json={"url": "http://127.0.0.1:9000/hook"}, headers=auditor)
        assert r.status_code == 201, r.text
