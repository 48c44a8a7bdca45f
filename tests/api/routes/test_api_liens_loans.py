"""Liens by VIN and holder, loans and their timeline, participants."""

from __future__ import annotations

from eth_account import Account
from fastapi.testclient import TestClient

from tests.kit.api import Keys, bearer
from tests.kit.books import Book
from tests.kit.chain import CAST


def test_liens_by_vin(client: TestClient, book: Book) -> None:
    items = client.get(f"/vehicles/{book.liened}/liens").json()["items"]
    assert [i["lien_id"] for i in items] == [book.lien_first, book.lien_second]
    assert items[0]["holder_name"] == "First Auto Bank"
    released = client.get(f"/vehicles/{book.released}/liens").json()["items"]
    assert [i["status"] for i in released] == ["RELEASED"]
    active = client.get(f"/vehicles/{book.released}/liens?active=true").json()["items"]
    assert active == []


def test_liens_by_holder_and_one_lien(client: TestClient, book: Book) -> None:
    holder = CAST.lender2.address
    items = client.get(f"/lienholders/{holder}/liens").json()["items"]
    assert book.lien_second in [i["lien_id"] for i in items]
    one = client.get(f"/liens/{book.lien_first}").json()["record"]
    assert one["vin"] == book.liened
    assert client.get("/liens/999999").status_code == 404
    bad = client.get("/lienholders/0x123/liens")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"


def test_lender_loans_and_timeline(client: TestClient, book: Book, keys: Keys) -> None:
    lender = CAST.lender.address
    r = client.get(f"/lenders/{lender}/loans", headers=bearer(keys.lender))
    assert r.status_code == 200
    loans = r.json()["items"]
    mine = next(i for i in loans if i["loan_id"] == book.loan_id)
    assert mine["state"] == "ACTIVE" and mine["total_paid"] == 45_000
    assert mine["delinquency_bucket"] == "current"
    t = client.get(f"/loans/{book.loan_id}", headers=bearer(keys.lender)).json()
    assert [e["event"] for e in t["events"]] == [
        "LoanOriginated",
        "LoanDisbursed",
        "LoanPaymentRecorded",
    ]
    assert "freshness" in t
    assert client.get("/loans/999999", headers=bearer(keys.auditor)).status_code == 404


def test_participants(client: TestClient) -> None:
    items = client.get("/participants").json()["items"]
    names = {i["name"] for i in items}
    assert {"First Auto Bank", "Main Street Motors", "Shield Mutual"} <= names
    lenders = client.get("/participants?role=lender").json()["items"]
    assert lenders and all(i["role"] == "LENDER" for i in lenders)
    one = client.get(f"/participants/{CAST.dealer.address}").json()["items"]
    assert one[0]["role"] == "DEALER"
    # an address never admitted (the cast's outsider may be admitted by other tests' books)
    assert client.get(f"/participants/{Account.create().address}").status_code == 404
