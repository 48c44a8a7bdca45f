"""The indexer: a reorg-safe, crash-safe SQL mirror of the registry's events.

``Indexer(engine, rpc, deployment).run(until_head=True)`` backfills; without ``until_head``
it follows the chain. Other modules add handlers through :mod:`registry.indexer.handlers`.
"""

from registry.indexer.handlers import EventContext, after_batch, on, on_rollback
from registry.indexer.runner import Indexer, Progress, latest_state

__all__ = [
    "EventContext",
    "Indexer",
    "Progress",
    "after_batch",
    "latest_state",
    "on",
    "on_rollback",
]
