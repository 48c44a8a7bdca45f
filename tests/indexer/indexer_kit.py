"""Chain data for the indexer tests: every event kind, through batch and single actions."""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, suppress
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from registry.audit import diff, dump, fresh_index
from registry.db import make_engine, migrate
from registry.db.scratch import scratch_database
from registry.errors import RegistryError
from registry.indexer import HandlerRegistry, Indexer, Progress, core_handlers, latest_state
from registry.risk.hooks import RiskSettings, risk_handlers
from registry.vin import generate_vin
from tests.registry_kit import deploy_registry

_rng = random.Random(4242)


def vins(n: int) -> list[str]:
    return [generate_vin(_rng) for _ in range(n)]


def _h(tag: str, i: int) -> bytes:
    return f"{tag}-{i}".encode().ljust(32, b"\0")[:32]


def populate(reg: Any, n: int = 12) -> dict[str, list[Any]]:
    """Issues ``n`` titles and runs every kind of action once or more. Returns the ids."""
    c = reg.cast
    registrar, lender, lender2 = reg.registrar, reg.client(c.lender), reg.client(c.lender2)
    dealer, insurer, owner = reg.client(c.dealer), reg.client(c.insurer), reg.client(c.owner)
    vs = vins(n)
    registrar.issue_titles_batch(vs, [c.owner.address] * n, [1000 + i for i in range(n)])
    res = lender.register_liens_batch(vs[: n // 2], [False] * (n // 2))
    liens = [int(e.args["lienId"]) for e in res.all("LienRegistered")]
    second = lender2.register_lien(vs[0]).id  # double pledge: priority 2
    res = lender.originate_loans_batch(
        liens, [_h("ref", i) for i in liens], [_h("terms", i) for i in liens],
        [_h("sched", i) for i in liens],
    )  # fmt: skip
    loans = [int(e.args["loanId"]) for e in res.all("LoanOriginated")]
    lender.record_disbursements_batch(loans, [1_000_000] * len(loans))
    lender.record_payments_batch(
        loans * 2, [5_000] * (2 * len(loans)), [_h("p", i) for i in range(2 * len(loans))]
    )
    lender.release_lien(liens[0])  # priority of `second` moves up to 1
    lender.assign_lien(liens[1], c.lender2.address)  # loan servicing follows
    lender.pay_off(loans[2])
    lender.record_delinquency(loans[3], 45)
    lender.declare_default(loans[3])
    lender.repossess(loans[3])  # the title passes to the lender
    lender.charge_off(loans[3], 1234)
    lender.restructure_loan(loans[4], _h("t2", 4), _h("s2", 4))
    owner.transfer_title(vs[-1], c.buyer.address)
    owner.record_odometer(vs[-2], 5000)
    registrar.correct_odometer(vs[-2], 10)
    registrar.apply_brand(vs[-3], "flood")
    policy = insurer.record_policy(vs[-4], c.lender.address, _h("pol", 1), 2_000_000_000).id
    claim = insurer.file_claim(policy, _h("claim", 1), 700_000).id
    insurer.declare_total_loss(claim, flood=True)
    insurer.settle_claim(claim, 650_000)
    policy2 = insurer.record_policy(vs[-5], None, _h("pol", 2), 2_000_000_000).id
    insurer.change_loss_payee(policy2, c.lender2.address)
    claim2 = insurer.file_claim(policy2, _h("claim", 2), 1).id
    insurer.deny_claim(claim2)
    insurer.cancel_policy(policy2)
    stock = vins(2)
    registrar.issue_titles_batch(stock, [c.dealer.address] * 2, [10, 20])
    fp = lender.register_lien(stock[0], floor_plan=True).id
    dealer.record_sale(stock[0], c.buyer.address, _h("sale", 1))  # sold out of trust
    dealer.record_sale(stock[1], c.buyer.address, _h("sale", 2))  # clean: title passes
    registrar.admit_participant(c.outsider.address, "dealer", "Pop-up Cars")
    registrar.remove_participant(c.outsider.address, "dealer")
    return {"liens": [*liens, second, fp], "loans": loans, "vins": [*vs, *stock]}


def random_actions(reg: Any, rng: random.Random) -> Iterator[Callable[[], Any]]:
    """An endless stream of small actions (some may fail after a reorg: callers ignore that)."""
    c = reg.cast
    registrar, lender, owner = reg.registrar, reg.client(c.lender), reg.client(c.owner)
    mine: list[str] = []

    def issue(batch: list[str]) -> None:
        registrar.issue_titles_batch(batch, [c.owner.address] * len(batch), [1] * len(batch))

    def lien(vin: str, floor_plan: bool) -> None:
        lender.register_lien(vin, floor_plan=floor_plan)

    def release(vin: str) -> None:
        for lien_id in lender.active_liens(vin):
            if lender.lien(lien_id).holder == c.lender.address:
                lender.release_lien(lien_id)
                return

    def transfer(vin: str) -> None:
        t = owner.title(vin)
        if t.owner == c.owner.address and t.active_liens == 0:
            owner.transfer_title(vin, c.buyer.address)

    def odometer(vin: str, reading: int) -> None:
        registrar.record_odometer(vin, reading)

    def finance(vin: str) -> None:
        lien_id = lender.register_lien(vin).id
        loan = lender.originate_loan(lien_id, _h("r", lien_id), _h("t", 1), _h("s", 1)).id
        lender.record_disbursement(loan, 100)
        lender.record_payment(loan, 10)

    while True:
        kind = rng.choice(["issue", "issue", "lien", "lien", "release", "transfer", "odo", "pay"])
        if kind == "issue" or not mine:
            batch = vins(rng.randint(1, 3))
            mine.extend(batch)
            yield partial(issue, batch)
            continue
        vin = rng.choice(mine)
        if kind == "lien":
            yield partial(lien, vin, rng.random() < 0.3)
        elif kind == "release":
            yield partial(release, vin)
        elif kind == "transfer":
            yield partial(transfer, vin)
        elif kind == "odo":
            yield partial(odometer, vin, rng.randint(100, 10_000_000))
        else:
            yield partial(finance, vin)


def safely(action: Callable[[], Any]) -> None:
    with suppress(RegistryError):  # the chain moved under the action (a reorg): fine here
        action()


def assert_mirror_exact(engine: Engine, reg: Any) -> None:
    """SQL equals a fresh index of the chain (every projection table and the events)."""
    state = latest_state(engine, reg.deployment)
    assert state is not None
    fresh = fresh_index(reg.rpc, reg.deployment, state.indexed_block)
    differences = diff(dump(fresh), dump(engine))
    assert not differences, "\n".join(str(d) for d in differences[:20])


def postgres_database() -> AbstractContextManager[str]:
    """A fresh PostgreSQL database for one test (dropped afterwards). Fails if unreachable."""
    return scratch_database("test")


def migrated_engine(url: str) -> Engine:
    migrate(url)
    return make_engine(url)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


def default_handlers(records_dir: Path) -> list[HandlerRegistry]:
    """What `registry index` runs: the core projections, then the risk rules (reading loan
    records from ``records_dir``)."""
    return [core_handlers(), risk_handlers(RiskSettings(records_dir=records_dir))]


class Follower:
    """An indexer following the chain in a background thread, with the handlers `registry
    index` runs (core and risk) unless given ``registries``."""

    def __init__(
        self, engine: Engine, reg: Any, *, poll_interval: float = 0.02, **kwargs: Any
    ) -> None:
        self.engine = engine
        self.reg = reg
        self.records = tempfile.TemporaryDirectory(prefix="follower-loans-")
        kwargs.setdefault("registries", default_handlers(Path(self.records.name)))
        self.indexer = Indexer(
            engine, reg.rpc, reg.deployment, poll_interval=poll_interval, **kwargs
        )
        self.stop = threading.Event()
        self.progress: list[Progress] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.indexer.run(stop=self.stop, on_progress=self.progress.append)
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    def indexed(self) -> int:
        st = latest_state(self.engine, self.reg.deployment)
        return st.indexed_block if st else -1

    def synced(self) -> bool:
        """The checkpoint is the node's head block, same hash (a reorg at the same height,
        or to a lower one, is not "caught up" until the indexer has undone it)."""
        st = latest_state(self.engine, self.reg.deployment)
        if st is None or st.indexed_hash is None:
            return False
        head = self.reg.rpc.request("eth_getBlockByNumber", ["latest", False])
        return st.indexed_block == int(head["number"], 16) and st.indexed_hash == head["hash"]

    def catch_up(self, timeout: float = 30.0) -> None:
        """Waits until the indexer has indexed the node's current head."""
        wait_until(lambda: self.error is not None or self.synced(), timeout, "catch up")
        if self.error is not None:
            raise self.error

    def __enter__(self) -> Follower:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)
        self.records.cleanup()


def deploy_on(node: Any, like: Any) -> Any:
    """A registry deployed on ``node`` with the cast admitted (as the session registry)."""
    del like  # the cast is the shared one
    return deploy_registry(node)
