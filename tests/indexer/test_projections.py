"""Projections from every event kind, on SQLite and PostgreSQL: exact, idempotent, locked.

The mirror is compared with the chain by a route that shares no code with the indexer: the
contracts' own view functions, and the node's raw logs.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from registry.contracts import brand_names
from registry.db.models import Claim, Event, Lien, Loan, Participant, Policy, Sale, Title
from registry.errors import IndexerLocked
from registry.indexer import Indexer
from registry.indexer.apply import apply_events, contract_names
from registry.indexer.fetch import ChainReader
from registry.indexer.lock import indexer_lock
from tests.kit.books import POPULATED_VEHICLE_EVENTS, populate
from tests.kit.chain import Registry
from tests.kit.mirror import assert_mirror_exact, migrated_engine


def _index(url: str, reg: Registry, batch_blocks: int = 5000) -> Any:
    engine = migrated_engine(url)
    indexer = Indexer(engine, reg.rpc, reg.deployment, confirmations=2, batch_blocks=batch_blocks)
    indexer.run(until_head=True)
    return engine


def _rows(engine: Any, model: Any) -> list[Any]:
    with Session(engine) as s:
        return list(s.execute(select(model)).scalars())


def _raw_log_count(reg: Registry) -> int:
    """Every log the three contracts emitted, straight from the node."""
    head = int(reg.rpc.request("eth_blockNumber"), 16)
    logs = reg.rpc.request(
        "eth_getLogs",
        [{"address": list(reg.deployment.addresses), "fromBlock": hex(reg.deployment.block),
          "toBlock": hex(head)}],
    )  # fmt: skip
    return len(logs)


def assert_mirror_is_what_the_contracts_say(engine: Any, reg: Any, ids: dict[str, Any]) -> None:
    """Each title, lien, loan, policy and claim row against the contract's view of it."""
    read = reg.registrar
    titles = {t.vin: t for t in _rows(engine, Title)}
    assert sorted(titles) == sorted(ids["vins"])
    for vin, row in titles.items():
        t = read.title(vin)
        mirrored: tuple[Any, ...] = (row.owner, row.status, brand_names(row.brands))
        mirrored += (row.odometer, row.active_liens, row.transfers)
        on_chain = (t.owner.lower(), t.status, list(t.brands), t.odometer, t.active_liens)
        assert mirrored == (*on_chain, t.transfers), vin
    liens = {lien.lien_id: lien for lien in _rows(engine, Lien)}
    assert sorted(liens) == sorted(ids["liens"])
    for lien_id, row in liens.items():
        c = read.lien(lien_id)
        mirrored = (row.vin, row.holder, row.status, row.floor_plan, row.priority)
        assert mirrored == (c.vin, c.holder.lower(), c.status, c.floor_plan, c.priority)
    loans = {loan.loan_id: loan for loan in _rows(engine, Loan)}
    assert sorted(loans) == sorted(ids["loans"])
    for loan_id, row in loans.items():
        c = read.loan(loan_id)
        mirrored = (row.lender, row.lien_id, row.state, row.terms_hash, row.schedule_hash)
        assert mirrored == (c.lender.lower(), c.lien_id, c.state, c.terms_hash, c.schedule_hash)
    policies = {p.policy_id: p for p in _rows(engine, Policy)}
    assert sorted(policies) == [1, 2]  # populate records two policies
    for policy_id, row in policies.items():
        c = read.policy(policy_id)
        mirrored = (row.vin, row.insurer, row.status, row.expires_at, row.loss_payee)
        assert mirrored == (c.vin, c.insurer.lower(), c.status, c.expires_at, c.loss_payee.lower())
    claims = {c.claim_id: c for c in _rows(engine, Claim)}
    assert sorted(claims) == [1, 2]  # and one claim on each
    for claim_id, row in claims.items():
        c = read.claim(claim_id)
        assert (row.policy_id, row.status, row.total_loss) == (c.policy_id, c.status, c.total_loss)
    with Session(engine) as s:
        events = s.execute(select(func.count()).select_from(Event)).scalar_one()
    assert events == _raw_log_count(reg)


def test_projections_match_the_chain(db_url: str, fresh_registry: Registry) -> None:
    reg = fresh_registry
    ids = populate(reg)
    engine = _index(db_url, reg, batch_blocks=2)  # many batches: state crosses batches
    assert_mirror_exact(engine, reg)
    assert_mirror_is_what_the_contracts_say(engine, reg, ids)
    with Session(engine) as s:
        names = set(s.execute(text("SELECT DISTINCT event FROM events")).scalars())
        lender2 = reg.cast.lender2.address.lower()
        second = s.get(Lien, ids["liens"][-2])
        assert second is not None and second.priority == 1 and second.holder == lender2
        first = s.get(Lien, ids["liens"][0])
        assert first is not None and (first.status, first.priority) == ("RELEASED", 0)
        assert first.release_reason == "VOLUNTARY"
        repossessed = s.get(Loan, ids["loans"][3])
        assert repossessed is not None and repossessed.state == "CHARGED_OFF"
        assert repossessed.payments_count == 2 and repossessed.total_paid == 10_000
        assigned = s.get(Loan, ids["loans"][1])
        assert assigned is not None and assigned.lender == lender2
        sales = {sale.title_transferred: sale for sale in s.execute(select(Sale)).scalars()}
        assert sales[False].floor_plan_lien_id == ids["liens"][-1]
        assert sales[True].floor_plan_lien_id is None
        outsider = s.get(Participant, (reg.cast.outsider.address.lower(), "DEALER"))
        assert outsider is not None and not outsider.active and outsider.name == "Pop-up Cars"
        totalled = s.execute(select(Title).where(Title.status == "TOTAL_LOSS")).scalars().all()  # type: ignore[arg-type]
        assert len(totalled) == 1 and totalled[0].brands == 0b101  # salvage + flood
    wanted = POPULATED_VEHICLE_EVENTS | {
        "ParticipantAdmitted", "ParticipantRemoved", "RoleGranted", "RoleRevoked",
    }  # fmt: skip
    assert wanted <= names


def test_replaying_a_range_changes_nothing(db_url: str, fresh_registry: Registry) -> None:
    from registry.audit import dump

    reg = fresh_registry
    populate(reg)
    engine = _index(db_url, reg)
    before = dump(engine)
    reader = ChainReader(reg.rpc, reg.deployment.addresses)
    start, head, replayed = reg.deployment.block, reader.head(), 0
    while start <= head:  # every range again, through the normal write path
        batch = reader.fetch(start, head)
        with Session(engine) as session:
            apply_events(session, batch.events, batch.times, contract_names(reg.deployment))
            session.commit()
        replayed += len(batch.events)
        start = batch.end + 1
    with Session(engine) as session:
        count = session.execute(select(func.count()).select_from(Event)).scalar_one()
    assert count == replayed == _raw_log_count(reg)
    after = dump(engine)
    assert after["events"] == before["events"]
    # a restart from an older checkpoint re-applies nothing twice either
    Indexer(engine, reg.rpc, reg.deployment).run(until_head=True)
    assert dump(engine)["events"] == before["events"]


def test_a_second_indexer_is_refused(db_url: str) -> None:
    engine = migrated_engine(db_url)
    with (
        indexer_lock(engine),
        pytest.raises(IndexerLocked, match="another indexer"),
        indexer_lock(engine),
    ):
        pass
    with indexer_lock(engine):  # released: free again
        pass


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    engine = migrated_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_read_ahead_worker_process(sqlite_url: str, fresh_registry: Registry) -> None:
    """The worker process that reads ahead during big backfills yields the same mirror."""
    reg = fresh_registry
    populate(reg)
    engine = migrated_engine(sqlite_url)
    indexer = Indexer(engine, reg.rpc, reg.deployment, batch_blocks=2, read_ahead_events=1)
    indexer.start_read_ahead(wait=True)
    indexer.run(until_head=True)
    assert indexer.read_ahead_batches > 0
    assert_mirror_exact(engine, reg)


def test_a_database_mirrors_one_deployment(sqlite_url: str, fresh_registry: Registry) -> None:
    from registry.deploy import deploy
    from registry.errors import IndexerMismatch

    reg = fresh_registry
    engine = _index(sqlite_url, reg)
    other = deploy(reg.rpc, reg.cast.registrar)
    with pytest.raises(IndexerMismatch, match="mirrors another deployment"):
        Indexer(engine, reg.rpc, other).run(until_head=True)


def test_finality_is_queryable_per_row(sqlite_url: str, fresh_registry: Registry) -> None:
    from registry.db import final_clause
    from registry.indexer import latest_state

    reg = fresh_registry
    populate(reg)
    engine = _index(sqlite_url, reg)
    state = latest_state(engine, reg.deployment)
    assert state is not None and state.finalized_block == state.indexed_block - 2
    with Session(engine) as s:
        events = Event.__table__  # type: ignore[attr-defined]
        final = s.execute(select(events.c.block_number).where(final_clause(Event.block_number)))
        blocks = [b for (b,) in final]
        assert blocks and max(blocks) <= state.finalized_block
        pending = s.execute(
            select(func.count()).select_from(Event).where(~final_clause(Event.block_number))
        ).scalar_one()
        assert pending > 0  # the last two blocks carry events and are not final yet
