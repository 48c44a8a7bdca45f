"""Bulk imports over HTTP: a lender's loan-origination system (or a title office) onboards
without a shell. ``POST /imports`` uploads a file and starts the same import as ``registry
import`` in the background, signed with this instance's key; ``GET /imports/{id}`` reports
its progress, summary and rejects.

A key of the kind's role (registrar: titles; lender: liens, loans) issued for the instance's
own participant is needed for each.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, UploadFile

from api.deps import Runtime, RuntimeDep, instance_client, require_roles
from api.schemas.imports import ImportJob, ImportRejects
from registry.auth import Principal
from registry.errors import Unauthorized
from registry.imports.importer import kind_of

router = APIRouter(tags=["imports"])

Importer = Annotated[Principal, Depends(require_roles("registrar", "lender"))]
JobId = Annotated[str, Path(pattern="^[0-9a-f]{32}$", description="an import job's id")]
_SUMMARY = ("kind", "file", "rows", "valid", "rejected", "already_imported", "imported",
            "transactions", "gas", "seconds", "dry_run")  # fmt: skip


def _shown(job: dict[str, Any]) -> dict[str, Any]:
    summary = job["summary"]
    return job | {
        "summary": {k: summary[k] for k in _SUMMARY} if summary else None,
        "rejects_url": f"/imports/{job['id']}/rejects",
    }


def _job(runtime: Runtime, who: Principal, job_id: str) -> dict[str, Any]:
    """The job, for a key of the instance's participant (an instance that cannot sign has
    started none: 404 before any question of keys)."""
    job = runtime.imports.get(job_id)
    instance_client(runtime, who)
    return job


@router.post("/imports", response_model=ImportJob, status_code=202)
def start_import(
    runtime: RuntimeDep,
    who: Importer,
    file: Annotated[UploadFile, File(description="CSV with a header row, or JSON Lines")],
    kind: Annotated[Literal["titles", "liens", "loans"], Form()],
    dry_run: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """Start importing a file of titles (registrar), liens or loans (lender) in the background:
    every row is checked first; a file that is not what it claims to be fails the job, with
    the reason, before anything is sent."""
    needed = kind_of(kind).role.name.lower()
    if who.role != needed:
        raise Unauthorized(f"a {who.role} key may not import {kind}: it needs role {needed}",
                           role=who.role, needed=[needed])  # fmt: skip
    client = instance_client(runtime, who)
    content = file.file.read()
    job = runtime.imports.start(client, kind, file.filename or "upload", content,
                                dry_run=dry_run)  # fmt: skip
    return _shown(job)


@router.get("/imports/{job_id}", response_model=ImportJob)
def get_import(job_id: JobId, runtime: RuntimeDep, who: Importer) -> dict[str, Any]:
    """An import job: running or done, its progress, summary and how many rows it rejected."""
    return _shown(_job(runtime, who, job_id))


@router.get("/imports/{job_id}/rejects", response_model=ImportRejects)
def get_import_rejects(job_id: JobId, runtime: RuntimeDep, who: Importer) -> dict[str, Any]:
    """The rows an import job rejected: row number, reason, the row as read (as the rejects
    file of ``registry import`` has them)."""
    _job(runtime, who, job_id)
    rows = csv.DictReader(io.StringIO(runtime.imports.rejects(job_id).decode()))
    return {"id": job_id, "rejects": [{"row": int(r["row"]), "reason": r["reason"],
                                       "row_as_read": r["row_as_read"]} for r in rows]}  # fmt: skip
