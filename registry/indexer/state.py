"""The rows one batch touches: loaded in bulk, changed in memory by the handlers, written back
in bulk (one upsert per table) inside the batch transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Connection, Table

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
from registry.enums import LienStatus
from registry.events import DecodedEvent
from registry.indexer.bulk import BulkWriter

Record = dict[str, Any]  # a projection row, by column name
Row = tuple[Any, ...]  # an events-table row, in EVENT_COLUMNS order


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
#: The events-table columns the indexer writes, in the order of its row tuples.
EVENT_COLUMNS: tuple[str, ...] = (
    "block_number", "block_hash", "block_time", "tx_hash", "log_index", "contract", "event",
    "actor", "vin", "lien_id", "loan_id", "policy_id", "claim_id", "args",
)  # fmt: skip
#: Positions in those row tuples (``row[VIN]``).
(BLOCK_NUMBER, BLOCK_HASH, BLOCK_TIME, TX_HASH, LOG_INDEX, CONTRACT, EVENT, ACTOR, VIN, LIEN_ID,
 LOAN_ID, POLICY_ID, CLAIM_ID, ARGS) = range(len(EVENT_COLUMNS))  # fmt: skip
_ID_ARGS = (
    ("lienId", "liens"),
    ("loanId", "loans"),
    ("policyId", "policies"),
    ("claimId", "claims"),
)
#: The event that creates each keyed row: the contract assigns a new id (and never issues a
#: title twice), so a row created in the batch does not exist before it (nothing to load).
_CREATED_BY = {
    "TitleIssued": ("vin", "titles"),
    "LienRegistered": ("lienId", "liens"),
    "LoanOriginated": ("loanId", "loans"),
    "PolicyRecorded": ("policyId", "policies"),
    "ClaimFiled": ("claimId", "claims"),
}
_BOOLEANS: dict[str, set[str]] = {
    t.name: {c.name for c in t.c if isinstance(c.type, Boolean)}
    for t in [*(k[0] for k in KEYED.values()), *APPENDED.values()]
}


#: What a batch's events may touch, by key: VINs, ids by kind (liens, loans, policies,
#: claims), VINs with a lien released, participant accounts.
LoadKeys = tuple[set[str], dict[str, set[int]], set[str], set[str]]


def load_keys(events: Sequence[DecodedEvent]) -> LoadKeys:
    """The keys of the existing rows ``events`` may touch.

    Titles are only changed by events that name their VIN, liens by events that name the
    lien; loans, policies and claims are loaded by id (they resolve the VIN of events that do
    not name it). Rows the batch itself creates are left out: they do not exist yet.
    """
    vins: set[str] = set()
    ids: dict[str, set[int]] = defaultdict(set)
    created: dict[str, set[Any]] = defaultdict(set)
    released_vins: set[str] = set()
    accounts: set[str] = set()
    for ev in events:
        a = ev.args
        if "vin" in a:
            vins.add(a["vin"])
        for arg, kind in _ID_ARGS:
            if arg in a:
                ids[kind].add(a[arg])
        name = ev.name
        if name in _CREATED_BY:
            arg, kind = _CREATED_BY[name]
            created[kind].add(a[arg])
        elif name == "LienReleased":
            released_vins.add(a["vin"])
        elif "account" in a:
            accounts.add(a["account"])
    vins -= created.pop("titles", set())
    for kind, new in created.items():
        ids[kind] -= new
    return vins, dict(ids), released_vins, accounts


class BatchState:
    """Projection rows as dicts, keyed by primary key, with what changed."""

    def __init__(self) -> None:
        self.titles: dict[str, Record] = {}
        self.liens: dict[int, Record] = {}
        self.loans: dict[int, Record] = {}
        self.policies: dict[int, Record] = {}
        self.claims: dict[int, Record] = {}
        self.participants: dict[tuple[str, str], Record] = {}
        self.active_liens_by_vin: dict[str, set[int]] = defaultdict(set)
        self.dirty: dict[str, set[Any]] = defaultdict(set)
        self.appended: dict[str, list[Record]] = defaultdict(list)
        self.events: list[Row] = []  # events-table rows (EVENT_COLUMNS order)
        #: the batch's events, in chain order (handlers may look ahead, to read in bulk)
        self.batch: Sequence[DecodedEvent] = ()
        #: scratch space for extension handlers, for this batch only (e.g. bulk-read rows)
        self.scratch: dict[str, Any] = {}

    def touch(self, kind: str, key: Any) -> None:
        self.dirty[kind].add(key)

    # ------------------------------------------------------------------ loading

    def _load(self, conn: Connection, kind: str, column: str, keys: Iterable[Any]) -> list[Record]:
        tbl, pk = KEYED[kind]
        store: dict[Any, Record] = getattr(self, kind)
        wanted = [k for k in set(keys) if k is not None and k not in store]
        if not wanted:
            return []
        cols = _columns(tbl)
        flags = [c for c in cols if c in _BOOLEANS[tbl.name]]
        rows: list[Record] = []
        for values in BulkWriter(conn).select_in(tbl, cols, column, wanted):
            row = dict(zip(cols, values, strict=True))
            for c in flags:  # SQLite hands booleans back as 0/1
                row[c] = bool(row[c])
            key = row[pk[0]] if len(pk) == 1 else tuple(row[c] for c in pk)
            store.setdefault(key, row)
            rows.append(store[key])
        return rows

    def load(
        self, conn: Connection, events: Sequence[DecodedEvent], keys: LoadKeys | None = None
    ) -> None:
        """Loads every existing row the events may touch (``keys``: :func:`load_keys` of the
        events, when already worked out, by the read-ahead worker)."""
        vins, ids, released_vins, accounts = keys or load_keys(events)
        none: set[int] = set()
        policies = set(ids.get("policies", none))
        for claim in self._load(conn, "claims", "claim_id", ids.get("claims", none)):
            policies.add(claim["policy_id"])
        self._load(conn, "loans", "loan_id", ids.get("loans", none))
        self._load(conn, "policies", "policy_id", policies)
        self._load(conn, "liens", "lien_id", ids.get("liens", none))
        if released_vins:  # priorities of the other active liens move on a release
            for lien in self._load(conn, "liens", "vin", released_vins):
                if lien["status"] == LienStatus.ACTIVE:
                    self.active_liens_by_vin[lien["vin"]].add(lien["lien_id"])
        for lien_id, lien in self.liens.items():
            if lien["status"] == LienStatus.ACTIVE:
                self.active_liens_by_vin[lien["vin"]].add(lien_id)
        self._load(conn, "titles", "vin", vins)
        self._load(conn, "participants", "address", accounts)

    # ------------------------------------------------------------------ writing

    def flush(self, conn: Connection, *, write_events: bool = True) -> None:
        """Writes events (ignoring ones already there), new and changed rows, appended rows."""
        bulk = BulkWriter(conn)
        if write_events and self.events:
            bulk.write(EVENTS, EVENT_COLUMNS, ("tx_hash", "log_index"), self.events,
                       update=False)  # fmt: skip
        for kind, keys in self.dirty.items():
            if not keys:
                continue
            tbl, pk = KEYED[kind]
            store: dict[Any, Record] = getattr(self, kind)
            cols = _columns(tbl)
            get = itemgetter(*cols)
            bulk.write(tbl, cols, pk, [get(store[k]) for k in keys], update=True)
        for kind, appended in self.appended.items():
            if appended:
                tbl = APPENDED[kind]
                cols = _columns(tbl)
                get = itemgetter(*cols)
                rows = [get(r) for r in appended]
                bulk.write(tbl, cols, ("tx_hash", "log_index"), rows, update=False)


def _columns(tbl: Table) -> tuple[str, ...]:
    """The columns the indexer writes (all but a surrogate ``id``)."""
    return tuple(c.name for c in tbl.c if c.name != "id")
