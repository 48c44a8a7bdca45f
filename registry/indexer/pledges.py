"""The pledge handlers: ``LoanPledged`` and ``PledgeReleased`` into the ``pledges`` table.

Registered with the core projections (:func:`register_pledge_handlers`, called by
:func:`registry.indexer.projections.core_handlers`), so every indexer, the audit's fresh
index and a reorg's replay keep the table. The events themselves go into the events table like
every other (their VIN and lien resolved through the loan), so a vehicle's history shows them.
Rows are buffered in the batch's ``state.scratch`` and upserted once the batch (or replay) is
applied; a release of a pledge made in an earlier batch reads that row first (all of the
batch's in one query). On a reorg the affected VINs' pledges are deleted and rebuilt by the
replay of their events.
"""

from __future__ import annotations

from sqlalchemy import Table, delete
from sqlmodel import Session

from registry.chunks import chunks
from registry.db import dialect_insert
from registry.db.pledges import Pledge
from registry.enums import PledgeReleaseReason
from registry.indexer.bulk import BulkWriter
from registry.indexer.handlers import EventContext, HandlerRegistry
from registry.indexer.state import LIEN_ID, BatchState, Record

PLEDGES: Table = Pledge.__table__  # type: ignore[attr-defined]
COLUMNS: tuple[str, ...] = tuple(c.name for c in PLEDGES.c)
_SCRATCH = "pledges"
_BY_VIN = "pledges_by_vin"
_REASONS = tuple(r.value for r in PledgeReleaseReason)


def _rows(state: BatchState) -> dict[int, Record]:
    rows: dict[int, Record] | None = state.scratch.get(_SCRATCH)
    if rows is None:
        rows = state.scratch[_SCRATCH] = {}
    return rows


def _by_vin(state: BatchState) -> dict[str | None, set[int]]:
    found: dict[str | None, set[int]] | None = state.scratch.get(_BY_VIN)
    if found is None:
        found = state.scratch[_BY_VIN] = {}
    return found


def batch_pledges_on(state: BatchState, vin: str) -> list[Record]:
    """The pledges on ``vin``'s loans that this batch made or released so far (as they stand
    after the events handled up to now; active or not)."""
    rows = _rows(state)
    return [rows[i] for i in sorted(_by_vin(state).get(vin, ()))]


def _keep(state: BatchState, row: Record) -> None:
    _rows(state)[row["pledge_id"]] = row
    _by_vin(state).setdefault(row["vin"], set()).add(row["pledge_id"])


def loan_pledged(ctx: EventContext) -> None:
    a, ev = ctx.event.args, ctx.event
    _keep(
        ctx.state,
        {
            "pledge_id": a["pledgeId"],
            "loan_id": a["loanId"],
            "lien_id": ctx.values[LIEN_ID],
            "vin": ctx.vin,
            "lender": a["lender"],
            "funder": a["funder"],
            "pledged_block": ev.block_number,
            "pledged_log_index": ev.log_index,
            "pledged_at": ctx.block_time,
            "released_block": None,
            "released_at": None,
            "release_reason": None,
            "active": True,
        },
    )


def pledge_released(ctx: EventContext) -> None:
    a = ctx.event.args
    rows = _rows(ctx.state)
    pledge_id = a["pledgeId"]
    if pledge_id not in rows:
        _load_released(ctx)
    row = rows.get(pledge_id)
    if row is None:
        return  # pledged before the mirror's first block: nothing to change
    reason = a["reason"]
    row.update(
        active=False,
        released_block=ctx.event.block_number,
        released_at=ctx.block_time,
        release_reason=_REASONS[reason] if reason < len(_REASONS) else str(reason),
    )


def _load_released(ctx: EventContext) -> None:
    """Reads the stored rows of every pledge the batch releases that it did not make."""
    rows = _rows(ctx.state)
    wanted = {
        ev.args["pledgeId"] for ev in ctx.state.batch if ev.name == "PledgeReleased"
    } - rows.keys()
    if not wanted:
        return
    for values in BulkWriter(ctx.session.connection()).select_in(
        PLEDGES, COLUMNS, "pledge_id", sorted(wanted)
    ):
        row = dict(zip(COLUMNS, values, strict=True))
        row["active"] = bool(row["active"])  # SQLite hands booleans back as 0/1
        if row["pledge_id"] not in rows:
            _keep(ctx.state, row)


def flush(session: Session, state: BatchState) -> None:
    """Upserts the pledges the batch made or released (the ``after_apply`` hook)."""
    rows = state.scratch.get(_SCRATCH)
    if not rows:
        return
    conn = session.connection()
    stmt = dialect_insert(conn, PLEDGES)
    stmt = stmt.on_conflict_do_update(
        index_elements=["pledge_id"],
        set_={c: stmt.excluded[c] for c in COLUMNS if c != "pledge_id"},
    )
    conn.execute(stmt, list(rows.values()))
    state.scratch[_SCRATCH], state.scratch[_BY_VIN] = {}, {}


def rollback(session: Session, ancestor: int, vins: set[str]) -> None:
    """Deletes the pledges of the reorg's VINs (their replay rebuilds them), and any made
    above the ancestor."""
    conn = session.connection()
    conn.execute(delete(PLEDGES).where(PLEDGES.c.pledged_block > ancestor))
    for chunk in chunks(sorted(vins)):
        conn.execute(delete(PLEDGES).where(PLEDGES.c.vin.in_(chunk)))


#: The handler of each pledge event.
PLEDGE_HANDLERS = {"LoanPledged": loan_pledged, "PledgeReleased": pledge_released}


def register_pledge_handlers(registry: HandlerRegistry) -> HandlerRegistry:
    """Adds the pledge handlers and their hooks to ``registry``."""
    for name, handler in PLEDGE_HANDLERS.items():
        registry.on(name, handler)
    return registry.after_apply(flush).on_rollback(rollback)
