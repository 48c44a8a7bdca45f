"""Is the SQL mirror exactly the chain? Re-derive the state from the chain alone and diff.

Two independent derivations:

* a fresh index of the chain's logs into a private in-memory SQLite, up to the block the
  database says it indexed: every table (events and projections) is compared row by row;
* direct contract reads (``RegistryClient`` at that block) of titles, liens and loans, which
  do not depend on the indexer's code at all: for one VIN, every VIN (``sample=None``, the
  CLI's ``--full``), or a random sample of ``sample`` VINs (the rest are not read, and the
  report says so).

Each difference is reported as ``changed`` (a field differs), ``deleted`` (on chain, missing
from SQL) or ``added`` (in SQL, not on chain).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table, create_engine, select
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel

from registry.client import RegistryClient
from registry.contracts import Deployment, brand_names
from registry.db.models import PROJECTIONS, Event
from registry.db.pledges import Pledge
from registry.enums import LoanState
from registry.errors import ConfigurationError
from registry.indexer.projections import core_handlers
from registry.indexer.runner import Indexer, latest_state
from registry.rpc import Transport

_NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "titles": ("vin",),
    "liens": ("lien_id",),
    "loans": ("loan_id",),
    "policies": ("policy_id",),
    "claims": ("claim_id",),
    "participants": ("address", "role"),
    "pledges": ("pledge_id",),
}
_SKIP = {"id"}  # surrogate keys: they depend on insert order, not on the chain
#: VINs re-read from the contracts by default (a random sample; ``sample=None`` reads all).
DEFAULT_SAMPLE = 200
_COVERED = ("titles", "liens", "loans")  # the tables contract reads check, counted in a report
Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]  # table -> natural key -> row


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple[Any, ...]
    kind: str  # changed | deleted | added
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # name -> (chain, sql)

    def __str__(self) -> str:
        key = ", ".join(str(k) for k in self.key)
        if self.kind != "changed":
            return f"{self.table} [{key}]: {self.kind}"
        detail = "; ".join(f"{n}: chain={c!r} sql={s!r}" for n, (c, s) in self.fields.items())
        return f"{self.table} [{key}]: changed ({detail})"


@dataclass(frozen=True)
class Coverage:
    """How many titles (VINs), liens and loans one derivation checked."""

    vins: int = 0
    liens: int = 0
    loans: int = 0

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(self.vins + other.vins, self.liens + other.liens, self.loans + other.loans)


@dataclass
class Report:
    """The differences found, and exactly what was compared to find them."""

    indexed_block: int
    differences: list[Difference]
    rows_compared: int  # rows of every table, against the fresh index
    chain_reads: int  # contract calls
    indexed: Coverage  # compared against the fresh index
    read: Coverage  # re-read from the contracts
    vins_total: int  # VINs in scope (titles on chain or in SQL)

    @property
    def clean(self) -> bool:
        return not self.differences

    @property
    def vins_not_read(self) -> int:
        """VINs in scope whose title, liens and loans no contract read checked."""
        return self.vins_total - self.read.vins


def compared_tables() -> list[Table]:
    tables: list[Table] = [Event.__table__]  # type: ignore[attr-defined]
    tables += [m.__table__ for m in (*PROJECTIONS, Pledge)]  # type: ignore[attr-defined]
    return tables


def dump(engine: Engine, vin: str | None = None) -> Rows:
    """Every compared table as {natural key: row}, restricted to ``vin`` when given."""
    out: Rows = {}
    with engine.connect() as conn:
        for tbl in compared_tables():
            key_cols = _NATURAL_KEYS.get(tbl.name, ("tx_hash", "log_index"))
            query = select(tbl)
            if vin is not None:
                if "vin" not in tbl.c:
                    continue
                query = query.where(tbl.c.vin == vin)
            rows: dict[tuple[Any, ...], dict[str, Any]] = {}
            for r in conn.execute(query).mappings():
                row = {k: v for k, v in r.items() if k not in _SKIP}
                rows[tuple(row[c] for c in key_cols)] = row
            out[tbl.name] = rows
    return out


def diff(chain: Rows, sql: Rows) -> list[Difference]:
    """Differences between the chain's rows and the SQL rows, table by table."""
    found: list[Difference] = []
    for name in chain.keys() | sql.keys():
        expected, actual = chain.get(name, {}), sql.get(name, {})
        for key in sorted(expected.keys() - actual.keys(), key=str):
            found.append(Difference(name, key, "deleted"))
        for key in sorted(actual.keys() - expected.keys(), key=str):
            found.append(Difference(name, key, "added"))
        for key in sorted(expected.keys() & actual.keys(), key=str):
            e, a = expected[key], actual[key]
            fields = {c: (e[c], a.get(c)) for c in e if e[c] != a.get(c)}
            if fields:
                found.append(Difference(name, key, "changed", fields))
    return found


def memory_engine() -> Engine:
    """A private in-memory SQLite with the schema (for a fresh index)."""
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    SQLModel.metadata.create_all(engine, tables=compared_tables() + _support_tables())
    return engine


def _support_tables() -> list[Table]:
    from registry.db.models import Block, IndexerState

    return [Block.__table__, IndexerState.__table__]  # type: ignore[attr-defined]


def fresh_index(rpc: Transport, deployment: Deployment, upto_block: int) -> Engine:
    """Indexes the chain's logs up to ``upto_block`` into a new in-memory database (the core
    projections only: they are what the audit compares)."""
    engine = memory_engine()
    indexer = Indexer(engine, rpc, deployment, confirmations=0, batch_blocks=10_000,
                      registries=[core_handlers()])  # fmt: skip
    indexer.run(until_block=upto_block, lock=False)
    return engine


def _by_vin(sql: Rows, vins: Iterable[str]) -> dict[str, Rows]:
    """The titles, liens and loans rows of each of ``vins``, from a dump of the scope."""
    out: dict[str, Rows] = {v: {t: {} for t in _COVERED} for v in vins}
    for table in _COVERED:
        for key, row in sql.get(table, {}).items():
            if row["vin"] in out:
                out[row["vin"]][table][key] = row
    return out


def _read_checks(
    sql: Rows, client: RegistryClient, block: int, vins: Iterable[str]
) -> tuple[list[Difference], int, Coverage]:
    """Titles, liens and loans of ``vins`` in SQL against contract reads at ``block``."""
    found: list[Difference] = []
    reads = 0
    read = Coverage()
    for vin, tables in _by_vin(sql, vins).items():
        t = client.title(vin, block)
        reads += 1
        read += Coverage(vins=1)
        row = tables["titles"].get((vin,))
        if row is None or not t.exists:
            if row is None and t.exists:
                found.append(Difference("titles", (vin,), "deleted"))
            elif row is not None:
                found.append(Difference("titles", (vin,), "added"))
        else:
            chain = {"owner": t.owner.lower(), "status": t.status, "active_liens": t.active_liens,
                     "odometer": t.odometer, "transfers": t.transfers,
                     "brands": tuple(t.brands)}  # fmt: skip
            mine = dict(row, brands=tuple(brand_names(row["brands"])))
            fields = {k: (v, mine[k]) for k, v in chain.items() if mine[k] != v}
            if fields:
                found.append(Difference("titles", (vin,), "changed", fields))
        chain_liens = client.liens_of(vin, block)
        reads += 1
        for lien_id in chain_liens:
            lien = client.lien(lien_id, block)
            reads += 1
            read += Coverage(liens=1)
            row = tables["liens"].get((lien_id,))
            if row is None:
                found.append(Difference("liens", (lien_id,), "deleted"))
                continue
            chain = {"holder": lien.holder.lower(), "status": lien.status,
                     "floor_plan": lien.floor_plan, "priority": lien.priority}  # fmt: skip
            fields = {k: (v, row[k]) for k, v in chain.items() if row[k] != v}
            if fields:
                found.append(Difference("liens", (lien_id,), "changed", fields))
        for (lien_id,) in tables["liens"].keys() - {(i,) for i in chain_liens}:
            found.append(Difference("liens", (lien_id,), "added"))
        for (loan_id,), row in tables["loans"].items():
            loan = client.loan(loan_id, block)
            reads += 1
            read += Coverage(loans=1)
            if loan.state is LoanState.NONE:
                found.append(Difference("loans", (loan_id,), "added"))
                continue
            chain = {"lender": loan.lender.lower(), "lien_id": loan.lien_id,
                     "state": loan.state, "terms_hash": loan.terms_hash,
                     "schedule_hash": loan.schedule_hash}  # fmt: skip
            fields = {k: (v, row[k]) for k, v in chain.items() if row[k] != v}
            if fields:
                found.append(Difference("loans", (loan_id,), "changed", fields))
    return found, reads, read


def verify(
    engine: Engine,
    rpc: Transport,
    deployment: Deployment,
    *,
    vin: str | None = None,
    sample: int | None = DEFAULT_SAMPLE,
) -> Report:
    """Compares the SQL mirror with the chain at the block the mirror says it indexed.

    Every row is compared against a fresh index; the contracts are re-read for ``vin``, for
    a random sample of ``sample`` VINs, or for every VIN when ``sample`` is None.
    """
    state = latest_state(engine, deployment)
    if state is None:
        raise ConfigurationError(
            "this database holds no index of the deployment: run `registry index` first"
        )
    block = state.indexed_block
    chain = dump(fresh_index(rpc, deployment, block), vin)
    sql = dump(engine, vin)
    differences = diff(chain, sql)
    keys = {t: chain.get(t, {}).keys() | sql.get(t, {}).keys() for t in _COVERED}
    indexed = Coverage(len(keys["titles"]), len(keys["liens"]), len(keys["loans"]))
    scope = [vin] if vin else sorted(k[0] for k in keys["titles"])
    vins = scope
    if vin is None and sample is not None and sample < len(scope):
        vins = sorted(random.sample(scope, sample))
    client = RegistryClient(rpc, deployment)
    extra, reads, read = _read_checks(sql, client, block, vins)
    seen = {(d.table, d.key, d.kind) for d in differences}
    differences += [d for d in extra if (d.table, d.key, d.kind) not in seen]
    rows = sum(len(t) for t in chain.values())
    return Report(block, differences, rows, reads, indexed, read, len(scope))
