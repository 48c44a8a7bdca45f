"""What every kind of import shares: its context, the value parsers, the chain's title checks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from registry.client import RegistryClient
from registry.enums import Role, TitleStatus
from registry.errors import InvalidInput
from registry.imports.files import Column, Row
from registry.imports.journal import Batch, Journal
from registry.imports.pipeline import Pipeline
from registry.vin import validate_vin

#: How many rows one view call checks at most, and the gas a view spends on one (its reads
#: of cold storage slots and a lien list's walk): an ``eth_call`` may not use more gas than a
#: block holds.
VIEW_CHUNK = 2000
VIEW_GAS_PER_ROW = 12_000


@dataclass(frozen=True)
class Context:
    """Where an import runs: the signer, the chain's time, this instance's data directory."""

    client: RegistryClient
    signer: str
    now: int  # the latest block's time: no effective time may be later
    data_dir: Path
    chain_id: int

    @property
    def view_chunk(self) -> int:
        """How many rows one view call checks on this chain (its blocks' gas bounds a call)."""
        return max(10, min(VIEW_CHUNK, self.client.tx.block_gas_limit() // VIEW_GAS_PER_ROW))


class Item(Protocol):
    @property
    def row(self) -> Row: ...


class Kind(Protocol):
    """One kind of import (titles, liens, loans)."""

    name: str
    role: Role
    columns: tuple[Column, ...]
    #: the stages a row goes through on chain, in order (the first decides "imported")
    stages: tuple[str, ...]

    def parse(self, row: Row, ctx: Context) -> Any: ...

    def keys(self, item: Any) -> list[tuple[str, str]]:
        """What must be unique in the file: (what, value) pairs, e.g. ("VIN", vin)."""
        ...

    def check(self, items: Any, ctx: Context) -> dict[int, str]:
        """Reasons, by row number, for the items the chain as it stands refuses."""
        ...

    def landed(self, batch: Batch, items: dict[int, Any], ctx: Context) -> list[int] | None:
        """The ids ``batch`` created if the chain holds its rows as it would have left them,
        else None (a batch whose transaction the node no longer knows)."""
        ...

    def send(self, items: Any, pipeline: Pipeline, journal: Journal, ctx: Context) -> int:
        """Sends what is not yet on chain (resuming after ``journal``); the rows imported."""
        ...


# ------------------------------------------------------------------- values


def vin_of(row: Row) -> str:
    """The row's VIN, validated (lowercase accepted); the error says what is wrong."""
    text = row.get("vin")
    if not text:
        raise InvalidInput("no VIN")
    return validate_vin(text.upper())


def money(text: str, what: str) -> int:
    """'1234.5' / '1,234.56' / '1234' -> cents; positive, whole cents."""
    try:
        value = Decimal(text.replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise InvalidInput(f"{what} {text!r} is not an amount (e.g. 1234.56)") from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"{what} {text!r} must be a positive amount")
    if value != value.quantize(Decimal("0.01")):
        raise InvalidInput(f"{what} {text!r} has fractions of a cent")
    return int(value * 100)


def whole(text: str, what: str, low: int, high: int) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not a whole number") from None
    if not low <= value <= high:
        raise InvalidInput(f"{what} {value} is out of range ({low} to {high:,})")
    return value


def iso_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InvalidInput(f"{what} {text!r} is not an ISO date (YYYY-MM-DD)") from None


def day_start(day: date) -> int:
    """The first second (unix time, UTC) of ``day``: an imported event's effective time."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def flag(text: str, what: str) -> bool:
    value = text.strip().lower()
    if value in ("", "0", "false", "no", "n", "f"):
        return False
    if value in ("1", "true", "yes", "y", "t"):
        return True
    raise InvalidInput(f"{what} {text!r} is not yes/no (true/false, 1/0)")


def chunked(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def title_refusals(vins: Sequence[str], ctx: Context, *, what: str) -> list[str | None]:
    """Why each VIN's title cannot take ``what`` (a lien, a loan), or None."""
    out: list[str | None] = []
    for chunk in chunked(vins, ctx.view_chunk):
        for vin, (status, _, _) in zip(chunk, ctx.client.titles_of(chunk), strict=True):
            if status is TitleStatus.NONE:
                out.append(f"VIN {vin} has no title")
            elif status is TitleStatus.STOLEN:
                out.append(f"the title of {vin} is branded stolen (not recovered): no {what}")
            elif status is TitleStatus.SCRAPPED:
                out.append(f"the title of {vin} is branded junk (scrapped): no {what}")
            else:
                out.append(None)
    return out
