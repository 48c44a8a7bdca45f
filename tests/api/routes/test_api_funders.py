"""A funder's pool, a loan's funder, and the title check's pledged liens."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from registry.certificates import certificate_id, verify_certificate
from tests.kit.api import Keys, bearer
from tests.kit.chain import CAST, Registry
from tests.kit.mirror import Mirror

FUNDER = CAST.funder.address.lower()


@dataclass(frozen=True)
class Pool:
    vin: str  # a lien of the lender securing a loan pledged to the funder, and lender2's lien
    lien_id: int
    loan_id: int
    pledge_id: int
    sold: int  # a loan pledged to the funder, then sold to funder2
    released: int  # a loan pledged to the funder, then released (remittance)


@pytest.fixture(scope="module")
def pool(registry: Registry, mirror: Mirror) -> Pool:
    vin, lien_id, loan_id, pledge_id = registry.pledged_loan()
    registry.lender2.register_lien(vin)
    sold = registry.pledged_loan()[2]
    registry.funder.transfer_pledge(sold, CAST.funder2.address)
    released = registry.pledged_loan()[2]
    registry.funder.release_pledge(released, "remittance")
    mirror.index()
    return Pool(vin, lien_id, loan_id, pledge_id, sold, released)


def test_the_funder_sees_its_pool_with_each_loan_s_state(
    client: TestClient, keys: Keys, pool: Pool
) -> None:
    r = client.get(f"/funders/{CAST.funder.address}/pool?limit=500", headers=bearer(keys.funder))
    assert r.status_code == 200, r.text
    body = r.json()
    items = {i["loan_id"]: i for i in body["items"]}
    assert pool.loan_id in items and pool.sold not in items and pool.released not in items
    mine = items[pool.loan_id]
    assert (mine["pledge_id"], mine["vin"], mine["lien_id"]) == (
        pool.pledge_id, pool.vin, pool.lien_id,
    )  # fmt: skip
    assert mine["state"] == "ACTIVE" and mine["lien_status"] == "ACTIVE"
    assert mine["lien_priority"] == 1 and mine["active_liens"] == 2
    assert mine["lender"] == CAST.lender.address.lower() and mine["delinquency_bucket"] == "current"
    assert body["funder"] == FUNDER and body["total"] >= len(body["items"])
    other = client.get(f"/funders/{CAST.funder2.address}/pool", headers=bearer(keys.funder2))
    assert pool.sold in [i["loan_id"] for i in other.json()["items"]]


def test_a_pool_is_the_funder_s_auditors_and_the_registrar_s(
    client: TestClient, keys: Keys, pool: Pool
) -> None:
    url = f"/funders/{CAST.funder.address}/pool"
    for key in (keys.auditor, keys.registrar):
        assert client.get(url, headers=bearer(key)).status_code == 200
    assert client.get(url, headers=bearer(keys.funder2)).status_code == 403  # another funder
    assert client.get(url, headers=bearer(keys.lender)).status_code == 403  # not a funder key
    assert client.get(url).status_code == 401


def test_a_loan_s_answer_names_its_funder(client: TestClient, keys: Keys, pool: Pool) -> None:
    one = client.get(f"/loans/{pool.loan_id}", headers=bearer(keys.lender)).json()["loan"]
    assert (one["funder"], one["pledge_id"]) == (FUNDER, pool.pledge_id)
    released = client.get(f"/loans/{pool.released}", headers=bearer(keys.lender)).json()["loan"]
    assert released["funder"] is None and released["pledge_id"] is None
    listed = client.get(f"/lenders/{CAST.lender.address}/loans?limit=500",
                        headers=bearer(keys.lender)).json()["items"]  # fmt: skip
    assert {i["loan_id"]: i["funder"] for i in listed}[pool.sold] == CAST.funder2.address.lower()
    # the funder sees the loans pledged to it, not the others
    assert client.get(f"/loans/{pool.loan_id}", headers=bearer(keys.funder)).status_code == 200
    assert client.get(f"/loans/{pool.sold}", headers=bearer(keys.funder)).status_code == 403


def test_the_title_check_says_which_lien_s_loan_is_pledged(
    client: TestClient, registry: Registry, pool: Pool
) -> None:
    doc = client.get(f"/vehicles/{pool.vin}/title-check").json()
    first, second = doc["certificate"]["liens"]
    assert (first["loan_id"], first["pledged_to"]) == (pool.loan_id, FUNDER)
    assert (second["loan_id"], second["pledged_to"]) == (None, None)
    assert all(s.held for s in verify_certificate(doc, registry.client(None)))
    body = {**doc["certificate"], "liens": [{**first, "pledged_to": None}, second]}
    forged = {"certificate_id": certificate_id(body), "certificate": body}
    held = verify_certificate(forged, registry.client(None))
    assert [s.text for s in held if not s.held] == [
        f"lien {pool.lien_id} secures loan {pool.loan_id}, not pledged"
    ]
