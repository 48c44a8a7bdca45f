"""One small handler per event (Ponder style), and the hooks other modules plug into.

Core handlers maintain the projections in :mod:`registry.db.models`. Other modules (the risk
module) add their own with :func:`on`, :func:`after_batch` and :func:`on_rollback`::

    from registry.indexer.handlers import on, after_batch

    @on("LoanPaymentRecorded")
    def payment(ctx: EventContext) -> None:
        ...  # ctx.event.args, ctx.block_time, ctx.session (same transaction as the batch)

    @after_batch
    def refresh_delinquency(session: Session, block_time: int) -> None:
        ...  # called once per batch, inside its transaction, after the projections

Extension handlers run after the core handlers of the same event, so ``ctx.state`` already
shows the projection rows (e.g. ``ctx.state.loans[loan_id]``) as changed by the event. On a
reorg the affected VINs' rows are deleted, every ``on_rollback`` hook is called with the
session, the common-ancestor block and those VINs (delete your rows for them), and their
remaining events are replayed through all handlers with ``ctx.replay`` true.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from registry.events import DecodedEvent

if TYPE_CHECKING:
    from sqlmodel import Session

    from registry.indexer.state import BatchState


@dataclass(slots=True)
class EventContext:
    """What a handler sees: the event, its block time, the batch's rows and the session."""

    event: DecodedEvent
    block_time: int
    state: BatchState
    session: Session
    values: tuple[Any, ...]  # the events-table row, in EVENT_COLUMNS order
    replay: bool = False  # true while rebuilding after a reorg

    @property
    def row(self) -> dict[str, Any]:
        """The events-table row as a dict (vin, lien_id, loan_id... resolved; ``args`` the
        event's arguments)."""
        from registry.indexer.state import EVENT_COLUMNS

        row = dict(zip(EVENT_COLUMNS, self.values, strict=True))
        row["args"] = self.event.args
        return row


Handler = Callable[[EventContext], None]
AfterBatch = Callable[["Session", int], None]
OnRollback = Callable[["Session", int, set[str]], None]


class HandlerRegistry:
    """Handlers per event name, plus batch and rollback hooks."""

    def __init__(self) -> None:
        self.handlers: dict[str, list[Handler]] = defaultdict(list)
        self.after_batch_hooks: list[AfterBatch] = []
        self.rollback_hooks: list[OnRollback] = []

    def on(self, event_name: str) -> Callable[[Handler], Handler]:
        """Decorator: call the function for every ``event_name`` event."""

        def register(fn: Handler) -> Handler:
            if fn not in self.handlers[event_name]:
                self.handlers[event_name].append(fn)
            return fn

        return register

    def after_batch(self, fn: AfterBatch) -> AfterBatch:
        """Decorator: call ``fn(session, block_time)`` at the end of each batch transaction."""
        if fn not in self.after_batch_hooks:
            self.after_batch_hooks.append(fn)
        return fn

    def on_rollback(self, fn: OnRollback) -> OnRollback:
        """Decorator: call ``fn(session, ancestor_block, vins)`` when a reorg is undone."""
        if fn not in self.rollback_hooks:
            self.rollback_hooks.append(fn)
        return fn

    def clear(self) -> None:
        self.handlers.clear()
        self.after_batch_hooks.clear()
        self.rollback_hooks.clear()


#: Handlers other modules register (the core projections live in registry.indexer.projections).
extensions = HandlerRegistry()
on = extensions.on
after_batch = extensions.after_batch
on_rollback = extensions.on_rollback
