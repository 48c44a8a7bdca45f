"""Comparing two mirrors: :func:`compare` bisects on blocks between two :class:`Source` s (a
database, or another instance's ``GET /status/digest``) to the first block at which their
digests (:mod:`registry.digest`) differ, then names the rows written at that block that
differ.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine

from registry.digest import SPECS, TABLES, Digest, Values, digest_of, mirror_block, written_at
from registry.errors import ChainUnavailable, InvalidInput, OutOfRange
from registry.queries import snapshot_connection


class Source(Protocol):
    """A mirror to compare: a database or another instance's API."""

    label: str

    def head(self) -> tuple[int, str, int]:
        """(chain id, registry address, the block it indexed)."""
        ...

    def digest(self, block: int | None, tables: Sequence[str] = TABLES) -> Digest: ...

    def written(self, block: int, tables: Sequence[str]) -> dict[str, list[Values]]: ...


@dataclass
class DatabaseSource:
    engine: Engine
    label: str

    def head(self) -> tuple[int, str, int]:
        with snapshot_connection(self.engine) as conn:
            return mirror_block(conn, None)

    def digest(self, block: int | None, tables: Sequence[str] = TABLES) -> Digest:
        with snapshot_connection(self.engine) as conn:
            return digest_of(conn, block, tables)

    def written(self, block: int, tables: Sequence[str]) -> dict[str, list[Values]]:
        with snapshot_connection(self.engine) as conn:
            return written_at(conn, block, tables)


@dataclass
class ApiSource:
    """Another instance, through its ``GET /status/digest``."""

    base_url: str
    label: str
    #: an auditor's (or the registrar's) API key there: naming the rows needs one
    api_key: str | None = None
    timeout: float = 300.0

    def _get(self, path: str = "/status/digest", **params: Any) -> dict[str, Any]:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        url = f"{self.base_url.rstrip('/')}{path}?{query}"
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                doc: dict[str, Any] = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")[:300]
            raise InvalidInput(f"{url} answered {exc.code}: {body}", url=url) from None
        except OSError as exc:
            raise ChainUnavailable(f"cannot reach the instance at {url}: {exc}") from None
        return doc

    def head(self) -> tuple[int, str, int]:
        doc = self._get("/status")
        if doc.get("indexed_block") is None:
            raise OutOfRange(f"the instance at {self.base_url} has not indexed anything yet")
        return int(doc["chain_id"]), str(doc["registry"]).lower(), int(doc["indexed_block"])

    def digest(self, block: int | None, tables: Sequence[str] = TABLES) -> Digest:
        return Digest.from_json(self._get(block=block, tables=",".join(tables)))

    def written(self, block: int, tables: Sequence[str]) -> dict[str, list[Values]]:
        doc = self._get(block=block, tables=",".join(tables), rows="true")
        return {name: list(rows) for name, rows in doc["written"].items()}


@dataclass(frozen=True)
class RowDifference:
    table: str
    key: tuple[Any, ...]
    kind: str  # changed | only_here | only_there
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # name -> (here, there)

    def __str__(self) -> str:
        key = ", ".join(str(k) for k in self.key)
        if self.kind != "changed":
            return f"{self.table} [{key}]: {self.kind.replace('_', ' ')}"
        detail = "; ".join(f"{n}: here={a!r} there={b!r}" for n, (a, b) in self.fields.items())
        return f"{self.table} [{key}]: changed ({detail})"


@dataclass
class Comparison:
    block: int  # the block compared (both mirrors hold it)
    equal: bool
    here: Digest
    there: Digest
    first_block: int | None = None  # the first block they differ at
    tables: list[str] = field(default_factory=list)  # the tables that differ there
    rows: list[RowDifference] = field(default_factory=list)
    probes: int = 0  # digests asked of each side while bisecting


def _differing(a: Digest, b: Digest) -> list[str]:
    return sorted(
        n for n in a.tables.keys() | b.tables.keys() if a.tables.get(n) != b.tables.get(n)
    )


def row_differences(
    here: dict[str, list[Values]], there: dict[str, list[Values]]
) -> list[RowDifference]:
    """The rows of each table that differ between two :func:`written_at` answers."""
    found: list[RowDifference] = []
    for name in sorted(here.keys() | there.keys()):
        spec = SPECS[name]
        key = [spec.columns.index(k) for k in spec.key]
        a = {tuple(r[i] for i in key): r for r in here.get(name, [])}
        b = {tuple(r[i] for i in key): r for r in there.get(name, [])}
        for k in sorted(a.keys() - b.keys(), key=str):
            found.append(RowDifference(name, k, "only_here"))
        for k in sorted(b.keys() - a.keys(), key=str):
            found.append(RowDifference(name, k, "only_there"))
        for k in sorted(a.keys() & b.keys(), key=str):
            fields = {c: (x, y) for c, x, y in zip(spec.columns, a[k], b[k], strict=True) if x != y}
            if fields:
                found.append(RowDifference(name, k, "changed", fields))
    return found


def compare(here: Source, there: Source, block: int | None = None) -> Comparison:
    """Compares two mirrors at ``block`` (default: the highest block both have indexed); when
    they differ, bisects to the first block they differ at and names the rows it wrote."""
    (chain_a, registry_a, top_a), (chain_b, registry_b, top_b) = here.head(), there.head()
    if (chain_a, registry_a) != (chain_b, registry_b):
        raise InvalidInput(
            f"{here.label} mirrors registry {registry_a} on chain {chain_a}, "
            f"{there.label} registry {registry_b} on chain {chain_b}"
        )
    n = min(top_a, top_b) if block is None else block
    a, b = here.digest(n), there.digest(n)
    result = Comparison(n, a.digest == b.digest, a, b)
    if result.equal:
        return result
    tables = _differing(a, b)
    lo, hi = -1, n  # they agree at lo (nothing indexed), differ at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        result.probes += 1
        if _differing(here.digest(mid, tables), there.digest(mid, tables)):
            hi = mid
        else:
            lo = mid
    result.first_block = hi
    result.tables = _differing(here.digest(hi, tables), there.digest(hi, tables))
    result.rows = row_differences(here.written(hi, result.tables), there.written(hi, result.tables))
    return result
