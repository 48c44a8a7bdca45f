"""As-of answers: a vehicle's title check, liens and history as the register stood at a past
block or instant, from the mirror's append-only events alone (no archive node).

A VIN's projection rows depend only on that VIN's events (see :mod:`registry.indexer.reorg`),
so its state at block ``B`` is its events up to ``B`` replayed, in memory, through the same
handlers that build the projections (:func:`replay`). The answer names the block it reflects:
the last block at or before the moment asked for in which the registry emitted an event (the
register cannot have changed between that block and the moment), with that block's hash and
timestamp, so a certificate taken as of it verifies against the chain like any other.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session

from registry.contracts import Deployment
from registry.db.models import Event, Participant
from registry.enums import LienStatus, TitleStatus
from registry.errors import InvalidInput, NotFound, OutOfRange
from registry.events import DecodedEvent
from registry.indexer.handlers import EventContext, HandlerRegistry, by_event
from registry.indexer.pledges import batch_pledges_on
from registry.indexer.projections import core_handlers
from registry.indexer.state import BatchState
from registry.queries import MirrorState, Query, Reader, as_json, table
from registry.queries.vehicles import certificate_body, lien_entry

EVENTS = table(Event)
PARTICIPANTS = table(Participant)

#: What ``at`` may be: a block number, or an ISO-8601 date or instant (UTC unless it names
#: an offset), e.g. ``2026-11-30``, ``2026-11-30T17:45:00Z``, ``2026-11-30T17:45+01:00``.
_DAY = (
    r"((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    r"|02-(0[1-9]|[12][0-9]))"
)
_TIME = (
    r"[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-](0[0-9]|1[0-4]):?[0-5][0-9])?"
)
AT_PATTERN = rf"^([0-9]{{1,18}}|[1-9][0-9]{{3}}-{_DAY}({_TIME})?)$"


@dataclass(frozen=True, slots=True)
class AsOf:
    """The block an as-of answer reflects, and what was asked."""

    requested: str
    block: int
    hash: str
    time: int

    def as_json(self) -> dict[str, Any]:
        return {"requested": self.requested, "block": self.block, "hash": self.hash,
                "time": self.time}  # fmt: skip


_LAST_AT_OR_BEFORE = Query(
    select(EVENTS.c.block_number, EVENTS.c.block_hash, EVENTS.c.block_time)
    .where(EVENTS.c.block_number <= bindparam("block"))
    .order_by(EVENTS.c.block_number.desc(), EVENTS.c.log_index.desc())
    .limit(1)
)
_FIRST_AT_OR_AFTER = Query(
    select(EVENTS.c.block_number, EVENTS.c.block_hash, EVENTS.c.block_time)
    .where(EVENTS.c.block_number >= bindparam("block"))
    .order_by(EVENTS.c.block_number, EVENTS.c.log_index)
    .limit(1)
)


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> int:
    """The unix time of an ISO-8601 date or instant (UTC unless it names an offset).

    :class:`InvalidInput` when ``text`` is not shaped like one (:data:`AT_PATTERN`),
    :class:`OutOfRange` for a shape the calendar does not hold (29 February 2027).
    """
    if re.fullmatch(AT_PATTERN, text) is None or text.isdigit():
        raise InvalidInput(
            f"at={text!r} is neither a block number nor an ISO-8601 date or instant "
            "(e.g. 2026-11-30 or 2026-11-30T17:45:00Z)",
            at=text,
        )
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    except (ValueError, OverflowError) as exc:
        raise OutOfRange(f"{text} is not a moment of the calendar ({exc})", at=text) from None


def resolve(reader: Reader, state: MirrorState, at: str) -> AsOf:
    """The block an answer ``at`` a block number or an instant reflects.

    :class:`OutOfRange` when the moment is before the registry's first block or in the
    future (past what the mirror has indexed, for a block; past now, for an instant).
    """
    text = at.strip()
    first = reader.first(_FIRST_AT_OR_AFTER, block=state.start_block)
    if first is None:
        raise OutOfRange("the mirror holds no registry event yet: nothing to answer as of", at=at)
    if text.isdigit():
        number = int(text)
        if number > state.indexed_block:
            raise OutOfRange(
                f"block {number} is in the future: the mirror has indexed up to block "
                f"{state.indexed_block}",
                at=at,
                indexed_block=state.indexed_block,
            )
        if number < first[0]:
            raise OutOfRange(
                f"block {number} is before the registry's first block ({first[0]})",
                at=at,
                first_block=first[0],
            )
        found = reader.first(_LAST_AT_OR_BEFORE, block=number)
        assert found is not None  # the first block is at or before it
        return AsOf(text, *found)
    moment = parse_instant(text)
    last = reader.first(_LAST_AT_OR_BEFORE, block=state.indexed_block)
    assert last is not None
    if moment > max(time.time(), last[2]):
        raise OutOfRange(
            f"{text} is in the future (now is {_iso(int(time.time()))})",
            at=at,
        )
    if moment < first[2]:
        raise OutOfRange(
            f"{text} is before the registry's first block ({first[0]}, {_iso(first[2])})",
            at=at,
            first_block=first[0],
        )
    return AsOf(text, *_last_event_block_by(reader, moment, first, state.indexed_block))


def _last_event_block_by(
    reader: Reader, moment: int, first: Sequence[Any], indexed: int
) -> tuple[int, str, int]:
    """The last block with an event at or before unix time ``moment``: a bisection on block
    numbers (block times never decrease), each probe one indexed lookup."""
    best = (first[0], first[1], first[2])
    lo, hi = first[0], indexed  # invariant: the answer's block is in [lo, hi], lo is `best`
    while lo < hi:
        mid = (lo + hi + 1) // 2
        found = reader.first(_FIRST_AT_OR_AFTER, block=mid)
        if found is None or found[0] > hi or found[2] > moment:
            hi = mid - 1
        else:
            best = (found[0], found[1], found[2])
            lo = found[0]
    return best


# ---------------------------------------------------------------------------- replay

#: The core handlers read nothing through the session: a replay hands them an unbound one.
_NO_SESSION = Session()
_CORE = by_event([core_handlers()])

_VIN_EVENTS = Query(
    select(
        EVENTS.c.block_number,
        EVENTS.c.block_hash,
        EVENTS.c.block_time,
        EVENTS.c.tx_hash,
        EVENTS.c.log_index,
        EVENTS.c.contract,
        EVENTS.c.event,
        EVENTS.c.actor,
        EVENTS.c.vin,
        EVENTS.c.lien_id,
        EVENTS.c.loan_id,
        EVENTS.c.policy_id,
        EVENTS.c.claim_id,
        EVENTS.c.args,
    )
    .where(EVENTS.c.vin == bindparam("vin"), EVENTS.c.block_number <= bindparam("block"))
    .order_by(EVENTS.c.block_number, EVENTS.c.log_index)
)

#: Called after each replayed event with the event and the state it left.
Observer = Callable[[DecodedEvent, BatchState], None]


def replay(
    rows: Iterable[Sequence[Any]],
    registries: Sequence[HandlerRegistry] | None = None,
    observe: Observer | None = None,
) -> BatchState:
    """The projection rows that ``rows`` (events-table rows in EVENT_COLUMNS order, chain
    order) build from nothing, through the handlers of ``registries`` (default: the core
    projections), in memory: nothing is read or written."""
    handlers = _CORE if registries is None else by_event(registries)
    state = BatchState()
    for row in rows:
        values = (*row[:13], as_json(row[13]))
        ev = DecodedEvent(values[6], values[5], values[0], values[1], values[3], values[4],
                          dict(values[13]))  # fmt: skip
        ctx = EventContext(ev, values[2], state, _NO_SESSION, values, True)
        for handler in handlers.get(ev.name, ()):
            handler(ctx)
        if observe is not None:
            observe(ev, state)
    return state


@dataclass
class VehicleAt:
    """A VIN's projection rows as they stood at a block, and the log index of each lien's
    registration."""

    vin: str
    state: BatchState
    registered_log: dict[int, int]


def vin_rows(reader: Reader, vin: str, block: int) -> list[Sequence[Any]]:
    """``vin``'s events-table rows up to ``block``, in chain order (what :func:`replay`
    takes)."""
    return reader.rows(_VIN_EVENTS, vin=vin, block=block)


def vehicle_at(reader: Reader, vin: str, block: int) -> VehicleAt:
    """``vin``'s rows at ``block``, replayed from its events up to it."""
    logs: dict[int, int] = {}

    def note(ev: DecodedEvent, _state: BatchState) -> None:
        if ev.name == "LienRegistered":
            logs[ev.args["lienId"]] = ev.log_index

    state = replay(vin_rows(reader, vin, block), observe=note)
    return VehicleAt(vin, state, logs)


# ------------------------------------------------------------------------- answers

_ADMISSIONS = Query(
    select(PARTICIPANTS.c.address, PARTICIPANTS.c.name, PARTICIPANTS.c.admitted_block).where(
        PARTICIPANTS.c.address == bindparam("address")
    )
)
_ADMITTED_EVENTS = Query(
    select(EVENTS.c.args)
    .where(EVENTS.c.event == "ParticipantAdmitted", EVENTS.c.block_number <= bindparam("block"))
    .order_by(EVENTS.c.block_number, EVENTS.c.log_index)
)


def names_at(reader: Reader, addresses: Iterable[str], block: int) -> dict[str, str | None]:
    """The latest name each address was admitted under, up to ``block`` (as the chain's
    ``ParticipantAdmitted`` logs say; None: never admitted by then)."""
    wanted = sorted({a.lower() for a in addresses})
    names: dict[str, str | None] = dict.fromkeys(wanted)
    if not wanted:
        return names
    rows = [row for a in wanted for row in reader.rows(_ADMISSIONS, address=a)]
    if all(admitted <= block for _, _, admitted in rows):
        # every admission of theirs is at or before the block: the rows' names are the ones
        # that stood then (the latest admission wins)
        for address, name, _ in sorted(rows, key=lambda r: r[2]):
            names[address] = name or None
        return names
    for args in reader.rows(_ADMITTED_EVENTS, block=block):  # re-admitted since: the log
        a = as_json(args[0])
        if a["account"] in names:
            names[a["account"]] = a["name"] or None
    return names


def active_liens(vehicle: VehicleAt) -> list[dict[str, Any]]:
    """The VIN's liens active at the block, in priority order (projection rows)."""
    rows = [r for r in vehicle.state.liens.values() if r["status"] == LienStatus.ACTIVE]
    return sorted(rows, key=lambda r: (r["priority"], r["lien_id"]))


def title_certificate_at(
    reader: Reader, vin: str, asof: AsOf, deployment: Deployment
) -> dict[str, Any]:
    """The certificate body for ``vin`` as of ``asof`` (:class:`NotFound` if it had no title
    then). ``vin`` must already be validated."""
    vehicle = vehicle_at(reader, vin, asof.block)
    title = vehicle.state.titles.get(vin)
    if title is None:
        raise NotFound(f"VIN {vin} had no title at block {asof.block}", vin=vin, block=asof.block)
    appended = vehicle.state.appended
    brands = [(r["brand"], r["actor"], r["block_number"], r["block_time"], r["tx_hash"],
               r["log_index"]) for r in appended["brand_history"]]  # fmt: skip
    readings = appended["odometer_readings"]
    last_reading = None
    if readings:
        r = readings[-1]
        last_reading = (r["reading"], r["not_actual"], r["block_number"], r["block_time"],
                        r["tx_hash"], r["log_index"])  # fmt: skip
    losses = appended["total_losses"]
    loss = None
    if losses and title["status"] == TitleStatus.TOTAL_LOSS:
        r = losses[-1]
        loss = (r["claim_id"], r["policy_id"], r["insurer"], r["loss_payee"], r["flood"],
                r["block_number"], r["block_time"], r["tx_hash"], r["log_index"])  # fmt: skip
    liens = active_liens(vehicle)
    names = names_at(reader, (r["holder"] for r in liens), asof.block)
    loans = {r["lien_id"]: r["loan_id"] for r in vehicle.state.loans.values()}
    pledged = {r["lien_id"]: r["funder"] for r in batch_pledges_on(vehicle.state, vin)
               if r["active"]}  # fmt: skip
    entries = [
        lien_entry(r["lien_id"], r["priority"], r["holder"], names[r["holder"]], r["floor_plan"],
                   r["registered_block"], r["registered_at"], r["registered_tx"],
                   vehicle.registered_log.get(r["lien_id"]), loans.get(r["lien_id"]),
                   pledged.get(r["lien_id"]))
        for r in liens
    ]  # fmt: skip
    block = {"number": asof.block, "hash": asof.hash, "timestamp": asof.time}
    head = (title["owner"], title["status"], title["brands"], title["odometer"])
    return certificate_body(vin, deployment, block, head, brands, last_reading, entries, loss)


def liens_at(reader: Reader, vin: str, asof: AsOf, *, active_only: bool = False) -> list[Any]:
    """Every lien on ``vin`` as of ``asof`` (as :func:`registry.queries.liens.liens_of_vin`
    shapes them: active ones first in priority order, then ended ones, oldest first)."""
    vehicle = vehicle_at(reader, vin, asof.block)
    rows = sorted(vehicle.state.liens.values(), key=lambda r: r["lien_id"])
    names = names_at(reader, (r["holder"] for r in rows), asof.block)
    active = active_liens(vehicle)
    ended = [] if active_only else [r for r in rows if r["status"] != LienStatus.ACTIVE]
    return [{**r, "holder_name": names[r["holder"]]} for r in active + ended]
