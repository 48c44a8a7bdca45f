"""?at= on the vehicle routes, the history in words and as downloads, GET /status/digest."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from registry.digest import mirror_digest
from tests.kit.api import Keys, bearer
from tests.kit.books import Book
from tests.kit.mirror import Mirror


def _events(client: TestClient, vin: str, **params: str) -> list[dict]:
    r = client.get(f"/vehicles/{vin}/history", params={"limit": "500", **params})
    assert r.status_code == 200, r.text
    events: list[dict] = r.json()["events"]
    return events


def test_title_check_at_a_past_block_names_it(client: TestClient, book: Book) -> None:
    events = _events(client, book.liened)
    second = next(
        e for e in events if e["event"] == "LienRegistered" and e["lien_id"] == book.lien_second
    )
    before = client.get(
        f"/vehicles/{book.liened}/title-check", params={"at": str(second["block"] - 1)}
    )
    assert before.status_code == 200, before.text
    doc = before.json()
    assert doc["as_of"]["requested"] == str(second["block"] - 1)
    assert doc["as_of"]["block"] == doc["certificate"]["block"]["number"] < second["block"]
    assert [lien["lien_id"] for lien in doc["certificate"]["liens"]] == [book.lien_first]
    at = client.get(f"/vehicles/{book.liened}/title-check", params={"at": str(second["block"])})
    liens = at.json()["certificate"]["liens"]
    assert [(lien["lien_id"], lien["priority"]) for lien in liens] == [
        (book.lien_first, 1), (book.lien_second, 2)]  # fmt: skip
    assert all(lien["log_index"] is not None for lien in liens)
    now = client.get(f"/vehicles/{book.liened}/title-check").json()
    assert "as_of" not in now
    assert [lien["log_index"] for lien in now["certificate"]["liens"]] == [
        lien["log_index"] for lien in liens]  # fmt: skip


def test_liens_history_and_odometer_at(client: TestClient, book: Book) -> None:
    events = _events(client, book.released)
    released = next(e for e in events if e["event"] == "LienReleased")
    at = {"at": str(released["block"] - 1)}
    items = client.get(f"/vehicles/{book.released}/liens", params=at).json()["items"]
    assert [(i["status"], i["priority"], i["holder_name"]) for i in items] == [
        ("ACTIVE", 1, "First Auto Bank")]  # fmt: skip
    after = client.get(f"/vehicles/{book.released}/liens", params={"at": str(released["block"])})
    assert [i["status"] for i in after.json()["items"]] == ["RELEASED"]
    assert after.json()["as_of"]["block"] == released["block"]
    assert [e["event"] for e in _events(client, book.released, **at)] == [
        e["event"] for e in events if e["block"] < released["block"]]  # fmt: skip
    clean = _events(client, book.clean)
    odo = client.get(f"/vehicles/{book.clean}/odometer", params={"at": str(clean[1]["block"])})
    assert [r["reading"] for r in odo.json()["readings"]] == [1_000, 12_500]


def test_out_of_range_moments_are_400(client: TestClient, book: Book) -> None:
    cases = [
        ("2001-01-01", "before the registry's first block"),
        ("2999-12-31T00:00:00Z", "in the future"),
        ("999999999", "in the future"),
    ]
    for at, words in cases:
        r = client.get(f"/vehicles/{book.clean}/title-check", params={"at": at})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "out_of_range" and words in r.json()["error"]["message"]
    r = client.get(f"/vehicles/{book.clean}/liens", params={"at": "yesterday"})
    assert r.status_code == 422


def test_history_in_words_filtered_and_redacted(client: TestClient, book: Book, keys: Keys) -> None:
    anonymous = _events(client, book.liened, kind="loan")
    assert {e["kind"] for e in anonymous} == {"loan"} and anonymous
    assert all("details shown to the lender" in e["summary"] for e in anonymous)
    assert all("450.00" not in str(e) for e in anonymous)
    r = client.get(f"/vehicles/{book.liened}/history", params={"kind": "loan"},
                   headers=bearer(keys.lender))  # fmt: skip
    told = {e["event"]: e for e in r.json()["events"]}
    assert "payment of 450.00" in told["LoanPaymentRecorded"]["summary"]
    liens = _events(client, book.liened, kind="lien")
    assert [e["summary"].endswith(f"priority {i}") for i, e in enumerate(liens, 1)] == [True, True]
    assert "Second Credit Union" in liens[1]["summary"]


def test_history_downloads(client: TestClient, book: Book) -> None:
    r = client.get(f"/vehicles/{book.branded}/history/export", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["event"] == "TitleIssued"
    assert any("Total loss" in row["summary"] and "salvage" in row["summary"] for row in rows)
    js = client.get(f"/vehicles/{book.branded}/history/export").json()
    assert [e["event"] for e in js["events"]] == [row["event"] for row in rows]
    assert js["as_of"] is None and js["block"] >= int(rows[-1]["block"])


def test_status_digest(client: TestClient, mirror: Mirror, keys: Keys) -> None:
    mirror.index()
    doc = client.get("/status/digest").json()
    expected = mirror_digest(mirror.engine)
    assert doc["digest"] == expected.digest and doc["block"] == expected.block
    ask = {"block": "5", "tables": "titles,loans", "rows": "true"}
    past = client.get("/status/digest", params=ask, headers=bearer(keys.auditor))
    assert past.status_code == 200, past.text
    assert set(past.json()["tables"]) == {"titles", "loans"} and "written" in past.json()
    # every row, loans included: an auditor's or the registrar's to read
    assert client.get("/status/digest", params=ask).status_code == 401
    assert client.get("/status/digest", params=ask, headers=bearer(keys.lender)).status_code == 403
    r = client.get("/status/digest", params={"block": str(expected.block + 10_000)})
    assert r.status_code == 400 and r.json()["error"]["code"] == "out_of_range"
