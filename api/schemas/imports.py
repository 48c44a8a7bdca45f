"""Response shapes of the import jobs (``POST /imports``, ``GET /imports/{id}``)."""

from __future__ import annotations

from typing import Literal

from api.schemas import Model


class ImportProgress(Model):
    """Rows through the chain so far (a loan counts once per stage and once per payment)."""

    done: int
    total: int
    gas: int


class ImportSummary(Model):
    """What the import did: rows read, valid, rejected, registered, and what it cost."""

    kind: str
    file: str
    rows: int
    valid: int
    rejected: int
    already_imported: int
    imported: int
    transactions: int
    gas: int
    seconds: float
    dry_run: bool


class ImportError(Model):
    code: str
    message: str


class RejectedRow(Model):
    row: int  # its number in the file (a CSV's header is row 1)
    reason: str
    row_as_read: str


class ImportRejects(Model):
    """The rows an import job rejected: nothing of them was sent."""

    id: str
    rejects: list[RejectedRow]


class ImportJob(Model):
    """An import job of this instance; ``rejects_url`` serves its rejected rows (CSV)."""

    id: str
    kind: Literal["titles", "liens", "loans"]
    file: str
    dry_run: bool
    status: Literal["running", "done", "failed"]
    created_at: float
    finished_at: float | None
    rows: int
    progress: ImportProgress
    summary: ImportSummary | None
    error: ImportError | None
    rejects: int
    rejects_url: str
