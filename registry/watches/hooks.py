"""The indexer's watch handlers: every event touching a watched vehicle becomes a notice.

Run after the core projections (``registry index`` does, as a default extension), so that
for each event ``ctx.state`` already shows the vehicle as the event left it: that is the
notice's ``state``. A vehicle is watched by a participant that watches its VIN, or an
address that owns it or holds a lien on it (read once per batch), or that the event itself
names as a party (the buyer of a transfer, the holder of a new lien, the lender of a loan):
so an owner watching its own address hears of a lien registered against its car in the
block that registers it. Notices are written once the batch is applied, each with its
outbox rows for the watcher's webhooks, in the batch's transaction; a reorg deletes the
VINs' notices above the common ancestor and the replay writes again those that still stand.

With no watch registered, each event costs one dictionary lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select
from sqlmodel import Session

from registry.chunks import chunks
from registry.enums import Brand, LienStatus, WatchKind
from registry.indexer.handlers import EventContext, HandlerRegistry
from registry.indexer.projections import ACTOR_ARG
from registry.indexer.state import KEYED, BatchState, Record
from registry.queries import Reader
from registry.timeline import Moment, explain, participant_names
from registry.watches.store import WATCHES, NewNotice, remove_notices_after, store_notices

if TYPE_CHECKING:
    from registry.config import Settings

_SCRATCH = "watches"
#: Arguments naming a party with an interest in the vehicle (owner, buyer, lienholder,
#: lender, loss payee): an address watch of that party hears the event.
PARTY_ARGS = ("owner", "from", "to", "buyer", "holder", "lender", "lossPayee", "funder")
#: Events after which the address their argument names owns the vehicle or holds a lien on
#: it: later events of the batch on that VIN are watched by that address's watchers too.
_GAINS = {"TitleIssued": "owner", "TitleTransferred": "to", "LienRegistered": "holder",
          "LienAssigned": "to"}  # fmt: skip
TITLES = KEYED["titles"][0]
LIENS = KEYED["liens"][0]
LOANS = KEYED["loans"][0]


@dataclass
class Watched:
    """One batch's view of the watches, and the notices its events made."""

    #: vin -> watcher -> what matched ("vin", "address:0x…")
    by_vin: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    #: watched address -> its watchers
    by_address: dict[str, set[str]] = field(default_factory=dict)
    notices: list[NewNotice] = field(default_factory=list)
    #: the vehicle's rows as stored before the batch: vin -> (title, liens, loans)
    stored: dict[str, tuple[Record | None, list[Record], list[Record]]] = field(
        default_factory=dict
    )
    #: participant names by lowercase address, read once per batch when a notice is made
    names: dict[str, str] | None = None
    #: vin -> its active liens (id -> (priority, holder)) after its last notice in the batch
    ranks: dict[str, dict[int, tuple[int, str]]] = field(default_factory=dict)

    def add(self, vin: str, watcher: str, reason: str) -> None:
        self.by_vin.setdefault(vin, {}).setdefault(watcher, set()).add(reason)


def load_watched(conn: Connection) -> Watched | None:
    """Every watch, with the vehicles the watched addresses own or hold liens on (None: no
    watches at all)."""
    rows = conn.execute(select(WATCHES.c.watcher, WATCHES.c.kind, WATCHES.c.target)).all()
    if not rows:
        return None
    w = Watched()
    for watcher, kind, target in rows:
        if kind == WatchKind.VIN:
            w.add(target, watcher, "vin")
        else:
            w.by_address.setdefault(target, set()).add(watcher)
    addresses = sorted(w.by_address)
    for part in chunks(addresses):
        owned = select(TITLES.c.vin, TITLES.c.owner).where(TITLES.c.owner.in_(part))
        held = select(LIENS.c.vin, LIENS.c.holder).where(
            LIENS.c.holder.in_(part), LIENS.c.status == LienStatus.ACTIVE.value
        )
        for vin, party in [*conn.execute(owned), *conn.execute(held)]:
            for watcher in w.by_address[party]:
                w.add(vin, watcher, f"address:{party}")
    return w


def _watched(ctx: EventContext) -> Watched | None:
    scratch = ctx.state.scratch
    if _SCRATCH not in scratch:
        scratch[_SCRATCH] = load_watched(ctx.session.connection())
    found: Watched | None = scratch[_SCRATCH]
    return found


def _stored(
    ctx: EventContext, w: Watched, vin: str
) -> tuple[Record | None, list[Record], list[Record]]:
    if vin not in w.stored:
        conn = ctx.session.connection()
        title = conn.execute(select(TITLES).where(TITLES.c.vin == vin)).mappings().first()
        liens = [dict(r) for r in conn.execute(select(LIENS).where(LIENS.c.vin == vin)).mappings()]
        loans = [dict(r) for r in conn.execute(select(LOANS).where(LOANS.c.vin == vin)).mappings()]
        w.stored[vin] = (dict(title) if title else None, liens, loans)
    return w.stored[vin]


def vehicle_state(ctx: EventContext, w: Watched, vin: str) -> dict[str, Any]:
    """The vehicle as the event left it: title, active liens in priority order, their loans."""
    title, stored_liens, stored_loans = _stored(ctx, w, vin)
    state: BatchState = ctx.state
    title = state.titles.get(vin, title)
    liens = {r["lien_id"]: r for r in stored_liens}
    liens.update({k: r for k, r in state.liens.items() if r["vin"] == vin})
    loans = {r["loan_id"]: r for r in stored_loans}
    loans.update({k: r for k, r in state.loans.items() if r["vin"] == vin})
    active = sorted(
        (r for r in liens.values() if r["status"] == LienStatus.ACTIVE.value),
        key=lambda r: r["priority"],
    )
    active_ids = {r["lien_id"] for r in active}
    out: dict[str, Any] = {"vin": vin, "titled": title is not None}
    if title is not None:
        brands = int(title["brands"])
        out.update(
            owner=title["owner"], status=title["status"], odometer=title["odometer"],
            brands=[b.value for b in Brand if brands >> b.chain_index & 1],
            transfers=title["transfers"],
        )  # fmt: skip
    out["active_liens"] = [
        {"lien_id": r["lien_id"], "holder": r["holder"], "priority": r["priority"],
         "floor_plan": bool(r["floor_plan"])}
        for r in active
    ]  # fmt: skip
    out["loans"] = [
        {"loan_id": r["loan_id"], "lien_id": r["lien_id"], "lender": r["lender"],
         "state": r["state"], "total_paid": r["total_paid"], "days_past_due": r["days_past_due"]}
        for r in sorted(loans.values(), key=lambda r: r["loan_id"])
        if r["lien_id"] in active_ids
    ]  # fmt: skip
    return out


def in_words(ctx: EventContext, w: Watched, vin: str, after: dict[str, Any]) -> str:
    """The event in one sentence about ``vin``, in the words of the vehicle's timeline
    (:func:`registry.timeline.explain`), given the vehicle as the event left it."""
    if w.names is None:
        w.names = participant_names(Reader.of(ctx.session.connection()))
    before = w.ranks.get(vin)
    if before is None:  # the first notice of the batch on it: the liens as stored before
        before = {
            r["lien_id"]: (r["priority"], r["holder"])
            for r in _stored(ctx, w, vin)[1]
            if r["status"] == LienStatus.ACTIVE.value
        }
    w.ranks[vin] = {x["lien_id"]: (x["priority"], x["holder"]) for x in after["active_liens"]}
    return f"{vin}: {explain(Moment(ctx.event, w.names, before, ctx.state)).summary}"


def on_event(ctx: EventContext) -> None:
    """Makes one notice per watcher of the vehicle the event touches."""
    w = _watched(ctx)
    if w is None:
        return
    vin = ctx.vin
    if not vin:
        return
    ev, args = ctx.event, ctx.event.args
    matched = {who: set(why) for who, why in w.by_vin.get(vin, {}).items()}
    for arg in PARTY_ARGS:
        party = args.get(arg)
        if isinstance(party, str):
            for watcher in w.by_address.get(party.lower(), ()):
                matched.setdefault(watcher, set()).add(f"address:{party.lower()}")
    gained = _GAINS.get(ev.name)
    if gained is not None and isinstance(args.get(gained), str):
        party = args[gained].lower()
        for watcher in w.by_address.get(party, ()):
            w.add(vin, watcher, f"address:{party}")
    if not matched:
        w.ranks.pop(vin, None)  # its liens may change unseen: read them afresh next time
        return
    state = vehicle_state(ctx, w, vin)
    message = in_words(ctx, w, vin, state)
    for watcher, why in sorted(matched.items()):
        w.notices.append(
            NewNotice(
                watcher=watcher, vin=vin, event=ev.name, message=message,
                block_number=ev.block_number, block_time=ctx.block_time, tx_hash=ev.tx_hash,
                log_index=ev.log_index, matched=tuple(sorted(why)), args=dict(args), state=state,
            )
        )  # fmt: skip


def flush(session: Session, state: BatchState) -> None:
    """Writes the apply's notices and their outbox rows (its ``after_apply`` hook)."""
    w: Watched | None = state.scratch.get(_SCRATCH)
    if w is not None and w.notices:
        store_notices(session.connection(), w.notices)
        w.notices = []


def rollback(session: Session, ancestor: int, vins: set[str]) -> None:
    remove_notices_after(session.connection(), ancestor, vins)


def watch_handlers() -> HandlerRegistry:
    """The watch handlers (run them after the core projections)."""
    registry = HandlerRegistry()
    for name in ACTOR_ARG:  # every event of the ABIs
        registry.on(name, on_event)
    return registry.after_apply(flush).on_rollback(rollback)


def indexer_handlers(settings: Settings) -> HandlerRegistry:
    """The extension factory of ``registry index`` (:mod:`registry.indexer.handlers`)."""
    del settings  # the watches live in the mirror itself
    return watch_handlers()
