"""The SQL side of the test kit: a mirror of a deployed registry filled by the real indexer.

A :class:`Mirror` is a SQLite file (or, given a URL, a PostgreSQL database: make one with
:func:`registry.db.scratch.scratch_database`, or take the ``pg_url`` fixture) with the
deployment file beside it, indexed with the handler registries ``registry index`` runs:
the core projections, and with ``risk=True`` the risk rules reading the mirror's loan
records. :func:`assert_mirror_exact` compares any indexed database with a fresh index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from registry.audit import diff, dump, fresh_index
from registry.auth import create_key
from registry.contracts import write_deployment
from registry.db import make_engine, migrate
from registry.indexer import HandlerRegistry, Indexer, core_handlers, latest_state
from registry.risk.alerts import list_alerts
from registry.risk.funders import FunderSettings, funder_handlers
from registry.risk.hooks import RiskSettings, risk_handlers
from registry.risk.models import LoanStatus
from registry.risk.standing import SETTLE_SECONDS
from tests.kit.chain import Registry


def handler_registries(
    risk: RiskSettings | None, funders: FunderSettings | None = None
) -> list[HandlerRegistry]:
    """What ``registry index`` runs: the core projections, then the risk rules and the funder
    rules (given their settings)."""
    if risk is None:
        return [core_handlers()]
    return [core_handlers(), risk_handlers(risk), funder_handlers(funders or FunderSettings())]


def migrated_engine(url: str) -> Engine:
    """An engine on ``url`` with the schema migrated to the latest revision."""
    migrate(url)
    return make_engine(url)


@dataclass
class Mirror:
    """A SQL mirror of ``registry``, indexed on demand up to the chain's head."""

    registry: Registry
    engine: Engine
    url: str
    #: the deployment file (``deployments.json``), loan records (``loans/``), SQLite file
    data_dir: Path
    #: the risk rules' settings, or None for the core projections alone
    risk: RiskSettings | None = None
    #: the funder rules' settings (they run with the risk rules)
    funders: FunderSettings | None = None

    @classmethod
    def create(
        cls,
        registry: Registry,
        data_dir: Path,
        url: str | None = None,
        *,
        risk: bool = False,
        settle_seconds: int = SETTLE_SECONDS,
        payoff_days: int = FunderSettings.payoff_days,
    ) -> Mirror:
        """A migrated, empty mirror in ``data_dir`` (SQLite there unless ``url``); ``risk``
        runs the risk and funder rules too, a new loan settling for ``settle_seconds``, a
        pledge outliving its loan's payoff by ``payoff_days`` alerting its funder."""
        data_dir.mkdir(parents=True, exist_ok=True)
        url = url or f"sqlite:///{data_dir / 'registry.sqlite'}"
        write_deployment(data_dir / "deployments.json", registry.deployment)
        rules = RiskSettings(data_dir / "loans", settle_seconds) if risk else None
        funders = FunderSettings(payoff_days) if risk else None
        return cls(registry, migrated_engine(url), url, data_dir, rules, funders)

    @property
    def records(self) -> Path:
        """Where this mirror's lender keeps its loan records (``registry index`` reads
        ``<data_dir>/loans``)."""
        return self.data_dir / "loans"

    def handlers(self) -> list[HandlerRegistry]:
        return handler_registries(self.risk, self.funders)

    def indexer(self, **options: Any) -> Indexer:
        """An indexer of this mirror, no confirmations awaited (unless ``options`` say)."""
        options.setdefault("confirmations", 0)
        return Indexer(
            self.engine, self.registry.rpc, self.registry.deployment,
            registries=self.handlers(), **options,
        )  # fmt: skip

    def index(self) -> None:
        """Brings the mirror up to the chain's head."""
        self.indexer().run(until_head=True)

    def key(self, role: str, participant: str, label: str = "test") -> str:
        """A new API key in this mirror; its token."""
        with Session(self.engine) as session:
            _, token = create_key(session, role, participant, label)
            session.commit()
        return token

    # ------------------------------------------------------------ risk reads

    def alerts(self, **filters: Any) -> list[dict[str, Any]]:
        """Every stored alert matching ``filters`` (as :func:`list_alerts` takes them)."""
        with self.engine.connect() as conn:
            return list_alerts(conn, limit=10_000, **filters)

    def kinds(self, vin: str) -> list[str]:
        """The kinds of the alerts about ``vin``, sorted."""
        return sorted(a["kind"] for a in self.alerts(vin=vin))

    def status(self, loan_id: int) -> dict[str, Any] | None:
        """The risk rules' standing row of ``loan_id``."""
        tbl = LoanStatus.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            row = conn.execute(select(tbl).where(tbl.c.loan_id == loan_id)).mappings().first()
        return dict(row) if row is not None else None


def assert_mirror_exact(engine: Engine, registry: Registry) -> None:
    """SQL equals a fresh index of the chain (every projection table and the events)."""
    state = latest_state(engine, registry.deployment)
    assert state is not None
    fresh = fresh_index(registry.rpc, registry.deployment, state.indexed_block)
    differences = diff(dump(fresh), dump(engine))
    assert not differences, "\n".join(str(d) for d in differences[:20])
