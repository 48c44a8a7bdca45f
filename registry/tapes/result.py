"""A tape check's result: findings, the summary per kind, the block it reflects, its id.

The id is ``0x`` + SHA-256 of the canonical JSON (:func:`registry.certificates.canonical_json`)
of everything but the id and the tape's file name: the same tape checked against the same
mirror state has the same id, on SQLite or PostgreSQL, from the CLI or the API.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.certificates import canonical_json
from registry.enums import TapeException
from registry.queries import MirrorState
from registry.tapes.tape import Tape

CSV_COLUMNS = ("row", "loan", "vin", "kind", "balance", "message", "details")
_ORDER = {kind: i for i, kind in enumerate(TapeException)}


@dataclass(frozen=True, slots=True)
class Finding:
    """One exception of one tape row."""

    row: int
    loan: str
    vin: str
    kind: TapeException
    balance_cents: int  # the row's balance as the tape states it
    message: str
    details: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "loan": self.loan, "vin": self.vin, "kind": str(self.kind),
                "balance_cents": self.balance_cents, "message": self.message,
                "details": self.details}  # fmt: skip


@dataclass(frozen=True)
class TapeResult:
    """The JSON document of a check (``body``) and its findings."""

    body: dict[str, Any]
    findings: list[Finding]

    @property
    def id(self) -> str:
        return str(self.body["id"])

    @property
    def exception_count(self) -> int:
        return len(self.findings)

    def to_json(self) -> str:
        return json.dumps(self.body, indent=1, ensure_ascii=False)

    def to_csv(self) -> str:
        """One line per finding (amounts in currency units, details as JSON)."""
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for f in self.findings:
            details = json.dumps(f.details, sort_keys=True, separators=(",", ":"))
            writer.writerow((f.row, f.loan, f.vin, f.kind, f"{f.balance_cents / 100:.2f}",
                             f.message, details))  # fmt: skip
        return buf.getvalue()

    def write(self, json_path: Path | None = None, csv_path: Path | None = None) -> None:
        """Writes the JSON and/or CSV report (each through a temporary file, so a reader
        never sees half of one)."""
        for path, text in ((json_path, self.to_json), (csv_path, self.to_csv)):
            if path is not None:
                tmp = path.with_name(path.name + ".part")
                tmp.write_text(text(), encoding="utf-8")
                tmp.replace(path)


def summary(tape: Tape, findings: list[Finding]) -> dict[str, Any]:
    """Rows and balance in total and per exception kind (a row counted once per kind)."""
    by_kind = {str(k): {"count": 0, "balance_cents": 0} for k in TapeException}
    rows_per_kind: dict[str, set[int]] = {k: set() for k in TapeException}
    for f in findings:
        entry = by_kind[f.kind]
        entry["count"] += 1
        if f.row not in rows_per_kind[f.kind]:
            rows_per_kind[f.kind].add(f.row)
            entry["balance_cents"] += f.balance_cents
    flagged = {f.row for f in findings}
    total = sum(r.balance_cents for r in tape.rows)
    flagged_balance = sum(r.balance_cents for r in tape.rows if r.row in flagged)
    return {
        "rows": len(tape.rows),
        "balance_cents": total,
        "rows_with_exceptions": len(flagged),
        "balance_with_exceptions_cents": flagged_balance,
        "clean_rows": len(tape.rows) - len(flagged),
        "exceptions": len(findings),
        "by_kind": by_kind,
    }


def build_result(
    tape: Tape,
    state: MirrorState,
    findings: list[Finding],
    *,
    lender: str | None,
    funder: str | None,
    tolerance: dict[str, Any],
) -> TapeResult:
    """The result document of a check, its id computed."""
    findings = sorted(findings, key=lambda f: (f.row, _ORDER[f.kind], f.message))
    body: dict[str, Any] = {
        "chain_id": state.chain_id,
        "registry": state.registry_address,
        "block": state.indexed_block,
        "block_hash": state.indexed_hash,
        "finalized_block": state.finalized_block,
        "tape": {"sha256": tape.sha256, "rows": len(tape.rows)},
        "lender": lender,
        "funder": funder,
        "tolerance": tolerance,
        "summary": summary(tape, findings),
        "exceptions": [f.as_json() for f in findings],
    }
    digest = "0x" + hashlib.sha256(canonical_json(body)).hexdigest()
    return TapeResult({"id": digest, "source": tape.name, **body}, findings)
