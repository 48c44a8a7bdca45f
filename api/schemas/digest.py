"""What ``GET /status/digest`` answers."""

from __future__ import annotations

from typing import Any

from api.schemas import Freshness, Model


class TableDigestOut(Model):
    rows: int
    digest: str


class DigestOut(Model):
    """A mirror's state at a block, digested (``registry.digest``): equal on every correct
    mirror of the same chain."""

    chain_id: int
    registry: str
    block: int
    digest: str
    tables: dict[str, TableDigestOut]
    #: with ``rows=true``: the rows the block wrote, per table (canonical values in the
    #: table's column order), for naming the rows two mirrors differ in
    written: dict[str, list[list[Any]]] | None = None
    freshness: Freshness
