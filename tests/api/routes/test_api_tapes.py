"""POST /tapes (a CSV upload checked by the tape engine) and GET /funders/{address}/pool/report."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from registry.queries import snapshot_connection
from registry.tapes import check_tape, parse_tape
from tests.kit.api import Keys, bearer
from tests.kit.chain import CAST, Registry
from tests.kit.mirror import Mirror

CSV = {"Content-Type": "text/csv"}


@dataclass(frozen=True)
class Tape:
    csv: bytes
    other_funder_row: int  # the line of the loan pledged to funder2


@pytest.fixture(scope="module")
def tape(registry: Registry, mirror: Mirror) -> Tape:
    """Two loans pledged to the funder (one's balance wrong in the tape), one to funder2."""
    lines = ["loan id,vin,current balance,days past due"]
    for i in range(2):
        vin, _, loan, _ = registry.pledged_loan()
        lines.append(f"{loan},{vin.lower()},{'24000' if i else '25000.00'},0")
    vin, _, loan, _ = registry.pledged_loan(registry.funder2)
    lines.append(f"{loan},{vin},25000,0")
    mirror.index()
    return Tape(("\n".join(lines) + "\n").encode(), 4)


def post(client: TestClient, key: str, body: bytes, **params: str) -> dict:
    r = client.post("/tapes", content=body, params=params, headers={**CSV, **bearer(key)})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_funder_checks_a_tape_against_its_own_pool(
    client: TestClient, keys: Keys, tape: Tape, mirror: Mirror
) -> None:
    body = post(client, keys.funder, tape.csv, name="pool.csv")
    assert body["funder"] == CAST.funder.address.lower() and body["source"] == "pool.csv"
    kinds = sorted((e["row"], e["kind"]) for e in body["exceptions"])
    assert kinds == [(3, "balance_mismatch"), (4, "pledged_elsewhere")]
    elsewhere = body["summary"]["by_kind"]["pledged_elsewhere"]
    assert elsewhere == {"count": 1, "balance_cents": 2_500_000}
    assert body["freshness"]["indexed_block"] == body["block"]
    with snapshot_connection(mirror.engine) as conn:  # the same engine as the CLI: the same id
        same = check_tape(conn, parse_tape(tape.csv), funder=CAST.funder.address.lower())
    assert same.id == body["id"]


def test_lender_and_auditor_keys(client: TestClient, keys: Keys, tape: Tape) -> None:
    mine = post(client, keys.lender, tape.csv)
    assert mine["lender"] == CAST.lender.address.lower() and mine["funder"] is None
    assert [e["kind"] for e in mine["exceptions"]] == ["balance_mismatch"]
    audit = post(client, keys.auditor, tape.csv, funder=CAST.funder2.address)
    assert audit["summary"]["by_kind"]["pledged_elsewhere"]["count"] == 2


def test_who_may_check_what(client: TestClient, keys: Keys, tape: Tape) -> None:
    for key, params, words in (
        (keys.dealer, {}, "needs role"),
        (keys.funder, {"funder": CAST.funder2.address}, "its own pool"),
        (keys.lender, {"lender": CAST.lender2.address}, "its own tapes"),
    ):
        r = client.post("/tapes", content=tape.csv, params=params,
                        headers={**CSV, **bearer(key)})  # fmt: skip
        assert r.status_code == 403 and words in r.text, r.text
    r = client.post("/tapes", content=tape.csv, headers=CSV)
    assert r.status_code == 401


def test_a_file_that_is_not_a_tape_is_a_422_naming_why(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/tapes", content=b"\x89PNG\r\n\x1a\n\xff", headers={**CSV, **bearer(keys.funder)}
    )
    assert r.status_code == 422 and "not a loan tape" in r.text
    bad = b"loan_id,vin,balance\n1,1HGCM82633A004353,10\n"
    r = client.post("/tapes", content=bad, headers={**CSV, **bearer(keys.funder)})
    assert r.status_code == 422 and "row 2" in r.text and "check digit" in r.text


def test_pool_report(client: TestClient, keys: Keys, tape: Tape) -> None:
    url = f"/funders/{CAST.funder.address}/pool/report"
    r = client.get(url, headers=bearer(keys.funder))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["funder"] == CAST.funder.address.lower() and body["loans"] >= 2
    assert list(body["delinquency"]) == ["current", "30-59", "60-89", "90-119", "120+"]
    assert body["freshness"]["indexed_block"] > 0
    assert client.get(url, headers=bearer(keys.funder2)).status_code == 403
    assert client.get(url, headers=bearer(keys.auditor)).status_code == 200
