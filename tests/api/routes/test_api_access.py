"""Each role's key against each protected endpoint: allowed and refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.kit.api import Keys, bearer
from tests.kit.books import Book
from tests.kit.chain import CAST
from tests.kit.mirror import Mirror


def _loan_paths(book: Book) -> list[str]:
    return [
        f"/lenders/{CAST.lender.address}/loans",
        f"/loans/{book.loan_id}",
    ]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("lender", True),  # the loan's own lender
        ("auditor", True),
        ("registrar", True),
        ("lender2", False),  # another lender
        ("dealer", False),
        ("insurer", False),
    ],
)
def test_loan_data_visibility(
    client: TestClient, book: Book, keys: Keys, role: str, allowed: bool
) -> None:
    for path in _loan_paths(book):
        r = client.get(path, headers=bearer(getattr(keys, role)))
        assert r.status_code == (200 if allowed else 403), (role, path, r.text)
        if not allowed:
            assert r.json()["error"]["code"] == "unauthorized"


def test_loan_data_needs_a_key(client: TestClient, book: Book) -> None:
    for path in _loan_paths(book):
        r = client.get(path)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthenticated"
        assert r.headers["WWW-Authenticate"] == "Bearer"
        bad = client.get(path, headers=bearer("vcr_nope_nope"))
        assert bad.status_code == 401


def test_x_api_key_header_works_too(client: TestClient, book: Book, keys: Keys) -> None:
    r = client.get(f"/loans/{book.loan_id}", headers={"X-API-Key": keys.auditor})
    assert r.status_code == 200


def test_history_shows_loan_details_to_entitled_callers(
    client: TestClient, book: Book, keys: Keys
) -> None:
    path = f"/vehicles/{book.liened}/history"
    for role, visible in (("lender", True), ("auditor", True), ("lender2", False)):
        events = client.get(path, headers=bearer(getattr(keys, role))).json()["events"]
        payment = next(e for e in events if e["event"] == "LoanPaymentRecorded")
        assert ("amount" in payment["args"]) is visible, role


def test_public_reads_need_no_key(client: TestClient, book: Book) -> None:
    for path in (
        f"/vehicles/{book.liened}/title-check",
        f"/vehicles/{book.liened}/history",
        f"/vehicles/{book.liened}/liens",
        f"/lienholders/{CAST.lender.address}/liens",
        "/participants",
        "/status",
    ):
        assert client.get(path).status_code == 200, path


WRITES = [
    ("registrar", "post", "/titles", {"vin": "1HGCM82633A004352", "owner": "0x" + "11" * 20}),
    ("registrar", "post", "/vehicles/1HGCM82633A004352/brands", {"brand": "flood"}),
    ("lender", "post", "/liens", {"vin": "1HGCM82633A004352"}),
    ("lender", "post", "/liens/1/release", None),
    ("lender", "post", "/loans/1/events", {"type": "default"}),
    (
        "dealer",
        "post",
        "/vehicles/1HGCM82633A004352/sales",
        {"buyer": "0x" + "11" * 20, "sale_ref": "0x" + "00" * 32},
    ),
    ("insurer", "post", "/claims/1/total-loss", {"flood": False}),
]


@pytest.mark.parametrize(("needed", "method", "path", "body"), WRITES)
def test_writes_refuse_other_roles(
    client: TestClient, keys: Keys, needed: str, method: str, path: str, body: object
) -> None:
    assert client.request(method, path, json=body).status_code == 401
    for role in ("registrar", "lender", "dealer", "insurer", "auditor"):
        if role == needed:
            continue
        r = client.request(method, path, json=body, headers=bearer(getattr(keys, role)))
        assert r.status_code == 403, (role, path, r.text)
        assert r.json()["error"]["code"] == "unauthorized"


def test_revoked_key_is_refused(client: TestClient, mirror: Mirror, book: Book) -> None:
    from sqlmodel import Session

    from registry.auth import create_key, revoke_key

    with Session(mirror.engine) as s:
        key, token = create_key(s, "auditor", CAST.outsider.address, "temp")
        s.commit()
        assert client.get(f"/loans/{book.loan_id}", headers=bearer(token)).status_code == 200
        revoke_key(s, key.key_id)
        s.commit()
    r = client.get(f"/loans/{book.loan_id}", headers=bearer(token))
    assert r.status_code == 401 and "revoked" in r.json()["error"]["message"]
