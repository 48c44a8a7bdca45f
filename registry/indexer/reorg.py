"""Undoing a reorg: find the common ancestor, delete what is above it, rebuild what it touched.

Every projection row belongs to one VIN (or is a participant), and a VIN's rows depend only on
that VIN's events. So after deleting the events above the ancestor, the affected VINs' rows
are deleted and rebuilt by replaying their remaining events through the same handlers: the
result is exactly what indexing the surviving chain from scratch would give.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Table, delete, select
from sqlmodel import Session

from registry.chunks import chunks
from registry.db.models import Block, Event, Participant
from registry.events import DecodedEvent
from registry.indexer.apply import apply_events
from registry.indexer.fetch import ChainReader
from registry.indexer.handlers import HandlerRegistry
from registry.indexer.projections import PARTICIPANT_EVENTS
from registry.indexer.state import APPENDED, KEYED

EVENTS: Table = Event.__table__  # type: ignore[attr-defined]
BLOCKS: Table = Block.__table__  # type: ignore[attr-defined]


@dataclass
class RollbackResult:
    ancestor: int
    events_removed: int
    vins: set[str] = field(default_factory=set)
    participants: bool = False


def find_ancestor(
    session: Session, reader: ChainReader, start_block: int
) -> tuple[int, str | None]:
    """The highest stored block whose hash the node still has (and that hash).

    Looks at the recent headers first, then at the blocks of stored events; ``start_block - 1``
    (nothing indexed) when nothing matches.
    """
    conn = session.connection()
    stored = conn.execute(
        select(BLOCKS.c.number, BLOCKS.c.hash).order_by(BLOCKS.c.number.desc())
    ).all()
    candidates = [(int(n), str(h)) for n, h in stored]
    lowest = candidates[-1][0] if candidates else None
    query = (
        select(EVENTS.c.block_number, EVENTS.c.block_hash)
        .distinct()
        .order_by(EVENTS.c.block_number.desc())
    )
    if lowest is not None:
        query = query.where(EVENTS.c.block_number < lowest)
    candidates += [(int(n), str(h)) for n, h in conn.execute(query).all()]
    for chunk in chunks(candidates, 200):
        headers = reader.headers([n for n, _ in chunk])
        for n, h in chunk:
            header = headers.get(n)
            if header is not None and header.hash == h:
                return n, h
    return start_block - 1, None


def _replay(
    session: Session,
    condition: object,
    contracts: dict[str, str],
    addresses: dict[str, str],
    registries: Sequence[HandlerRegistry],
) -> None:
    rows = (
        session.connection()
        .execute(
            select(EVENTS).where(condition).order_by(EVENTS.c.block_number, EVENTS.c.log_index)  # type: ignore[arg-type]
        )
        .mappings()
    )
    events: list[DecodedEvent] = []
    times: dict[int, int] = {}
    for r in rows:
        events.append(
            DecodedEvent(
                name=r["event"],
                address=addresses.get(r["contract"], r["contract"]),
                block_number=r["block_number"],
                block_hash=r["block_hash"],
                tx_hash=r["tx_hash"],
                log_index=r["log_index"],
                args=dict(r["args"]),
            )
        )
        times[r["block_number"]] = r["block_time"]
    if events:
        apply_events(session, events, times, contracts, replay=True, registries=registries)


def rollback(
    session: Session,
    ancestor: int,
    contracts: dict[str, str],
    registries: Sequence[HandlerRegistry],
) -> RollbackResult:
    """Deletes everything above ``ancestor`` and rebuilds the rows it touched through the
    handlers of ``registries`` (no commit)."""
    conn = session.connection()
    above = EVENTS.c.block_number > ancestor
    vins = {v for (v,) in conn.execute(select(EVENTS.c.vin).distinct().where(above)) if v}
    participants = (
        conn.execute(
            select(EVENTS.c.id).where(above, EVENTS.c.event.in_(PARTICIPANT_EVENTS)).limit(1)
        ).first()
        is not None
    )
    removed = conn.execute(delete(EVENTS).where(above)).rowcount
    conn.execute(delete(BLOCKS).where(BLOCKS.c.number > ancestor))
    vin_list = sorted(vins)
    tables = [tbl for kind, (tbl, _) in KEYED.items() if kind != "participants"]
    tables += list(APPENDED.values())
    for chunk in chunks(vin_list):
        for tbl in tables:
            conn.execute(delete(tbl).where(tbl.c.vin.in_(chunk)))
    if participants:
        conn.execute(delete(Participant.__table__))  # type: ignore[attr-defined]
    for registry in registries:
        for hook in registry.rollback_hooks:
            hook(session, ancestor, vins)
    addresses = {name: address for address, name in contracts.items()}
    for chunk in chunks(vin_list):
        _replay(session, EVENTS.c.vin.in_(chunk), contracts, addresses, registries)
    if participants:
        _replay(session, EVENTS.c.event.in_(PARTICIPANT_EVENTS), contracts, addresses, registries)
    return RollbackResult(ancestor, removed, vins, participants)
