"""Title check, history and odometer against a real indexed chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.contracts import write_deployment
from registry.db import migrate
from tests.kit.api import api_settings
from tests.kit.books import Book
from tests.kit.chain import CAST
from tests.kit.mirror import Mirror


def test_clean_title(client: TestClient, book: Book) -> None:
    r = client.get(f"/vehicles/{book.clean}/title-check")
    assert r.status_code == 200
    doc = r.json()
    cert = doc["certificate"]
    assert cert["summary"]["verdict"] == "clean"
    assert cert["liens"] == [] and cert["brands"] == [] and cert["total_loss"] is None
    assert cert["odometer"]["reading"] == 18_200
    assert cert["block"]["hash"].startswith("0x")
    assert doc["certificate_id"].startswith("0x") and len(doc["certificate_id"]) == 66
    assert doc["freshness"]["indexed_block"] == cert["block"]["number"]
    assert r.headers["X-Indexed-Block"] == str(cert["block"]["number"])


def test_liens_in_priority_order_with_names(client: TestClient, book: Book) -> None:
    cert = client.get(f"/vehicles/{book.liened}/title-check").json()["certificate"]
    assert cert["summary"]["verdict"] == "encumbered"
    assert [(lien["lien_id"], lien["priority"]) for lien in cert["liens"]] == [
        (book.lien_first, 1),
        (book.lien_second, 2),
    ]
    assert [lien["holder_name"] for lien in cert["liens"]] == [
        "First Auto Bank",
        "Second Credit Union",
    ]
    assert all(lien["registered_at"] > 0 and lien["tx_hash"] for lien in cert["liens"])


def test_total_loss_brands_salvage(client: TestClient, book: Book) -> None:
    cert = client.get(f"/vehicles/{book.branded}/title-check").json()["certificate"]
    assert cert["summary"]["verdict"] == "total_loss"
    assert [b["brand"] for b in cert["brands"]] == ["SALVAGE"]
    assert cert["brands"][0]["applied_by"] == CAST.insurer.address.lower()
    assert cert["total_loss"]["loss_payee"] == CAST.lender.address.lower()


def test_floor_plan_and_released(client: TestClient, book: Book) -> None:
    fp = client.get(f"/vehicles/{book.floor_plan}/title-check").json()["certificate"]
    assert fp["liens"][0]["floor_plan"] is True
    rel = client.get(f"/vehicles/{book.released}/title-check").json()["certificate"]
    assert rel["summary"]["verdict"] == "clean"


def test_certificate_is_stable_across_requests(client: TestClient, book: Book) -> None:
    a = client.get(f"/vehicles/{book.liened}/title-check").json()
    b = client.get(f"/vehicles/{book.liened.lower()}/title-check").json()
    assert a["certificate_id"] == b["certificate_id"]


@pytest.mark.parametrize(
    ("vin", "reason"),
    [
        ("1HGCM8263", "length"),
        ("1HGCM82633A00O352", "character"),
        ("1HGCM82643A004352", "check_digit"),
    ],
)
def test_invalid_vin_names_the_problem(client: TestClient, vin: str, reason: str) -> None:
    for path in ("title-check", "history", "odometer", "liens"):
        r = client.get(f"/vehicles/{vin}/{path}")
        assert r.status_code == 422
        err = r.json()["error"]
        assert err["code"] == "invalid_vin"
        assert err["details"]["reason"] == reason
        assert err["message"]


def test_unknown_vin_is_404(client: TestClient, book: Book) -> None:
    for path in ("title-check", "history", "odometer"):
        r = client.get(f"/vehicles/{book.unknown}/{path}")
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"


def test_history_in_chain_order_paginated(client: TestClient, book: Book) -> None:
    vin = book.liened
    everything = client.get(f"/vehicles/{vin}/history?limit=500").json()
    events = everything["events"]
    names = [e["event"] for e in events]
    assert names[0] == "TitleIssued"
    assert {"LienRegistered", "LoanOriginated", "LoanPaymentRecorded"} <= set(names)
    order = [(e["block"], e["log_index"]) for e in events]
    assert order == sorted(order)
    assert all(e["tx_hash"] and e["time"] and "actor" in e for e in events)
    pages, cursor = [], None
    while True:
        q = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = client.get(f"/vehicles/{vin}/history{q}").json()
        pages.extend(page["events"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [(e["block"], e["log_index"]) for e in pages] == order
    bad = client.get(f"/vehicles/{vin}/history?cursor=nonsense")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"


def test_history_redacts_loan_details_for_the_public(client: TestClient, book: Book) -> None:
    events = client.get(f"/vehicles/{book.liened}/history").json()["events"]
    loan_events = [e for e in events if e["kind"] == "loan"]
    assert loan_events and all(e["args"] == {"redacted": True} for e in loan_events)


def test_odometer_series(client: TestClient, book: Book) -> None:
    r = client.get(f"/vehicles/{book.clean}/odometer").json()
    assert [p["reading"] for p in r["readings"]] == [1_000, 12_500, 18_200]


def test_status_and_unknown_route(client: TestClient) -> None:
    s = client.get("/status").json()
    assert s["indexed_block"] >= 1 and s["head"] >= s["indexed_block"]
    assert s["chain_reachable"] is True and s["stale"] is False
    r = client.get("/no/such/thing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/liens/notanumber")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_rate_limit_429_with_retry_after(mirror: Mirror, book: Book) -> None:
    app = create_app(api_settings(mirror, rate_limit_per_second=1, rate_limit_burst=3))
    with TestClient(app) as c:
        codes = [c.get(f"/vehicles/{book.clean}/title-check").status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[-1] == 429
        r = c.get(f"/vehicles/{book.clean}/history")
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) >= 1
        assert r.json()["error"]["code"] == "rate_limited"
        assert c.get("/status").status_code == 200  # status is never limited


def test_reads_go_on_marked_stale_when_node_is_down(mirror: Mirror, book: Book) -> None:
    app = create_app(api_settings(mirror, rpc_url="http://127.0.0.1:9"))
    with TestClient(app) as c:
        r = c.get(f"/vehicles/{book.liened}/title-check")
        assert r.status_code == 200
        assert r.json()["freshness"]["stale"] is True
        assert r.json()["freshness"]["chain_reachable"] is False
        assert r.headers["X-Stale"] == "true"


def test_empty_mirror_is_503_and_status_still_answers(
    mirror: Mirror, book: Book, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    migrate(url)
    with TestClient(create_app(api_settings(mirror, database_url=url))) as c:
        r = c.get(f"/vehicles/{book.clean}/title-check")
        assert r.status_code == 503 and r.json()["error"]["code"] == "mirror_not_ready"
        s = c.get("/status")
        assert s.status_code == 200 and s.json()["indexed_block"] is None
        assert s.json()["stale"] is True


def test_mirror_of_another_registry_is_refused(mirror: Mirror, book: Book, tmp_path: Path) -> None:
    from dataclasses import replace

    other = tmp_path / "deployments.json"
    write_deployment(other, replace(mirror.registry.deployment, registry="0x" + "12" * 20))
    with TestClient(create_app(api_settings(mirror, deployments_file=other))) as c:
        r = c.get(f"/vehicles/{book.clean}/title-check")
        assert r.status_code == 500 and r.json()["error"]["code"] == "configuration_error"
        assert "indexes the registry" in r.json()["error"]["message"]
