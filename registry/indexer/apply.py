"""Applying decoded events to the database: events, projections and hooks in one session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from registry.contracts import Deployment
from registry.events import DecodedEvent
from registry.indexer.handlers import EventContext, Handler, HandlerRegistry, extensions
from registry.indexer.projections import core, event_row
from registry.indexer.state import BatchState


def contract_names(deployment: Deployment) -> dict[str, str]:
    """Contract name by lowercase address."""
    return {
        deployment.registry.lower(): "CollateralRegistry",
        deployment.loan_ledger.lower(): "LoanLedger",
        deployment.insurance_ledger.lower(): "InsuranceLedger",
    }


def apply_events(
    session: Session,
    events: Sequence[DecodedEvent],
    times: dict[int, int],
    contracts: dict[str, str],
    *,
    replay: bool = False,
    registries: Sequence[HandlerRegistry] = (core, extensions),
    args_json: Sequence[str] | None = None,
) -> BatchState:
    """Runs every handler over ``events`` (chain order) and writes the result in bulk.

    With ``replay`` the events are already in the events table (a rebuild after a reorg):
    only the projections are written.
    """
    conn = session.connection()
    state = BatchState()
    state.load(conn, events)
    by_name: dict[str, list[Handler]] = {}
    for registry in registries:  # core handlers first, then the extensions'
        for name, handlers in registry.handlers.items():
            by_name.setdefault(name, []).extend(handlers)
    append = state.events.append
    for i, ev in enumerate(events):
        block_time = times[ev.block_number]
        row = event_row(ev, block_time, contracts.get(ev.address, ev.address), state)
        if not replay:
            if args_json is not None:
                row["args_json"] = args_json[i]
            append(row)
        todo = by_name.get(ev.name)
        if todo:
            ctx = EventContext(ev, block_time, state, session, row, replay)
            for handler in todo:
                handler(ctx)
    state.flush(conn, write_events=not replay)
    return state
