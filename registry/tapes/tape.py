"""Reading a loan tape: the lender's CSV listing the loans of a pool.

A tape has a header row and one row per loan. Headers are matched leniently (case, spaces,
``_``/``-`` and a few common names: ``loan id``, ``Loan Number``, ``days past due``, ``DPD``,
``current balance``...). Columns:

* the loan: ``loan_id`` (the chain's id) or ``loan_ref`` (the ``0x`` bytes32 reference the
  lender committed on chain); a tape may hold either or both, one of them on every row;
* ``vin`` (lowercase is accepted; validated as ISO 3779);
* ``balance``: a decimal amount (``12,345.67``, ``$12345.67``), whole cents;
* ``dpd``: days past due, a whole number (empty means 0).

A file that is not such a tape, or a row that cannot be read, raises :class:`TapeError`
naming the row (1 = the header) and the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

from registry.errors import InvalidInput, InvalidVin
from registry.vin import validate_vin

#: Accepted header names (normalised: lowercase, alphanumerics only) for each column.
HEADERS: dict[str, tuple[str, ...]] = {
    "loan_id": ("loanid", "loan", "id", "loannumber", "loanno"),
    "loan_ref": ("loanref", "loanreference", "reference", "ref"),
    "vin": ("vin", "vehicleid", "vehicleidentificationnumber"),
    "balance": ("balance", "currentbalance", "principalbalance", "outstanding",
                "outstandingbalance", "balanceoutstanding"),
    "dpd": ("dpd", "dayspastdue", "daysdelinquent", "delinquencydays", "pastduedays"),
}  # fmt: skip
REF = re.compile(r"^0x[0-9a-f]{64}$")
PLAIN_AMOUNT = re.compile(r"^(\d{1,15})(?:\.(\d{1,2}))?$")
MAX_LOAN_ID = 2**63 - 1


class TapeError(InvalidInput):
    """The file is not a loan tape, or one of its rows cannot be read."""

    code = "invalid_tape"


class TapeRow(NamedTuple):
    """One loan as the tape states it (``row`` is the file's line number, the header is 1)."""

    row: int
    loan_id: int | None
    loan_ref: str | None
    vin: str
    balance_cents: int
    dpd: int

    @property
    def loan_key(self) -> str:
        """How the row names its loan (for messages and duplicates)."""
        return str(self.loan_id) if self.loan_id is not None else str(self.loan_ref)


@dataclass(frozen=True, slots=True)
class Tape:
    """A tape's rows and the SHA-256 of its bytes (named by the check's result)."""

    rows: list[TapeRow]
    sha256: str
    name: str = ""


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.strip().lower())


def _columns(header: list[str]) -> dict[str, int]:
    known = {alias: column for column, aliases in HEADERS.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        column = known.get(_norm(name))
        if column is None:
            continue
        if column in found:
            raise TapeError(f"row 1: two columns mean {column} ({header[found[column]]!r} and "
                            f"{name!r})", row=1, column=column)  # fmt: skip
        found[column] = index
    missing = [c for c in ("vin", "balance") if c not in found]
    if "loan_id" not in found and "loan_ref" not in found:
        missing.insert(0, "loan_id or loan_ref")
    if missing:
        raise TapeError(
            f"not a loan tape: the header row has no {', '.join(missing)} column "
            f"(found: {', '.join(repr(h) for h in header) or 'nothing'})",
            row=1,
            missing=missing,
        )
    return found


def _cents(text: str, row: int) -> int:
    cleaned = text.strip().replace(",", "").replace("$", "").replace(" ", "")
    plain = PLAIN_AMOUNT.match(cleaned)
    if plain is not None:  # the usual 12345.67, without a Decimal
        units, cents = plain.groups()
        return int(units) * 100 + int((cents or "").ljust(2, "0"))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise TapeError(f"row {row}: balance {text!r} is not an amount (e.g. 12345.67)",
                        row=row, column="balance") from None  # fmt: skip
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise TapeError(f"row {row}: balance {text!r} must be zero or more, in whole cents",
                        row=row, column="balance")  # fmt: skip
    return int(value * 100)


def _dpd(text: str, row: int) -> int:
    cleaned = text.strip()
    if not cleaned:
        return 0
    if not cleaned.isdigit() or len(cleaned) > 6:
        raise TapeError(f"row {row}: days past due {text!r} is not a whole number of days",
                        row=row, column="dpd")  # fmt: skip
    return int(cleaned)


def _loan(cells: list[str], cols: dict[str, int], row: int) -> tuple[int | None, str | None]:
    raw_id = cells[cols["loan_id"]].strip() if "loan_id" in cols else ""
    raw_ref = cells[cols["loan_ref"]].strip().lower() if "loan_ref" in cols else ""
    if not raw_id and not raw_ref:
        raise TapeError(f"row {row}: no loan id or reference", row=row, column="loan_id")
    loan_id = None
    if raw_id:
        if not raw_id.isdigit() or int(raw_id) > MAX_LOAN_ID:
            raise TapeError(f"row {row}: loan id {raw_id!r} is not a loan id (a whole number)",
                            row=row, column="loan_id")  # fmt: skip
        loan_id = int(raw_id)
    if raw_ref and not REF.match(raw_ref):
        raise TapeError(f"row {row}: loan reference {raw_ref!r} is not a 0x bytes32 reference",
                        row=row, column="loan_ref")  # fmt: skip
    return loan_id, raw_ref or None


def parse_tape(data: bytes, name: str = "") -> Tape:
    """The rows of a tape given as bytes (UTF-8, a BOM allowed).

    Raises:
        TapeError: not a tape (not text, no header, missing columns) or a row naming what
            cannot be read.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TapeError("not a loan tape: the file is not UTF-8 text (a CSV file is)") from None
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        header = next(reader)
    except StopIteration:
        raise TapeError("not a loan tape: the file is empty", row=1) from None
    except csv.Error as exc:
        raise TapeError(f"not a loan tape: {exc}", row=1) from None
    cols = _columns(header)
    width = max(cols.values()) + 1
    rows: list[TapeRow] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines are not rows
            if len(cells) < width:  # trailing empty cells left out: read as empty
                cells += [""] * (width - len(cells))
            loan_id, loan_ref = _loan(cells, cols, line)
            try:
                vin = validate_vin(cells[cols["vin"]].strip().upper())
            except InvalidVin as exc:
                raise TapeError(f"row {line}: {exc.message}", row=line, column="vin") from None
            balance = _cents(cells[cols["balance"]], line)
            dpd = _dpd(cells[cols["dpd"]], line) if "dpd" in cols else 0
            rows.append(TapeRow(line, loan_id, loan_ref, vin, balance, dpd))
    except csv.Error as exc:
        raise TapeError(f"row {reader.line_num}: {exc}", row=reader.line_num) from None
    return Tape(rows, hashlib.sha256(data).hexdigest(), name)


def read_tape(path: Path) -> Tape:
    """The rows of the tape file at ``path`` (see :func:`parse_tape`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TapeError(f"cannot read the tape {path}: {exc.strerror}", path=str(path)) from None
    return parse_tape(data, path.name)
