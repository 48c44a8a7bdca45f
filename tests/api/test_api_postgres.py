"""The API over a PostgreSQL mirror answers exactly as over SQLite (same certificate ids).

Needs the PostgreSQL server at REGISTRY_TEST_POSTGRES_URL (default: the local one); fails,
does not skip, when it is unreachable.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from registry.auth import create_key
from registry.db import make_engine, migrate
from registry.db.scratch import scratch_database
from registry.indexer import Indexer
from tests.kit.api import api_settings, bearer
from tests.kit.books import Book
from tests.kit.chain import CAST
from tests.kit.mirror import Mirror

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with scratch_database("test_api") as url:  # fails (not skips) if unreachable
        yield url


@pytest.fixture(scope="module")
def pg_client(mirror: Mirror, pg_url: str) -> Iterator[TestClient]:
    migrate(pg_url)
    engine = make_engine(pg_url)
    mirror.index()  # the SQLite mirror and the PostgreSQL one at the same block
    block = int(mirror.registry.rpc.request("eth_blockNumber"), 16)
    Indexer(engine, mirror.registry.rpc, mirror.registry.deployment, confirmations=0).run(
        until_block=block
    )
    with TestClient(create_app(api_settings(mirror, database_url=pg_url), engine=engine)) as c:
        yield c
    engine.dispose()


def test_same_answers_as_sqlite(pg_client: TestClient, client: TestClient, book: Book) -> None:
    for vin in (book.liened, book.branded, book.clean):
        pg = pg_client.get(f"/vehicles/{vin}/title-check").json()
        lite = client.get(f"/vehicles/{vin}/title-check").json()
        if pg["certificate"]["block"] == lite["certificate"]["block"]:
            assert pg["certificate_id"] == lite["certificate_id"]
        assert pg["certificate"]["liens"] == lite["certificate"]["liens"]
        ph = pg_client.get(f"/vehicles/{vin}/history").json()["events"]
        lh = client.get(f"/vehicles/{vin}/history").json()["events"]
        assert [e["tx_hash"] for e in ph][: len(lh)] == [e["tx_hash"] for e in lh][: len(ph)]


def test_keys_and_loans_on_postgres(pg_client: TestClient, book: Book, pg_url: str) -> None:
    with Session(make_engine(pg_url)) as s:
        _, token = create_key(s, "lender", CAST.lender.address)
        s.commit()
    r = pg_client.get(f"/loans/{book.loan_id}", headers=bearer(token))
    assert r.status_code == 200 and r.json()["loan"]["state"] == "ACTIVE"
    assert pg_client.get("/participants").status_code == 200
    assert pg_client.get(f"/vehicles/{book.unknown}/title-check").status_code == 404


def test_risk_answers_on_postgres(pg_client: TestClient, pg_url: str) -> None:
    """The risk routes read state and data in one REPEATABLE READ snapshot there."""
    with Session(make_engine(pg_url)) as s:
        _, token = create_key(s, "lender", CAST.lender.address)
        s.commit()
    block = pg_client.get("/status").json()["indexed_block"]
    lender = CAST.lender.address
    for path in (f"/lenders/{lender}/alerts", "/alerts", f"/lenders/{lender}/standing",
                 f"/lenders/{lender}/portfolio"):  # fmt: skip
        r = pg_client.get(path, headers=bearer(token))
        assert r.status_code == 200, (path, r.text)
        assert r.json()["freshness"]["indexed_block"] == block
