"""The pledges projection: pledges, releases and sales mirrored exactly, in the vehicle's
history, and rebuilt after a reorg (on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from registry.db.models import Event
from registry.indexer.pledges import PLEDGES
from tests.kit.chain import Registry
from tests.kit.mirror import Mirror, assert_mirror_exact

EVENTS = Event.__table__  # type: ignore[attr-defined]


@pytest.fixture
def mirror(fresh_registry: Registry, db_url: str, tmp_path: Path) -> Mirror:
    """A mirror of the fresh chain (on SQLite, then PostgreSQL: ``db_url``), not indexed yet."""
    return Mirror.create(fresh_registry, tmp_path / "m", db_url)


def _pledges(mirror: Mirror, loan_id: int) -> list[dict[str, Any]]:
    with mirror.engine.connect() as conn:
        rows = conn.execute(
            select(PLEDGES).where(PLEDGES.c.loan_id == loan_id).order_by(PLEDGES.c.pledge_id)
        ).mappings()
        return [dict(r) for r in rows]


def test_pledge_release_and_sale_are_mirrored(fresh_registry: Registry, mirror: Mirror) -> None:
    reg = fresh_registry
    vin, lien_id, loan_id, first = reg.pledged_loan()
    mirror.index()  # the pledge lands in one batch, its sale and release in later ones
    second = reg.funder.transfer_pledge(loan_id, reg.cast.funder2.address).id
    mirror.index()
    reg.funder2.release_pledge(loan_id, "remittance")
    mirror.index()

    rows = _pledges(mirror, loan_id)
    assert [(r["pledge_id"], r["funder"], r["active"], r["release_reason"]) for r in rows] == [
        (first, reg.cast.funder.address.lower(), False, "SALE"),
        (second, reg.cast.funder2.address.lower(), False, "REMITTANCE"),
    ]
    assert {(r["vin"], r["lien_id"], r["lender"]) for r in rows} == {
        (vin, lien_id, reg.cast.lender.address.lower())
    }
    assert rows[0]["released_block"] == rows[1]["pledged_block"]  # one transaction
    with mirror.engine.connect() as conn:
        history = conn.execute(
            select(EVENTS.c.event, EVENTS.c.actor)
            .where(EVENTS.c.vin == vin, EVENTS.c.event.in_(["LoanPledged", "PledgeReleased"]))
            .order_by(EVENTS.c.block_number, EVENTS.c.log_index)
        ).all()
    f1, f2, lender = (a.address.lower() for a in (reg.cast.funder, reg.cast.funder2,
                                                  reg.cast.lender))  # fmt: skip
    assert [tuple(h) for h in history] == [
        ("LoanPledged", lender),
        ("PledgeReleased", f1),
        ("LoanPledged", lender),
        ("PledgeReleased", f2),
    ]
    assert_mirror_exact(mirror.engine, reg)


def test_a_reorg_undoes_a_pledge_and_its_release(fresh_registry: Registry, mirror: Mirror) -> None:
    reg = fresh_registry
    _, _, kept, kept_pledge = reg.pledged_loan()
    _, _, undone, _ = reg.pledged_loan()
    mirror.index()
    reg.funder.release_pledge(kept, "repurchase")  # released in the block the reorg replaces
    mirror.index()
    assert _pledges(mirror, kept)[0]["active"] is False

    reg.rpc.request("anvil_reorg", [2, []])  # the release's block and the second pledge's go
    reg.rpc.request("evm_mine", [])
    mirror.index()

    [row] = _pledges(mirror, kept)
    assert row["pledge_id"] == kept_pledge and row["active"] is True
    assert row["released_block"] is None and row["release_reason"] is None
    assert _pledges(mirror, undone) == []
    assert reg.reader.pledge_of(undone) is None
    assert_mirror_exact(mirror.engine, reg)
