"""Importing loan records (schedule + salt) that reach this instance after their loans were
indexed: each schedule is kept only if it opens the loan's committed schedule hash."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from registry import loan_records
from registry.errors import InvalidInput
from registry.risk import standing
from registry.risk.delinquency import DueSchedule
from registry.schedules import canonical_json


@dataclass
class ImportResult:
    imported: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    mismatched: list[int] = field(default_factory=list)  # the hash does not open
    unknown: list[int] = field(default_factory=list)  # no such loan in the mirror (yet)
    invalid: list[str] = field(default_factory=list)  # not a loan record

    def summary(self) -> str:
        return (
            f"{len(self.imported)} imported, {len(self.already)} already known, "
            f"{len(self.mismatched)} not matching the committed hash, "
            f"{len(self.unknown)} for loans not indexed, {len(self.invalid)} unreadable"
        )


def schedule_row(record: loan_records.LoanRecord, committed: str, source: str) -> dict[str, Any]:
    due = DueSchedule.from_schedule(record.schedule)
    return {
        "loan_id": record.loan_id,
        "schedule_hash": committed.lower(),
        "schedule_json": canonical_json(record.schedule).decode(),
        "dues": due.dumps(),
        "principal_cents": due.principal,
        "source": source,
        "loaded_ts": time.time(),
    }


def record_files(directory: Path, chain_id: int | None) -> list[Path]:
    """``loan-*.json`` in ``directory``, or in its ``<chain_id>`` subdirectory."""
    files = sorted(directory.glob("loan-*.json"))
    if not files and chain_id is not None:
        files = sorted((directory / str(chain_id)).glob("loan-*.json"))
    return files


def import_records(conn: Connection, files: list[Path]) -> ImportResult:
    """Stores each matching schedule and recomputes those loans' standing (and alerts)."""
    result = ImportResult()
    loans = standing.LOANS
    rows = []
    for path in files:
        try:
            record = loan_records.load(path)
        except InvalidInput:
            result.invalid.append(str(path))
            continue
        committed = conn.execute(
            select(loans.c.schedule_hash).where(loans.c.loan_id == record.loan_id)
        ).scalar()
        if committed is None:
            result.unknown.append(record.loan_id)
            continue
        if not loan_records.schedule_matches(record, committed):
            result.mismatched.append(record.loan_id)
            continue
        known = conn.execute(
            select(standing.SCHEDULES.c.loan_id).where(
                standing.SCHEDULES.c.loan_id == record.loan_id,
                standing.SCHEDULES.c.schedule_hash == committed.lower(),
            )
        ).first()
        if known is not None:
            result.already.append(record.loan_id)
            continue
        rows.append(schedule_row(record, committed, str(path)))
        result.imported.append(record.loan_id)
    if rows:
        conn.execute(standing.SCHEDULES.insert(), rows)
        _, now = standing.chain_now(conn)
        standing.recompute(conn, now, loan_ids=result.imported)
    return result
