"""A chain of our own for the risk tests (they move its clock), its SQL mirror, helpers."""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, select

from registry import loan_records
from registry.chain import AnvilNode
from registry.client import RegistryClient
from registry.contracts import Deployment
from registry.db import make_engine, migrate
from registry.db.scratch import scratch_database
from registry.deploy import deploy
from registry.indexer import HandlerRegistry, Indexer, core_handlers
from registry.risk.alerts import list_alerts
from registry.risk.delinquency import chain_day
from registry.risk.hooks import RiskSettings, risk_handlers
from registry.risk.models import LoanStatus
from registry.risk.standing import SETTLE_SECONDS
from registry.rpc import Transport, connect
from registry.schedules import LoanTerms, ScheduleKind, build_schedule, schedule_hash, terms_hash
from tests.registry_kit import CAST, fresh_vin

DAY = 86400


def h32() -> bytes:
    return secrets.token_bytes(32)


@dataclass
class Chain:
    node: AnvilNode
    rpc: Transport
    deployment: Deployment

    def client(self, who: LocalAccount) -> RegistryClient:
        return RegistryClient(self.rpc, self.deployment, who)

    @property
    def registrar(self) -> RegistryClient:
        return self.client(CAST.registrar)

    @property
    def lender(self) -> RegistryClient:
        return self.client(CAST.lender)

    @property
    def lender2(self) -> RegistryClient:
        return self.client(CAST.lender2)

    @property
    def dealer(self) -> RegistryClient:
        return self.client(CAST.dealer)

    @property
    def insurer(self) -> RegistryClient:
        return self.client(CAST.insurer)

    def now(self) -> int:
        return int(self.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def today(self) -> date:
        return date.fromordinal(chain_day(self.now()))

    def advance(self, days: float) -> None:
        """Moves chain time on by ``days`` and mines a block at the new time."""
        self.rpc.request("evm_increaseTime", [int(days * DAY)])
        self.rpc.request("evm_mine")

    def title(self, owner: LocalAccount | None = None) -> str:
        vin = fresh_vin()
        self.registrar.issue_title(vin, (owner or CAST.owner).address, 1_000)
        return vin


def start_chain(node: AnvilNode) -> Chain:
    rpc = connect(node.rpc_url)
    deployment = deploy(rpc, CAST.registrar)
    chain = Chain(node, rpc, deployment)
    reg = chain.registrar
    reg.admit_participant(CAST.lender.address, "lender", "First Auto Bank")
    reg.admit_participant(CAST.lender2.address, "lender", "Second Credit Union")
    reg.admit_participant(CAST.dealer.address, "dealer", "Main Street Motors")
    reg.admit_participant(CAST.insurer.address, "insurer", "Shield Mutual")
    return chain


@dataclass
class Mirror:
    """A SQLite mirror of the chain, indexed by the real indexer with the risk hooks."""

    chain: Chain
    engine: Engine
    records: Path
    settle_seconds: int = SETTLE_SECONDS

    @classmethod
    def create(
        cls,
        chain: Chain,
        tmp: Path,
        url: str | None = None,
        *,
        settle_seconds: int = SETTLE_SECONDS,
    ) -> Mirror:
        url = url or f"sqlite:///{tmp / 'mirror.sqlite'}"
        migrate(url)
        return cls(chain, make_engine(url), tmp / "loans", settle_seconds)

    def handlers(self) -> list[HandlerRegistry]:
        """What `registry index` runs: the core projections and the risk rules, reading
        this mirror's loan records."""
        settings = RiskSettings(records_dir=self.records, settle_seconds=self.settle_seconds)
        return [core_handlers(), risk_handlers(settings)]

    def indexer(self, **options: Any) -> Indexer:
        return Indexer(self.engine, self.chain.rpc, self.chain.deployment, confirmations=0,
                       registries=self.handlers(), **options)  # fmt: skip

    def index(self) -> None:
        self.indexer().run(until_head=True, lock=False)

    def alerts(self, **filters: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return list_alerts(conn, limit=10_000, **filters)

    def kinds(self, vin: str) -> list[str]:
        return sorted(a["kind"] for a in self.alerts(vin=vin))

    def status(self, loan_id: int) -> dict[str, Any] | None:
        tbl = LoanStatus.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            row = conn.execute(select(tbl).where(tbl.c.loan_id == loan_id)).mappings().first()
        return dict(row) if row is not None else None


def postgres_database() -> AbstractContextManager[str]:
    """A fresh PostgreSQL database (dropped afterwards). Fails if unreachable."""
    return scratch_database("risk")


def schedule_for(first_due: date, months: int = 12, principal: str = "12000.00") -> Any:
    terms = LoanTerms(Decimal(principal), Decimal("0.06"), months, first_due, ScheduleKind.ANNUITY)
    return build_schedule(terms)


def make_loan(
    chain: Chain,
    mirror: Mirror | None,
    vin: str,
    *,
    first_due_in_days: int = 10,
    months: int = 12,
    lender: RegistryClient | None = None,
    record: bool = True,
) -> tuple[int, int, Any]:
    """A lien, a loan committing a schedule (its record saved for the indexer), disbursed."""
    bank = lender or chain.lender
    lien = bank.register_lien(vin).id
    schedule = schedule_for(chain.today() + timedelta(days=first_due_in_days), months)
    salt = h32()
    loan = bank.originate_loan(lien, h32(), terms_hash(schedule.terms, salt),
                               schedule_hash(schedule, salt)).id  # fmt: skip
    if record and mirror is not None:
        loan_records.save(
            mirror.records, chain.deployment.chain_id, loan_records.LoanRecord(loan, salt, schedule)
        )
    bank.record_disbursement(loan, int(schedule.terms.principal * 100))
    return lien, loan, schedule


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def risk_app(chain: Chain, mirror: Mirror, data_dir: Path) -> tuple[Any, dict[str, str]]:
    """The API app with the risk router, over ``mirror`` holding a double pledge and a late
    loan; API keys by name (lender, lender2, auditor, dealer)."""
    from sqlmodel import Session

    from api.config import ApiSettings
    from api.main import create_app
    from registry.auth import create_key
    from registry.contracts import write_deployment

    write_deployment(data_dir / "deployments.json", chain.deployment)
    vin = chain.title()
    chain.lender.register_lien(vin)
    chain.lender2.register_lien(vin)
    make_loan(chain, mirror, chain.title(), first_due_in_days=-5)
    chain.advance(2 / 24)  # past the loan's settling hour
    mirror.index()
    settings = ApiSettings(
        data_dir=data_dir, database_url=str(mirror.engine.url), rpc_url=chain.node.rpc_url,
        deployments_file=data_dir / "deployments.json", rate_limit_per_second=0,
        head_poll_interval=0.2,
    )  # fmt: skip
    app = create_app(settings)  # api/main.py includes the risk router
    keys = {}
    with Session(mirror.engine) as session:
        for name, role, who in (("lender", "lender", CAST.lender),
                                ("lender2", "lender", CAST.lender2),
                                ("auditor", "auditor", CAST.outsider),
                                ("dealer", "dealer", CAST.dealer)):  # fmt: skip
            keys[name] = create_key(session, role, who.address, "risk")[1]
        session.commit()
    return app, keys
