"""One small handler per event (Ponder style), grouped in registries the indexer is given.

A :class:`HandlerRegistry` holds handlers per event name and three kinds of hooks. The core
projections are one registry (:func:`registry.indexer.projections.core_handlers`); other
modules build their own and the caller hands the :class:`~registry.indexer.Indexer` every
registry it should run, in order::

    rules = HandlerRegistry()
    rules.on("LoanPaymentRecorded", payment)   # payment(ctx: EventContext) -> None
    rules.after_batch(refresh)                 # refresh(session, state, block_time) -> None
    Indexer(engine, w3, deployment, handlers=[core_handlers(), rules])

Handlers of a later registry run after those of an earlier one for the same event, so
``ctx.state`` already shows the projection rows (e.g. ``ctx.state.loans[loan_id]``) as changed
by the event. ``after_apply`` hooks run at the end of every apply (a batch or a reorg's
replay) once the projections are written: write what the handlers buffered in
``ctx.state.scratch`` there. ``after_batch`` hooks run once per indexed batch, inside its
transaction. On a reorg the affected VINs' rows are deleted, every ``on_rollback`` hook is
called with the session, the common-ancestor block and those VINs (delete your rows for
them), and their remaining events are replayed through all handlers with ``ctx.replay`` true.

An extension module for ``registry index --extension MODULE`` exposes a factory named
:data:`EXTENSION_FACTORY`: ``indexer_handlers(settings: registry.config.Settings) ->
HandlerRegistry`` (see :func:`load_extension`). Loading the module registers nothing.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from registry.errors import ConfigurationError
from registry.events import DecodedEvent
from registry.indexer.state import VIN, BatchState, Row

if TYPE_CHECKING:
    from sqlmodel import Session

    from registry.config import Settings

#: The name of the factory an extension module exposes (``registry index --extension``).
EXTENSION_FACTORY = "indexer_handlers"


@dataclass(slots=True)
class EventContext:
    """What a handler sees: the event, its block time, the batch's rows and the session."""

    event: DecodedEvent
    block_time: int
    state: BatchState
    session: Session
    values: Row  # the events-table row (EVENT_COLUMNS order, VIN and ids resolved)
    replay: bool = False  # true while rebuilding after a reorg

    @property
    def vin(self) -> str | None:
        """The event's VIN: named by the event, or resolved through the projections."""
        vin: str | None = self.values[VIN]
        return vin


Handler = Callable[[EventContext], None]
AfterApply = Callable[["Session", BatchState], None]
AfterBatch = Callable[["Session", BatchState, int], None]
OnRollback = Callable[["Session", int, set[str]], None]


class HandlerRegistry:
    """Handlers per event name, plus apply, batch and rollback hooks."""

    def __init__(self) -> None:
        self.handlers: dict[str, list[Handler]] = defaultdict(list)
        self.after_apply_hooks: list[AfterApply] = []
        self.after_batch_hooks: list[AfterBatch] = []
        self.rollback_hooks: list[OnRollback] = []

    def on(self, event_name: str, *handlers: Handler) -> HandlerRegistry:
        """Calls each of ``handlers`` for every ``event_name`` event, in order."""
        self.handlers[event_name].extend(handlers)
        return self

    def after_apply(self, hook: AfterApply) -> HandlerRegistry:
        """Calls ``hook(session, state)`` at the end of every apply (a batch or a replay)."""
        self.after_apply_hooks.append(hook)
        return self

    def after_batch(self, hook: AfterBatch) -> HandlerRegistry:
        """Calls ``hook(session, state, block_time)`` at the end of each batch transaction
        (``block_time``: the timestamp of the batch's last block)."""
        self.after_batch_hooks.append(hook)
        return self

    def on_rollback(self, hook: OnRollback) -> HandlerRegistry:
        """Calls ``hook(session, ancestor_block, vins)`` when a reorg is undone."""
        self.rollback_hooks.append(hook)
        return self


def by_event(registries: Sequence[HandlerRegistry]) -> dict[str, list[Handler]]:
    """Every registry's handlers per event name, in registry order."""
    out: dict[str, list[Handler]] = {}
    for registry in registries:
        for name, handlers in registry.handlers.items():
            if handlers:
                out.setdefault(name, []).extend(handlers)
    return out


def load_extension(module_name: str, settings: Settings) -> HandlerRegistry:
    """The handlers of the extension module ``module_name``: its :data:`EXTENSION_FACTORY`
    called with ``settings``."""
    module = importlib.import_module(module_name)
    factory = getattr(module, EXTENSION_FACTORY, None)
    if not callable(factory):
        raise ConfigurationError(
            f"{module_name} is not an indexer extension: it has no "
            f"{EXTENSION_FACTORY}(settings) -> HandlerRegistry",
            module=module_name,
        )
    registry = factory(settings)
    if not isinstance(registry, HandlerRegistry):
        raise ConfigurationError(
            f"{module_name}.{EXTENSION_FACTORY} returned {type(registry).__name__}, not a "
            "HandlerRegistry",
            module=module_name,
        )
    return registry
