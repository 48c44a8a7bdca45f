"""Mirror digests: equal on SQLite and PostgreSQL mirrors of one chain (now and at past
blocks, whatever height each mirror reached), a tampered row found by `compare` at the block
that wrote it (through a database URL and through another instance's API), unchanged by a
reorg that is undone and re-indexed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from api.main import create_app
from registry.audit import fresh_index
from registry.compare import ApiSource, DatabaseSource, compare
from registry.digest import mirror_digest
from registry.errors import InvalidInput, OutOfRange
from tests.kit.api import api_settings, uvicorn_thread
from tests.kit.books import populate, random_actions, safely
from tests.kit.chain import Registry, private_registry
from tests.kit.cli import registry_env, run_registry
from tests.kit.follower import Follower
from tests.kit.mirror import Mirror, migrated_engine


@pytest.fixture(scope="module")
def chain() -> Any:
    with private_registry() as reg:
        ids = populate(reg)
        yield reg, ids


@pytest.fixture(scope="module")
def lite(chain: Any, tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    m = Mirror.create(chain[0], tmp_path_factory.mktemp("digest-sqlite"))
    m.index()
    return m


@pytest.fixture
def pg(chain: Any, pg_url: str, tmp_path: Path) -> Mirror:
    m = Mirror.create(chain[0], tmp_path / "pg", pg_url)
    m.index()
    return m


def _head(reg: Registry) -> int:
    return int(reg.rpc.request("eth_blockNumber", []), 16)


def test_equal_on_sqlite_postgres_and_a_fresh_index_now_and_in_the_past(
    chain: Any, lite: Mirror, pg: Mirror, tmp_path: Path
) -> None:
    reg = chain[0]
    now = mirror_digest(lite.engine)
    assert now.block == _head(reg)
    assert mirror_digest(pg.engine) == now
    assert mirror_digest(fresh_index(reg.rpc, reg.deployment, now.block)) == now
    assert now.tables["events"].rows > 50 and now.tables["liens"].rows > 5
    # a past block: rows changed since are rebuilt as they stood; a mirror that stopped
    # there agrees with both
    for past in (now.block - 3, now.block - 9):
        short = migrated_engine(f"sqlite:///{tmp_path / f'short-{past}.sqlite'}")
        Mirror(reg, short, "", tmp_path).indexer().run(until_block=past)
        expected = mirror_digest(short)
        assert expected.block == past and expected != now
        assert mirror_digest(lite.engine, past) == expected
        assert mirror_digest(pg.engine, past) == expected
    with pytest.raises(OutOfRange, match="past what the mirror has indexed"):
        mirror_digest(lite.engine, now.block + 1)


def _tamper(engine: Engine, sql: str, **params: Any) -> None:
    with engine.begin() as conn:
        assert conn.execute(text(sql), params).rowcount == 1


def test_a_tampered_row_is_found_at_the_block_that_wrote_it(
    chain: Any, lite: Mirror, pg: Mirror
) -> None:
    reg, ids = chain
    assert compare(DatabaseSource(lite.engine, "sqlite"), DatabaseSource(pg.engine, "pg")).equal
    lien = ids["liens"][1]  # assigned to lender2 after registration: written twice
    with pg.engine.connect() as conn:
        wrote = conn.execute(text("SELECT updated_block FROM liens WHERE lien_id = :i"),
                             {"i": lien}).scalar_one()  # fmt: skip
    _tamper(pg.engine, "UPDATE liens SET holder = :h WHERE lien_id = :i", h="0x" + "ab" * 20,
            i=lien)  # fmt: skip
    found = compare(DatabaseSource(lite.engine, "sqlite"), DatabaseSource(pg.engine, "pg"))
    assert not found.equal and found.first_block == wrote and found.tables == ["liens"]
    assert [(d.table, d.key, d.kind, set(d.fields)) for d in found.rows] == [
        ("liens", (lien,), "changed", {"holder"})
    ]
    # from the command line, against the other database's URL
    env = registry_env(data_dir=lite.data_dir, database_url=lite.url, rpc_url=reg.node.rpc_url,
                       deployments_file=lite.data_dir / "deployments.json")  # fmt: skip
    out = run_registry("audit", "compare", pg.url, "--json", env=env)
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    assert doc["first_block"] == wrote and doc["rows"][0]["key"] == [lien]
    assert doc["rows"][0]["fields"]["holder"][1] == "0x" + "ab" * 20
    printed = run_registry("audit", "digest", env=env)
    assert printed.returncode == 0 and mirror_digest(lite.engine).digest in printed.stdout
    past = run_registry("audit", "digest", "--block", str(wrote - 1), "--json", env=env)
    assert json.loads(past.stdout)["digest"] == mirror_digest(lite.engine, wrote - 1).digest
    agree = run_registry("audit", "compare", pg.url, "--block", str(wrote - 1), env=env)
    assert agree.returncode == 0 and "the mirrors agree" in agree.stdout


def test_a_tampered_event_is_found_through_the_other_instances_api(
    chain: Any, lite: Mirror, pg: Mirror
) -> None:
    with pg.engine.connect() as conn:
        block, log = conn.execute(
            text("SELECT block_number, log_index FROM events WHERE event = 'LoanPaymentRecorded' "
                 "ORDER BY block_number LIMIT 1")
        ).one()  # fmt: skip
    _tamper(pg.engine, "UPDATE events SET block_time = block_time + 1 "
            "WHERE block_number = :b AND log_index = :l", b=block, l=log)  # fmt: skip
    auditor = pg.key("auditor", chain[0].cast.outsider.address)
    lender = pg.key("lender", chain[0].cast.lender.address)
    with uvicorn_thread(create_app(api_settings(pg))) as url:
        found = compare(DatabaseSource(lite.engine, "sqlite"), ApiSource(url, url, auditor))
        served = ApiSource(url, url).digest(None)
        for key, refusal in ((None, "401"), (lender, "403")):  # every row: auditors only
            with pytest.raises(InvalidInput, match=refusal):
                compare(DatabaseSource(lite.engine, "sqlite"), ApiSource(url, url, key))
    assert served == mirror_digest(pg.engine)
    assert found.first_block == block and "events" in found.tables
    events = [d for d in found.rows if d.table == "events"]
    assert len(events) == 1 and set(events[0].fields) == {"block_time"}


def test_unchanged_after_a_reorg_undone_and_reindexed(
    fresh_registry: Registry, db_url: str
) -> None:
    import random

    reg = fresh_registry
    engine = migrated_engine(db_url)
    actions = random_actions(reg, random.Random(3))
    with Follower(engine, reg, confirmations=2) as f:
        for _ in range(10):
            safely(next(actions))
        f.catch_up()
        before = mirror_digest(engine)
        snap = reg.rpc.request("evm_snapshot", [])
        for _ in range(4):
            safely(next(actions))
        f.catch_up()
        assert mirror_digest(engine) != before
        assert mirror_digest(engine, before.block) == before  # the past, as it stood
        assert reg.rpc.request("evm_revert", [snap])
        reg.rpc.request("evm_mine", [])
        reg.rpc.request("evm_mine", [])
        f.catch_up()
        assert f.indexer.reorgs >= 1
        assert mirror_digest(engine, before.block) == before
        after = mirror_digest(engine)
        assert after.tables["events"] == before.tables["events"]
        assert after == mirror_digest(fresh_index(reg.rpc, reg.deployment, after.block))
