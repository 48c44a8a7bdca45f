"""The rows one batch touches: loaded in bulk, changed in memory by the handlers, written back
in bulk (one upsert per table) inside the batch transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from registry.db.models import (
    BrandRecord,
    Claim,
    Event,
    Lien,
    Loan,
    OdometerReading,
    Participant,
    Policy,
    Sale,
    Title,
    TotalLoss,
)
from registry.events import DecodedEvent

Row = dict[str, Any]


def table(model: Any) -> Table:
    t: Table = model.__table__
    return t


#: Keyed projections: attribute on BatchState -> (table, primary key columns).
KEYED: dict[str, tuple[Table, tuple[str, ...]]] = {
    "titles": (table(Title), ("vin",)),
    "liens": (table(Lien), ("lien_id",)),
    "loans": (table(Loan), ("loan_id",)),
    "policies": (table(Policy), ("policy_id",)),
    "claims": (table(Claim), ("claim_id",)),
    "participants": (table(Participant), ("address", "role")),
}
#: Append-only projections: attribute -> table.
APPENDED: dict[str, Table] = {
    "brand_history": table(BrandRecord),
    "odometer_readings": table(OdometerReading),
    "total_losses": table(TotalLoss),
    "sales": table(Sale),
}
EVENTS = table(Event)
_CHUNK = 900  # parameters per IN (...) query (SQLite's historic limit is 999)


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _insert(conn: Connection, tbl: Table) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(tbl)


class BatchState:
    """Projection rows as dicts, keyed by primary key, with what changed."""

    def __init__(self) -> None:
        self.titles: dict[str, Row] = {}
        self.liens: dict[int, Row] = {}
        self.loans: dict[int, Row] = {}
        self.policies: dict[int, Row] = {}
        self.claims: dict[int, Row] = {}
        self.participants: dict[tuple[str, str], Row] = {}
        self.active_liens_by_vin: dict[str, set[int]] = defaultdict(set)
        self.dirty: dict[str, set[Any]] = defaultdict(set)
        self.appended: dict[str, list[Row]] = defaultdict(list)
        self.events: list[Row] = []

    def touch(self, kind: str, key: Any) -> None:
        self.dirty[kind].add(key)

    # ------------------------------------------------------------------ loading

    def _load(self, conn: Connection, kind: str, column: str, keys: Iterable[Any]) -> list[Row]:
        tbl, pk = KEYED[kind]
        store: dict[Any, Row] = getattr(self, kind)
        wanted = [k for k in set(keys) if k is not None and k not in store]
        rows: list[Row] = []
        for chunk in _chunks(wanted):
            for r in conn.execute(select(tbl).where(tbl.c[column].in_(chunk))).mappings():
                row = dict(r)
                key = row[pk[0]] if len(pk) == 1 else tuple(row[c] for c in pk)
                store.setdefault(key, row)
                rows.append(store[key])
        return rows

    def load(self, conn: Connection, events: Sequence[DecodedEvent]) -> None:
        """Loads every existing row the events may touch (ids first, then their VINs)."""
        vins: set[str] = set()
        ids: dict[str, set[int]] = defaultdict(set)
        released_vins: set[str] = set()
        accounts: set[str] = set()
        for ev in events:
            a = ev.args
            if "vin" in a:
                vins.add(a["vin"])
            for arg, kind in (
                ("lienId", "liens"),
                ("loanId", "loans"),
                ("policyId", "policies"),
                ("claimId", "claims"),
            ):
                if arg in a:
                    ids[kind].add(a[arg])
            if ev.name == "LienReleased":
                released_vins.add(a["vin"])
            elif "account" in a:
                accounts.add(a["account"])
        for claim in self._load(conn, "claims", "claim_id", ids["claims"]):
            ids["policies"].add(claim["policy_id"])
        for kind, column in (("loans", "loan_id"), ("policies", "policy_id")):
            for row in self._load(conn, kind, column, ids[kind]):
                vins.add(row["vin"])
                if kind == "loans":
                    ids["liens"].add(row["lien_id"])
        for row in self._load(conn, "liens", "lien_id", ids["liens"]):
            vins.add(row["vin"])
        if released_vins:  # priorities of the other active liens move on a release
            tbl = KEYED["liens"][0]
            for chunk in _chunks(sorted(released_vins)):
                query = select(tbl).where(tbl.c.vin.in_(chunk), tbl.c.status == "ACTIVE")
                for r in conn.execute(query).mappings():
                    self.liens.setdefault(r["lien_id"], dict(r))
        for lien_id, lien in self.liens.items():
            if lien["status"] == "ACTIVE":
                self.active_liens_by_vin[lien["vin"]].add(lien_id)
        self._load(conn, "titles", "vin", vins)
        self._load(conn, "participants", "address", accounts)

    # ------------------------------------------------------------------ writing

    def flush(self, conn: Connection, *, write_events: bool = True) -> None:
        """Writes events (ignoring ones already there), new and changed rows, appended rows."""
        if write_events and self.events:
            stmt = _insert(conn, EVENTS).on_conflict_do_nothing(
                index_elements=["tx_hash", "log_index"]
            )
            conn.execute(stmt, self.events)
        for kind, keys in self.dirty.items():
            if not keys:
                continue
            tbl, pk = KEYED[kind]
            store: dict[Any, Row] = getattr(self, kind)
            rows = [store[k] for k in keys]
            stmt = _insert(conn, tbl)
            stmt = stmt.on_conflict_do_update(
                index_elements=list(pk),
                set_={c.name: stmt.excluded[c.name] for c in tbl.c if c.name not in pk},
            )
            conn.execute(stmt, rows)
        for kind, rows in self.appended.items():
            if rows:
                stmt = _insert(conn, APPENDED[kind]).on_conflict_do_nothing(
                    index_elements=["tx_hash", "log_index"]
                )
                conn.execute(stmt, rows)
