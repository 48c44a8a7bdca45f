"""Reorgs of depth 1, 3 and 10 while following: the mirror ends up exactly the chain."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from registry.db.models import Lien, Title
from tests.kit.books import random_actions, safely
from tests.kit.chain import Registry
from tests.kit.follower import Follower
from tests.kit.mirror import assert_mirror_exact, migrated_engine
from tests.kit.vins import fresh_vins


def _rpc(reg: Registry, method: str, params: list[Any]) -> Any:
    return reg.rpc.request(method, params)


def test_reorgs_while_following(db_url: str, fresh_registry: Registry) -> None:
    reg = fresh_registry
    rng = random.Random(7)
    engine = migrated_engine(db_url)
    c = reg.cast
    lender, owner = reg.client(c.lender), reg.client(c.owner)
    actions = random_actions(reg, rng)
    with Follower(engine, reg, confirmations=2) as f:
        for _ in range(8):
            safely(next(actions))
        f.catch_up()

        # depth 1: the block registering a lien disappears
        v = fresh_vins(1)[0]
        reg.registrar.issue_title(v, c.owner.address)
        lien_id = lender.register_lien(v).id
        f.catch_up()
        with Session(engine) as s:
            assert s.get(Lien, lien_id) is not None
        _rpc(reg, "anvil_reorg", [1, []])
        safely(next(actions))
        f.catch_up()
        with Session(engine) as s:
            assert s.get(Lien, lien_id) is None or s.get(Lien, lien_id).vin != v  # type: ignore[union-attr]
            title = s.get(Title, v)
            assert title is not None and title.active_liens == 0
        assert_mirror_exact(engine, reg)

        # depth 3: a title transfer is undone (snapshot, transfer + 2 blocks, revert)
        w = fresh_vins(1)[0]
        reg.registrar.issue_title(w, c.owner.address)
        snap = _rpc(reg, "evm_snapshot", [])
        owner.transfer_title(w, c.buyer.address)
        safely(next(actions))
        safely(next(actions))
        f.catch_up()
        with Session(engine) as s:
            assert s.get(Title, w).owner == c.buyer.address.lower()  # type: ignore[union-attr]
        assert _rpc(reg, "evm_revert", [snap])
        for _ in range(4):  # the new branch is longer
            safely(next(actions))
        f.catch_up()
        with Session(engine) as s:
            assert s.get(Title, w).owner == c.owner.address.lower()  # type: ignore[union-attr]
        assert_mirror_exact(engine, reg)

        # depth 10, and random depths at random moments
        for depth in (10, 1, 3, 10, rng.randint(1, 10)):
            for _ in range(max(depth, rng.randint(2, 12))):
                safely(next(actions))
                if rng.random() < 0.3:
                    f.catch_up()
            f.catch_up()
            if rng.random() < 0.5:
                _rpc(reg, "anvil_reorg", [depth, []])
            else:
                snap = _rpc(reg, "evm_snapshot", [])
                for _ in range(depth):
                    safely(next(actions))
                f.catch_up()
                _rpc(reg, "evm_revert", [snap])
            for _ in range(rng.randint(0, 3)):
                safely(next(actions))
            f.catch_up()
            assert_mirror_exact(engine, reg)
        assert f.indexer.reorgs >= 7
    with Session(engine) as s:
        assert s.execute(select(Lien)).first() is not None
