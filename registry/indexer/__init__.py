"""The indexer: a reorg-safe, crash-safe SQL mirror of the registry's events.

``Indexer(engine, rpc, deployment, registries=[...]).run(until_head=True)`` backfills; without
``until_head`` it follows the chain. It runs the handler registries it is given
(:mod:`registry.indexer.handlers`; default: the core projections only).
"""

from registry.indexer.handlers import EventContext, HandlerRegistry, load_extension
from registry.indexer.projections import core_handlers
from registry.indexer.runner import Indexer, Progress, latest_state

__all__ = [
    "EventContext",
    "HandlerRegistry",
    "Indexer",
    "Progress",
    "core_handlers",
    "latest_state",
    "load_extension",
]
