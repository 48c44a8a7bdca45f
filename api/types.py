"""The API's domain types: what its OpenAPI document says a VIN, an address, a hash, a kind,
a state or a bucket is.

VINs, addresses, cursors and enum parameters are documented here (pattern, format, enum) and
checked by the registry (:func:`registry.vin.validate_vin`, the client's address check) or by
:func:`parse`, so that a refusal names what is wrong ("position 9 is '4' but the other
characters give '3'", "unknown alert kind 'x': one of ...") with the registry's error codes.
Hashes and numbers are checked by pydantic. Enum values are exactly the registry's strings.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, WithJsonSchema

from registry.enums import (
    AlertKind,
    Brand,
    Bucket,
    EventKind,
    LienStatus,
    LoanState,
    ReleaseReason,
    Severity,
    StandingBucket,
    TitleStatus,
    WatchKind,
)
from registry.enums import Role as ParticipantRole
from registry.errors import InvalidInput
from registry.queries.asof import AT_PATTERN
from registry.queries.vehicles import CURSOR_PATTERN

__all__ = ["AlertKind", "Brand", "Bucket", "EventKind", "LienStatus", "LoanState",
           "ParticipantRole", "ReleaseReason", "Severity", "StandingBucket",
           "TitleStatus", "WatchKind"]  # fmt: skip

#: The certificate's at-a-glance verdict (registry.certificates.summarize).
Verdict = Literal["clean", "encumbered", "branded", "total_loss", "stolen", "scrapped"]

#: The largest integer the API takes: every JSON client reads it exactly (JavaScript's
#: Number.MAX_SAFE_INTEGER), and ids, cents, odometers and timestamps stay far below it.
JSON_INT_MAX = 2**53 - 1
#: A non-negative integer (an id, an amount in cents, a reading, a unix time).
Count = Annotated[int, Field(ge=0, le=JSON_INT_MAX)]

VIN_PATTERN = "^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$"
ADDRESS_PATTERN = "^0x[0-9a-fA-F]{40}$"
HASH32_PATTERN = "^0x[0-9a-fA-F]{64}$"


def documented(schema: dict[str, Any]) -> WithJsonSchema:
    """The OpenAPI schema of a value the registry checks itself (and names what is wrong)."""
    return WithJsonSchema({"type": "string", **schema})


#: A VIN as the API accepts it (checked and normalized by ``validate_vin``).
Vin = Annotated[
    str,
    documented({
        "format": "vin",
        "pattern": VIN_PATTERN,
        "examples": ["1HGCM82633A004352"],
        "description": "a 17-character VIN (ISO 3779): digits and letters but I, O and Q, any "
        "case; position 9 is the check digit when the first character is 1-5 (North America)",
    }),
]  # fmt: skip
#: An account address (checked by the registry, any case).
Address = Annotated[
    str,
    documented({
        "format": "evm-address",
        "pattern": ADDRESS_PATTERN,
        "examples": ["0x70997970c51812dc3a010c7d01b50e0d17dc79c8"],
        "description": "an account address: 0x + 40 hex digits, any case",
    }),
]  # fmt: skip
#: A file of VINs (one per line, or a CSV whose first column is the VIN; ``#`` comments).
VIN_FILE_FORMAT = "vin-file"
VinFile = Annotated[
    str,
    documented({
        "format": VIN_FILE_FORMAT,
        "maxLength": 400_000,
        "examples": ["vin\n1HGCM82633A004352\n1G1SCZK16DT079150\n"],
        "description": "VINs, one per line or as the first column of a CSV (a 'vin' header "
        "row, blank lines and # comments are skipped); every bad line is named",
    }),
]  # fmt: skip
#: A page cursor of the history (``next_cursor`` of the previous page).
Cursor = Annotated[
    str,
    documented({"pattern": CURSOR_PATTERN, "description": "next_cursor of the previous page"}),
]
#: A 32-byte value (reference commitment, terms or schedule hash): checked by pydantic.
Hash32 = Annotated[str, Field(pattern=HASH32_PATTERN, description="0x + 64 hex digits")]

E = TypeVar("E", bound=StrEnum)


def one_of(enum: type[StrEnum], description: str) -> WithJsonSchema:
    """The schema of a parameter taking one of ``enum``'s values (see :func:`parse`)."""
    return documented({"enum": [m.value for m in enum], "description": description})


def parse(enum: type[E], value: str | None, what: str, *, any_case: bool = False) -> E | None:
    """``value`` as a member of ``enum`` (None stays None; ``any_case``: compared uppercased),
    or :class:`InvalidInput` naming the values allowed."""
    if value is None:
        return None
    try:
        return enum(value.upper() if any_case else value)
    except ValueError:
        raise InvalidInput(
            f"unknown {what} {value!r}: one of {', '.join(enum)}", **{what.replace(" ", "_"): value}
        ) from None


#: An as-of moment (``?at=``): a block number or an ISO-8601 date or instant.
At = Annotated[
    str,
    documented({
        "pattern": AT_PATTERN,
        "examples": ["1200", "2026-11-30", "2026-11-30T17:45:00Z"],
        "description": "answer as the register stood then: a block number, or an ISO-8601 "
        "date or instant (UTC unless it names an offset); 400 when it is before the "
        "registry's first block or in the future",
    }),
]  # fmt: skip
_KINDS = "|".join(k.value for k in EventKind)
#: Event kinds, comma-separated (``?kind=lien,loan``).
Kinds = Annotated[
    str,
    documented({
        "pattern": f"^({_KINDS})(,({_KINDS}))*$",
        "examples": ["lien,loan"],
        "description": f"only events of these kinds, comma-separated: {', '.join(EventKind)}",
    }),
]  # fmt: skip


def parse_kinds(text: str | None) -> list[EventKind]:
    """The kinds of a :data:`Kinds` parameter (None: every kind)."""
    if text is None:
        return []
    kinds: list[EventKind] = []
    for part in text.split(","):
        kind = parse(EventKind, part.strip(), "event kind")
        assert kind is not None
        kinds.append(kind)
    return kinds
