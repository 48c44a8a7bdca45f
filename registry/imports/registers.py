"""Importing a title office's register (titles with brands and odometer) and a lender's liens."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from registry.addresses import checksum_address
from registry.contracts import brand_index, brand_mask
from registry.enums import Brand, Role, TitleStatus
from registry.errors import InvalidInput
from registry.imports.files import Column, Row
from registry.imports.journal import Batch, Journal
from registry.imports.kinds import Context, chunked, flag, title_refusals, vin_of, whole
from registry.imports.pipeline import Pipeline, Plan
from registry.vin import vin_to_bytes32

_BRAND_SPLIT = re.compile(r"[;,|]")
_REQUIRES = {Brand.REBUILT: Brand.SALVAGE, Brand.RECOVERED_THEFT: Brand.STOLEN}
MAX_ODOMETER = 2**64 - 1


def _done_rows(journal: Journal, stage: str) -> set[int]:
    return {r for b in journal.live(stage) for r in b.rows}


@dataclass(frozen=True)
class TitleRow:
    row: Row
    vin: str
    owner: str
    odometer: int
    brands: int  # bitmask, bit = Brand.chain_index


class Titles:
    """``registry import titles``: the registrar loads its existing register."""

    name = "titles"
    role = Role.REGISTRAR
    stages: tuple[str, ...] = ("titles",)
    columns: tuple[Column, ...] = (
        Column("vin", "17 characters (lowercase is fine); one title per VIN", True),
        Column(
            "owner",
            "the owner's address (0x + 40 hex digits)",
            True,
            ("owner_address", "owner address"),
        ),
        Column(
            "odometer",
            "the last odometer reading, a whole number (default 0)",
            False,
            ("last_odometer", "odometer_reading", "mileage"),
        ),
        Column(
            "brands",
            "brands the title already carries, e.g. SALVAGE;REBUILT (also , or |); "
            f"known: {', '.join(b.lower() for b in Brand)}",
            False,
            ("brand",),
        ),
    )

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}  # a register names few owners many times

    def parse(self, row: Row, ctx: Context) -> TitleRow:
        vin = vin_of(row)
        text = row.get("owner")
        owner = self._owners.get(text)
        if owner is None:
            owner = self._owners[text] = checksum_address(text, "owner address")
        odometer = whole(row.get("odometer") or "0", "odometer", 0, MAX_ODOMETER)
        mask = 0
        for name in filter(None, (b.strip() for b in _BRAND_SPLIT.split(row.get("brands")))):
            mask |= 1 << brand_index(name)
        for later, earlier in _REQUIRES.items():
            if mask >> later.chain_index & 1 and not mask >> earlier.chain_index & 1:
                raise InvalidInput(
                    f"brand {later.lower()} needs {earlier.lower()} too (it supersedes it)"
                )
        return TitleRow(row, vin, owner, odometer, mask)

    def landed(self, batch: Batch, items: dict[int, TitleRow], ctx: Context) -> list[int] | None:
        rows = [items[r] for r in batch.rows if r in items]
        if len(rows) != len(batch.rows):
            return None
        for item in rows[:1] + rows[-1:]:  # a transaction lands whole: its ends tell
            t = ctx.client.title(item.vin)
            mask = brand_mask(t.brands)
            if t.owner != item.owner or t.odometer != item.odometer or mask != item.brands:
                return None
        return []

    def keys(self, item: TitleRow) -> list[tuple[str, str]]:
        return [("VIN", item.vin)]

    def check(self, items: Sequence[TitleRow], ctx: Context) -> dict[int, str]:
        out: dict[int, str] = {}
        for chunk in chunked(items, ctx.view_chunk):
            statuses = ctx.client.titles_of([i.vin for i in chunk])
            for item, (status, _, _) in zip(chunk, statuses, strict=True):
                if status is not TitleStatus.NONE:
                    out[item.row.number] = f"VIN {item.vin} already has a title"
        return out

    def send(self, items: Sequence[TitleRow], pipeline: Pipeline, journal: Journal,
             ctx: Context) -> int:  # fmt: skip
        done = _done_rows(journal, "titles")
        todo = [i for i in items if i.row.number not in done]
        by_row = {i.row.number: i for i in todo}
        registry = ctx.client.registry

        def encode(rows: Sequence[int]) -> tuple[str, dict[str, object]]:
            batch = [by_row[r] for r in rows]
            return registry.encode(
                "issueTitlesBatch", [vin_to_bytes32(i.vin) for i in batch],
                [i.owner for i in batch], [i.odometer for i in batch], [i.brands for i in batch],
            ), {}  # fmt: skip

        pipeline.send(Plan(
            "titles", registry.address, "issuing titles", None, [i.row.number for i in todo],
            [6 + i.brands.bit_count() for i in todo], encode,
        ))  # fmt: skip
        return len(todo)


@dataclass(frozen=True)
class LienRow:
    row: Row
    vin: str
    floor_plan: bool


class Liens:
    """``registry import liens``: a lender brings its active liens."""

    name = "liens"
    role = Role.LENDER
    stages: tuple[str, ...] = ("liens",)
    columns: tuple[Column, ...] = (
        Column("vin", "17 characters (lowercase is fine); the title must exist", True),
        Column(
            "floor_plan",
            "yes/no (true/false, 1/0): a dealer's inventory lien (default no)",
            False,
            ("floorplan", "floor plan flag", "floor_plan_flag"),
        ),
    )

    def parse(self, row: Row, ctx: Context) -> LienRow:
        return LienRow(row, vin_of(row), flag(row.get("floor_plan"), "floor_plan"))

    def landed(self, batch: Batch, items: dict[int, LienRow], ctx: Context) -> list[int] | None:
        rows = [items[r] for r in batch.rows if r in items]
        if len(rows) != len(batch.rows):
            return None
        held = ctx.client.liens_held_on([i.vin for i in rows], ctx.signer)
        return held if all(held) else None

    def keys(self, item: LienRow) -> list[tuple[str, str]]:
        return [("VIN", item.vin)]

    def check(self, items: Sequence[LienRow], ctx: Context) -> dict[int, str]:
        vins = [i.vin for i in items]
        out: dict[int, str] = {}
        for item, reason in zip(items, title_refusals(vins, ctx, what="new liens"), strict=True):
            if reason:
                out[item.row.number] = reason
        open_items = [i for i in items if i.row.number not in out]
        for chunk in chunked(open_items, ctx.view_chunk):
            held = ctx.client.liens_held_on([i.vin for i in chunk], ctx.signer)
            for item, lien_id in zip(chunk, held, strict=True):
                if lien_id:
                    out[item.row.number] = f"you already hold lien {lien_id} on {item.vin}"
        return out

    def send(self, items: Sequence[LienRow], pipeline: Pipeline, journal: Journal,
             ctx: Context) -> int:  # fmt: skip
        done = _done_rows(journal, "liens")
        todo = [i for i in items if i.row.number not in done]
        by_row = {i.row.number: i for i in todo}
        registry = ctx.client.registry

        def encode(rows: Sequence[int]) -> tuple[str, dict[str, object]]:
            batch = [by_row[r] for r in rows]
            return registry.encode(
                "registerLiensBatch", [vin_to_bytes32(i.vin) for i in batch],
                [i.floor_plan for i in batch],
            ), {}  # fmt: skip

        pipeline.send(Plan(
            "liens", registry.address, "registering liens", "LienRegistered",
            [i.row.number for i in todo], [1] * len(todo), encode,
        ))  # fmt: skip
        return len(todo)
