"""Comparable mirrors: a digest of a mirror's state at a block, the same on every correct
mirror (SQLite or PostgreSQL, any participant's), and the first block two mirrors differ at.

The state at block ``N`` is the events up to ``N`` and the projections as they stood at ``N``:
a projection row last changed at or before ``N`` (``updated_block``; ``block_number`` for the
append-only tables) is taken as stored; a row changed since is rebuilt as of ``N`` by
replaying its VIN's events up to ``N`` through the projection handlers (participants: their
events). Every row is written as one line of JSON (an array of its values in column order,
booleans as booleans, the events' arguments as the indexer wrote them, which SQLite and
PostgreSQL's ``json`` both keep verbatim) without local-only columns (surrogate ids), in a
canonical order (chain order for events and append-only rows, the natural key for the
others), and hashed with SHA-256 table by table; the digest hashes the chain id, the
registry address, the block and every table's digest. The risk tables are left out: they
derive from a lender's private loan records, which other participants' mirrors do not hold.

Comparing two mirrors with these digests: :mod:`registry.compare`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import BigInteger, Boolean, Connection, Engine, Integer, Table, Text, cast, select
from sqlalchemy.types import JSON

from registry.db.models import PROJECTIONS, Event
from registry.errors import InvalidInput, OutOfRange
from registry.indexer.projections import PARTICIPANT_EVENTS
from registry.indexer.state import APPENDED, EVENT_COLUMNS, KEYED, BatchState
from registry.queries import Query, Reader, mirror_state, snapshot_connection
from registry.queries.asof import replay, vin_rows

#: Every digested table: name -> (table, natural key, the column saying when a row was
#: written, whether the natural key sorts in SQL as it does in Python: integers only).
_EVENTS: Table = Event.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Spec:
    table: Table
    key: tuple[str, ...]
    block_column: str
    columns: tuple[str, ...]
    booleans: tuple[int, ...]  # positions of the boolean columns (SQLite says 0/1)
    json_columns: tuple[int, ...]  # positions of the JSON columns (SQLite hands back text)
    kind: str | None  # the BatchState attribute of a keyed projection (None: append-only)


def _spec(table: Table, key: tuple[str, ...], block_column: str, kind: str | None) -> Spec:
    cols = [c for c in table.c if c.name != "id"]
    return Spec(
        table, key, block_column, tuple(c.name for c in cols),
        tuple(i for i, c in enumerate(cols) if isinstance(c.type, Boolean)),
        tuple(i for i, c in enumerate(cols) if isinstance(c.type, JSON)),
        kind,
    )  # fmt: skip


def _specs() -> dict[str, Spec]:
    out = {"events": _spec(_EVENTS, ("tx_hash", "log_index"), "block_number", None)}
    keyed = {tbl.name: (kind, pk) for kind, (tbl, pk) in KEYED.items()}
    appended = {tbl.name for tbl in APPENDED.values()}
    for model in PROJECTIONS:
        tbl: Table = model.__table__  # type: ignore[attr-defined]
        if tbl.name in keyed:
            kind, pk = keyed[tbl.name]
            out[tbl.name] = _spec(tbl, pk, "updated_block", kind)
        elif tbl.name in appended:
            out[tbl.name] = _spec(tbl, ("tx_hash", "log_index"), "block_number", None)
    return out


SPECS: dict[str, Spec] = _specs()
TABLES: tuple[str, ...] = tuple(SPECS)

Values = list[Any]  # a row's canonical values, in Spec.columns order


@dataclass(frozen=True)
class TableDigest:
    rows: int
    digest: str


@dataclass(frozen=True)
class Digest:
    """A mirror's digest at ``block``, and each table's."""

    chain_id: int
    registry: str
    block: int
    digest: str
    tables: dict[str, TableDigest]

    def as_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "registry": self.registry,
            "block": self.block,
            "digest": self.digest,
            "tables": {n: {"rows": t.rows, "digest": t.digest} for n, t in self.tables.items()},
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Digest:
        tables = {
            n: TableDigest(int(t["rows"]), str(t["digest"])) for n, t in doc["tables"].items()
        }
        return cls(int(doc["chain_id"]), str(doc["registry"]), int(doc["block"]),
                   str(doc["digest"]), tables)  # fmt: skip


# ------------------------------------------------------------------------- the state


def _canonical(spec: Spec, row: Sequence[Any]) -> Values:
    """A row's values as JSON values (booleans as booleans, JSON columns decoded)."""
    values = list(row)
    for i in spec.booleans:
        if values[i] is not None:
            values[i] = bool(values[i])
    for i in spec.json_columns:
        if isinstance(values[i], (str, bytes)):
            values[i] = json.loads(values[i])
    return values


_quote = json.encoder.encode_basestring_ascii


def _encoder(spec: Spec) -> Callable[[Sequence[Any]], str]:
    """A function writing one row (as the database hands it back: booleans as 0/1 or
    booleans, JSON columns as their text) as one line of JSON: an array of the values in
    column order, strings escaped by json's own escaper, the JSON columns' text as stored
    (the indexer writes it; both databases keep it verbatim). Generated per table, as
    :mod:`registry.events` does: about three times cheaper than ``json.dumps``."""
    fields, values = [], []
    for i, col in enumerate(spec.table.c[c] for c in spec.columns):
        v = f"r[{i}]"
        if i in spec.booleans:
            expr = f"('true' if {v} else 'false')"
        elif i in spec.json_columns:
            expr = v
        elif isinstance(col.type, (Integer, BigInteger)):
            expr = v if not col.nullable else f"('null' if {v} is None else '%d' % {v})"
            if not col.nullable:
                fields.append("%d")
                values.append(expr)
                continue
        else:
            expr = f"_quote({v})"
        if col.nullable:
            expr = f"('null' if {v} is None else {expr})"
        fields.append("%s")
        values.append(expr)
    template = "[" + ",".join(fields) + "]\n"
    source = f"def encode(r):\n    return {template!r} % ({', '.join(values)},)\n"
    namespace: dict[str, Any] = {"_quote": _quote}
    exec(source, namespace)  # built from the table's column names and types only
    encode: Callable[[Sequence[Any]], str] = namespace["encode"]
    return encode


_ENCODERS: dict[str, Callable[[Sequence[Any]], str]] = {}


def _encode_of(spec: Spec) -> Callable[[Sequence[Any]], str]:
    found = _ENCODERS.get(spec.table.name)
    if found is None:
        found = _ENCODERS.setdefault(spec.table.name, _encoder(spec))
    return found


Row = Sequence[Any]  # a row as the database hands it back, in Spec.columns order


class _State:
    """The rows of one mirror as they stood at ``block`` (one database snapshot)."""

    def __init__(self, conn: Connection, block: int) -> None:
        self.conn = conn
        self.block = block
        self._replayed: dict[str, BatchState] = {}
        self._participants: BatchState | None = None

    def _stored(self, spec: Spec, where: Any) -> Iterator[Row]:
        """Stored rows, streamed from the DB-API cursor (a server-side one on PostgreSQL)."""
        cols = [
            cast(spec.table.c[c], Text) if i in spec.json_columns else spec.table.c[c]
            for i, c in enumerate(spec.columns)
        ]  # JSON as its text: PostgreSQL's json keeps the text it was given
        stmt = select(*cols).where(where)
        if spec.kind is None:  # chain order, in SQL (integers: the same order everywhere)
            stmt = stmt.order_by(spec.table.c.block_number, spec.table.c.log_index)
        sql, order, params = Query(stmt).compiled(self.conn.dialect)
        raw = self.conn.connection.dbapi_connection
        assert raw is not None
        postgres = self.conn.dialect.name == "postgresql"
        cur = raw.cursor(name=f"digest_{spec.table.name}") if postgres else raw.cursor()
        try:
            cur.execute(sql, tuple(params[n] for n in order) if order is not None else params)
            while batch := cur.fetchmany(20_000):
                yield from batch
        finally:
            cur.close()

    def _replay_vin(self, vin: str) -> BatchState:
        state = self._replayed.get(vin)
        if state is None:
            state = replay(vin_rows(Reader.of(self.conn), vin, self.block))
            self._replayed[vin] = state
        return state

    def _replay_participants(self) -> BatchState:
        if self._participants is None:
            e = _EVENTS
            rows = self.conn.execute(
                select(*(e.c[c] for c in EVENT_COLUMNS))
                .where(e.c.event.in_(PARTICIPANT_EVENTS), e.c.block_number <= self.block)
                .order_by(e.c.block_number, e.c.log_index)
            ).all()
            self._participants = replay(rows)
        return self._participants

    def rows(self, name: str, only_block: int | None = None) -> Iterator[Row]:
        """The table's rows at the block, in canonical order (``only_block``: only those
        written at that block)."""
        spec = SPECS[name]
        col = spec.table.c[spec.block_column]
        upper = col <= self.block if only_block is None else col == only_block
        stored = self._stored(spec, upper)
        if spec.kind is None:
            return stored
        return iter(self._keyed(spec, list(stored), only_block))

    def _keyed(self, spec: Spec, out: list[Row], only_block: int | None) -> list[Row]:
        """A keyed projection's rows: those stored, and as of the block those changed since."""
        col = spec.table.c[spec.block_column]
        later: list[Row] = []
        changed = list(self._stored(spec, col > self.block))
        if spec.kind == "participants":
            if changed:
                later = self._from_replay(spec, self._replay_participants(), None)
        else:
            for vin in sorted({r[spec.columns.index("vin")] for r in changed}):
                later += self._from_replay(spec, self._replay_vin(vin), vin)
        if only_block is not None:
            where = spec.columns.index(spec.block_column)
            later = [r for r in later if r[where] == only_block]
        by_key = itemgetter(*(spec.columns.index(k) for k in spec.key))
        if later:  # rows changed since: theirs as of the block replace the stored ones
            merged = {by_key(r): r for r in out}
            merged.update({by_key(r): r for r in later})
            out = list(merged.values())
        out.sort(key=by_key)
        return out

    def _from_replay(self, spec: Spec, state: BatchState, vin: str | None) -> list[Row]:
        assert spec.kind is not None
        rows: dict[Any, dict[str, Any]] = getattr(state, spec.kind)
        return [
            tuple(r[c] for c in spec.columns)
            for r in rows.values()
            if vin is None or r.get("vin") == vin
        ]


def _table_digest(spec: Spec, rows: Iterator[Row]) -> TableDigest:
    h = hashlib.sha256()
    encode = _encode_of(spec)
    count = 0
    lines: list[str] = []
    for row in rows:
        lines.append(encode(row))
        count += 1
        if len(lines) >= 10_000:
            h.update("".join(lines).encode())
            lines.clear()
    h.update("".join(lines).encode())
    return TableDigest(count, "0x" + h.hexdigest())


def mirror_block(conn: Connection, block: int | None) -> tuple[int, str, int]:
    """(chain id, registry address, ``block`` or the block the mirror indexed), checked:
    :class:`OutOfRange` past what it indexed."""
    state = mirror_state(Reader.of(conn))
    if state is None:
        raise OutOfRange("the SQL mirror is empty: run `registry index` first")
    n = state.indexed_block if block is None else block
    if n > state.indexed_block:
        raise OutOfRange(
            f"block {n} is past what the mirror has indexed (block {state.indexed_block})",
            block=n,
            indexed_block=state.indexed_block,
        )
    if n < 0:
        raise InvalidInput(f"block {n} is not a block number", block=n)
    return state.chain_id, state.registry_address.lower(), n


def combine(chain_id: int, registry: str, block: int, tables: dict[str, TableDigest]) -> str:
    """The digest of a mirror from its tables' digests."""
    h = hashlib.sha256(f"{chain_id}:{registry.lower()}:{block}\n".encode())
    for name in sorted(tables):
        h.update(f"{name}:{tables[name].rows}:{tables[name].digest}\n".encode())
    return "0x" + h.hexdigest()


def digest_of(conn: Connection, block: int | None = None, tables: Sequence[str] = TABLES) -> Digest:
    """The digest of the mirror on ``conn`` at ``block`` (default: the block it indexed),
    over ``tables`` (default: all); ``conn`` should be one snapshot
    (:func:`registry.queries.snapshot_connection`)."""
    unknown = sorted(set(tables) - set(SPECS))
    if unknown:
        raise InvalidInput(f"no digested table {', '.join(unknown)}: one of {', '.join(SPECS)}")
    chain_id, registry, n = mirror_block(conn, block)
    state = _State(conn, n)
    found = {name: _table_digest(SPECS[name], state.rows(name)) for name in tables}
    return Digest(chain_id, registry, n, combine(chain_id, registry, n, found), found)


def mirror_digest(engine: Engine, block: int | None = None) -> Digest:
    """:func:`digest_of` in one snapshot of ``engine``."""
    with snapshot_connection(engine) as conn:
        return digest_of(conn, block)


def written_at(conn: Connection, block: int, tables: Sequence[str]) -> dict[str, list[Values]]:
    """The rows of ``tables`` that block ``block`` wrote, as they stood at it."""
    mirror_block(conn, block)
    state = _State(conn, block)
    return {
        name: [_canonical(SPECS[name], r) for r in state.rows(name, only_block=block)]
        for name in tables
    }
