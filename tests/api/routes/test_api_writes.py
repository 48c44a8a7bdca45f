"""Writes signed with the instance's own key; refusals decoded; node down -> 503."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.kit.api import Keys, api_settings, bearer
from tests.kit.books import Book
from tests.kit.chain import CAST
from tests.kit.mirror import Mirror
from tests.kit.vins import fresh_vin


def _instance(mirror: Mirror, dev_account: int, **overrides: object) -> TestClient:
    return TestClient(create_app(api_settings(mirror, dev_account=dev_account, **overrides)))


@pytest.fixture(scope="module")
def instances(mirror: Mirror) -> Iterator[dict[str, TestClient]]:
    clients = {
        "registrar": _instance(mirror, 0),
        "lender": _instance(mirror, 1),
        "dealer": _instance(mirror, 3),
        "insurer": _instance(mirror, 4),
    }
    yield clients
    for c in clients.values():
        c.close()


H32 = "0x" + "00" * 31 + "01"


def test_lifecycle_through_the_api(
    instances: dict[str, TestClient], keys: Keys, mirror: Mirror
) -> None:
    vin = fresh_vin()
    reg, lender, dealer = instances["registrar"], instances["lender"], instances["dealer"]
    r = reg.post(
        "/titles",
        json={"vin": vin, "owner": CAST.dealer.address, "odometer": 10},
        headers=bearer(keys.registrar),
    )
    assert r.status_code == 201, r.text
    assert r.json()["record"]["owner"] == CAST.dealer.address
    assert r.json()["tx"]["events"][0]["event"] == "TitleIssued"

    r = lender.post("/liens", json={"vin": vin, "floor_plan": True}, headers=bearer(keys.lender))
    assert r.status_code == 201, r.text
    lien_id = r.json()["record"]["lien_id"]
    assert r.json()["record"]["floor_plan"] is True and r.json()["record"]["priority"] == 1

    r = lender.post(
        "/loans",
        json={"lien_id": lien_id, "loan_ref": H32, "terms_hash": H32, "schedule_hash": H32},
        headers=bearer(keys.lender),
    )
    assert r.status_code == 201, r.text
    loan_id = r.json()["record"]["loan_id"]
    r = lender.post(
        f"/loans/{loan_id}/events",
        json={"type": "disbursement", "amount_cents": 100_00},
        headers=bearer(keys.lender),
    )
    assert r.status_code == 201 and r.json()["record"]["state"] == "ACTIVE"
    r = lender.post(
        f"/loans/{loan_id}/events", json={"type": "payment"}, headers=bearer(keys.lender)
    )
    assert r.status_code == 422 and "amount_cents" in r.json()["error"]["message"]

    r = dealer.post(
        f"/vehicles/{vin}/sales",
        json={"buyer": CAST.buyer.address, "sale_ref": H32},
        headers=bearer(keys.dealer),
    )
    assert r.status_code == 201, r.text
    sale = next(e for e in r.json()["tx"]["events"] if e["event"] == "SaleRecorded")
    assert sale["args"]["floorPlanLienId"] == lien_id  # sold out of trust

    mirror.index()
    check = reg.get(f"/vehicles/{vin}/title-check").json()["certificate"]
    assert [x["lien_id"] for x in check["liens"]] == [lien_id]


def test_contract_refusals_come_back_decoded(
    instances: dict[str, TestClient], keys: Keys, book: Book
) -> None:
    reg, lender = instances["registrar"], instances["lender"]
    body = {"vin": book.clean, "owner": CAST.owner.address}
    r = reg.post("/titles", json=body, headers=bearer(keys.registrar))
    assert r.status_code == 409
    err = r.json()["error"]
    assert "already has a title" in err["message"]
    assert err["details"]["reason"] == "RegistryTitleExists"
    # lien_second is held by lender2: this instance (lender) may not release it
    r = lender.post(f"/liens/{book.lien_second}/release", headers=bearer(keys.lender))
    assert r.status_code == 403
    assert r.json()["error"]["details"]["reason"] == "RegistryNotLienholder"
    r = lender.post("/liens/987654/release", headers=bearer(keys.lender))
    assert r.status_code == 404


def test_key_must_belong_to_the_instance(
    instances: dict[str, TestClient], keys: Keys, book: Book
) -> None:
    r = instances["lender"].post("/liens", json={"vin": book.clean}, headers=bearer(keys.lender2))
    assert r.status_code == 403 and "signs as" in r.json()["error"]["message"]


def test_invalid_vin_in_a_write(instances: dict[str, TestClient], keys: Keys) -> None:
    r = instances["lender"].post("/liens", json={"vin": "ABC"}, headers=bearer(keys.lender))
    assert r.status_code == 422 and r.json()["error"]["details"]["reason"] == "length"


def test_writes_503_when_node_down_reads_go_on(mirror: Mirror, book: Book, keys: Keys) -> None:
    with _instance(mirror, 1, rpc_url="http://127.0.0.1:9") as down:
        r = down.post("/liens", json={"vin": book.clean}, headers=bearer(keys.lender))
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "chain_unavailable"
        read = down.get(f"/vehicles/{book.clean}/title-check")
        assert read.status_code == 200 and read.json()["freshness"]["stale"] is True


def test_instance_without_key_refuses_writes(client: TestClient, keys: Keys) -> None:
    r = client.post("/liens", json={"vin": "1HGCM82633A004352"}, headers=bearer(keys.lender))
    assert r.status_code == 500 and r.json()["error"]["code"] == "configuration_error"


def test_registrar_admits_and_removes_participants(
    instances: dict[str, TestClient], keys: Keys, mirror: Mirror
) -> None:
    from registry.accounts import dev_account

    newcomer = dev_account(9).address
    reg = instances["registrar"]
    body = {"address": newcomer, "role": "dealer", "name": "Late Night Autos"}
    r = reg.post("/participants", json=body, headers=bearer(keys.registrar))
    assert r.status_code == 201, r.text
    assert r.json()["record"]["active"] is True
    r = instances["lender"].post("/participants", json=body, headers=bearer(keys.lender))
    assert r.status_code == 403
    mirror.index()
    found = reg.get(f"/participants/{newcomer}").json()["items"]
    assert found[0]["name"] == "Late Night Autos"
    r = reg.post(
        f"/participants/{newcomer}/removal", json={"role": "dealer"}, headers=bearer(keys.registrar)
    )
    assert r.status_code == 201 and r.json()["record"]["active"] is False
