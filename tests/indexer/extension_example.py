"""An indexer extension for the tests of ``registry index --extension``: it counts the events
of each name it is run on into ``<data_dir>/seen.json``, through the documented factory."""

from __future__ import annotations

import json
from collections import Counter

from sqlmodel import Session

from registry.config import Settings
from registry.indexer import EventContext, HandlerRegistry
from registry.indexer.state import BatchState


def indexer_handlers(settings: Settings) -> HandlerRegistry:
    """The factory ``registry index --extension tests.indexer.extension_example`` calls."""
    seen_file = settings.data_dir / "seen.json"

    def count(ctx: EventContext) -> None:
        ctx.state.scratch.setdefault("seen", Counter())[ctx.event.name] += 1

    def save(_session: Session, state: BatchState, _block_time: int) -> None:
        seen = Counter(json.loads(seen_file.read_text())) if seen_file.exists() else Counter()
        seen.update(state.scratch.get("seen", {}))
        seen_file.write_text(json.dumps(seen))

    return HandlerRegistry().on("TitleIssued", count).on("LienRegistered", count).after_batch(save)
