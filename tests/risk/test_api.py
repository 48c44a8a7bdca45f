"""The risk routes over an indexed mirror (the router mounted on the API app)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.kit.api import Keys, bearer, risk_app
from tests.kit.chain import CAST
from tests.kit.mirror import Mirror


@pytest.fixture(scope="module")
def api(mirror: Mirror) -> Iterator[tuple[TestClient, Keys]]:
    app, keys = risk_app(mirror)
    with TestClient(app) as client:
        yield client, keys


def test_lender_alerts_and_access(api: tuple[TestClient, Keys]) -> None:
    client, keys = api
    me = CAST.lender2.address
    r = client.get(f"/lenders/{me}/alerts", headers=bearer(keys.lender2))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [a["kind"] for a in body["items"]] == ["double_pledge"]
    assert body["freshness"]["indexed_block"] > 0
    assert client.get(f"/lenders/{me}/alerts", headers=bearer(keys.lender)).status_code == 403
    assert client.get(f"/lenders/{me}/alerts", headers=bearer(keys.dealer)).status_code == 403
    assert client.get(f"/lenders/{me}/alerts").status_code == 401
    assert client.get(f"/lenders/{me}/alerts", headers=bearer(keys.auditor)).status_code == 200
    r = client.get("/alerts?kind=nope", headers=bearer(keys.auditor))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"


def test_all_alerts_filtered_for_a_lender_key(api: tuple[TestClient, Keys]) -> None:
    client, keys = api
    everything = client.get("/alerts", headers=bearer(keys.auditor)).json()["items"]
    kinds = {a["kind"] for a in everything}
    assert {"double_pledge", "missed_payment"} <= kinds
    mine = client.get("/alerts", headers=bearer(keys.lender2)).json()["items"]
    assert mine and all(CAST.lender2.address.lower() in a["lenders"] for a in mine)
    assert len(mine) < len(everything)
    r = client.get("/alerts?kind=missed_payment&severity=warning", headers=bearer(keys.auditor))
    assert r.status_code == 200 and {a["kind"] for a in r.json()["items"]} == {"missed_payment"}


def test_portfolio_and_standing(api: tuple[TestClient, Keys]) -> None:
    client, keys = api
    me = CAST.lender.address
    r = client.get(f"/lenders/{me}/portfolio?stress=2", headers=bearer(keys.lender))
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["loans"] >= 1 and set(report["buckets"]) == {"current", "1-29", "30-59",
                                                               "60-89", "90+"}  # fmt: skip
    assert report["stress"]["stressed"]["factor"] == 2
    assert (
        client.get(f"/lenders/{me}/portfolio?stress=0", headers=bearer(keys.lender)).status_code
        == 422
    )
    r = client.get(f"/lenders/{me}/standing?bucket=1-29", headers=bearer(keys.lender))
    assert r.status_code == 200 and r.json()["items"][0]["dpd"] in (5, 6)


def test_webhooks_managed_by_the_lender_itself(api: tuple[TestClient, Keys]) -> None:
    client, keys = api
    me = CAST.lender.address
    path = f"/lenders/{me}/webhooks"
    r = client.post(path, json={"url": "https://93.184.216.34/hooks"}, headers=bearer(keys.lender))
    assert r.status_code == 201, r.text
    hook = r.json()
    assert hook["secret"].startswith("whsec_") and hook["lender"] == me.lower()
    r = client.post(path, json={"url": "http://169.254.169.254/"}, headers=bearer(keys.lender))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_destination"
    assert (
        client.post(path, json={"url": "ftp://x"}, headers=bearer(keys.lender)).status_code == 422
    )
    assert client.post(path, json={"url": "https://x.example"},
                       headers=bearer(keys.lender2)).status_code == 403  # fmt: skip
    assert client.get(path, headers=bearer(keys.auditor)).status_code == 403
    listed = client.get(path, headers=bearer(keys.lender)).json()["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    r = client.delete(f"{path}/{hook['id']}", headers=bearer(keys.lender))
    assert r.status_code == 200
    assert client.delete(f"{path}/{hook['id']}", headers=bearer(keys.lender)).status_code == 404


def test_an_answer_is_of_one_snapshot(
    api: tuple[TestClient, Keys], mirror: Mirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The indexer commits a block and an alert between the route's read of the mirror state
    and its read of the alerts: the answer shows neither (state and data of one snapshot)."""
    from sqlalchemy import delete, update

    import api.routes.risk as routes
    from registry.db.models import IndexerState
    from registry.enums import AlertKind, Severity
    from registry.risk.alerts import ALERTS, DELIVERIES, NewAlert, store

    client, keys = api
    state = IndexerState.__table__  # type: ignore[attr-defined]
    key = "brand:snapshot-test"
    real = routes.list_alerts

    def commit_then_list(conn: Any, **filters: Any) -> list[dict[str, Any]]:
        with mirror.engine.begin() as indexer:  # another connection, as the indexer's
            indexer.execute(update(state).values(indexed_block=state.c.indexed_block + 1000))
            lenders = [CAST.lender.address]
            store(indexer, [NewAlert(key, AlertKind.BRAND, Severity.INFO, "1HGCM82633A004352",
                                     lenders, 10**6, 0, "committed meanwhile")])  # fmt: skip
        return real(conn, **filters)

    before = client.get("/alerts", headers=bearer(keys.auditor)).json()
    monkeypatch.setattr(routes, "list_alerts", commit_then_list)
    try:
        during = client.get("/alerts", headers=bearer(keys.auditor)).json()
        monkeypatch.undo()
        after = client.get("/alerts", headers=bearer(keys.auditor)).json()
    finally:
        with mirror.engine.begin() as conn:
            conn.execute(delete(DELIVERIES).where(DELIVERIES.c.alert_key == key))
            conn.execute(delete(ALERTS).where(ALERTS.c.key == key))
            conn.execute(update(state).values(indexed_block=before["freshness"]["indexed_block"]))
    block = before["freshness"]["indexed_block"]
    assert during["freshness"]["indexed_block"] == block
    assert [a["key"] for a in during["items"]] == [a["key"] for a in before["items"]]
    assert after["freshness"]["indexed_block"] == block + 1000  # the commit did happen
    assert after["items"][0]["key"] == key
