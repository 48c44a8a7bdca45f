"""Imports as background jobs (what ``POST /imports`` starts): the same :func:`run_import` a
``registry import`` runs, in a thread, its state kept in a JSON file per job so that
``GET /imports/{id}`` can report progress, the summary and the rejects.

One job runs at a time per instance: its transactions use the instance's key with nonces of
their own, so a second would fight the first over them.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from registry.client import RegistryClient
from registry.errors import Conflict, NotFound, RegistryError
from registry.imports.files import read_file
from registry.imports.importer import kind_of, run_import
from registry.imports.pipeline import Progress

_ID = re.compile(r"^[0-9a-f]{32}$")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ImportJobs:
    """The jobs of one instance, kept under ``data_dir/imports/jobs``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.directory = data_dir / "imports" / "jobs"
        self._lock = threading.Lock()
        self._running: str | None = None

    def _path(self, job_id: str, suffix: str = ".json") -> Path:
        return self.directory / f"{job_id}{suffix}"

    def _save(self, job: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self._path(job["id"], ".tmp")
        tmp.write_text(json.dumps(job))
        os.replace(tmp, self._path(job["id"]))

    def start(
        self, client: RegistryClient, kind: str, filename: str, content: bytes, *, dry_run: bool
    ) -> dict[str, Any]:
        """Starts importing the file; the new job's state. A file that is unusable as a whole
        fails the job at once, before anything is sent (its error says why).

        Raises:
            Conflict: another import of this instance is running.
        """
        spec = kind_of(kind)
        job_id = uuid.uuid4().hex
        name = _SAFE.sub("_", Path(filename or "upload").name)[-80:] or "upload"
        upload = self.directory / f"{job_id}-{name}"
        self.directory.mkdir(parents=True, exist_ok=True)
        upload.write_bytes(content)
        with self._lock:
            if self._running is not None:
                upload.unlink()
                raise Conflict(f"import {self._running} is still running on this instance; "
                               "wait for it to finish", running=self._running)  # fmt: skip
            self._running = job_id
        job: dict[str, Any] = {
            "id": job_id, "kind": spec.name, "file": name, "dry_run": dry_run,
            "status": "running", "created_at": time.time(), "finished_at": None,
            "rows": 0, "progress": {"done": 0, "total": 0, "gas": 0}, "summary": None,
            "error": None, "rejects": 0,
        }  # fmt: skip
        self._save(job)
        thread = threading.Thread(target=self._run, args=(client, job, upload), daemon=True,
                                  name=f"import-{job_id[:8]}")  # fmt: skip
        thread.start()
        return job

    def _run(self, client: RegistryClient, job: dict[str, Any], upload: Path) -> None:
        shown = [0.0]

        def listen(done: int, total: int, gas: int) -> None:
            job["progress"] = {"done": done, "total": total, "gas": gas}
            if time.monotonic() - shown[0] > 0.5:
                shown[0] = time.monotonic()
                self._save(job)

        progress = Progress(0, quiet=True)
        progress.listeners.append(listen)
        try:
            job["rows"] = len(read_file(upload, kind_of(job["kind"]).columns).rows)
            summary = run_import(client, job["kind"], upload, data_dir=self.data_dir,
                                 dry_run=job["dry_run"], progress=progress,
                                 rejects_path=self._path(job["id"], ".rejects.csv"))  # fmt: skip
            job["summary"] = summary.as_dict() | {"file": job["file"]}
            job["rejects"] = summary.rejected
            job["status"] = "done"
        except RegistryError as exc:  # the upload named as the caller named it
            message = exc.message.replace(str(upload), job["file"])
            job["status"], job["error"] = "failed", {"code": exc.code, "message": message}
        except Exception as exc:  # a bug: the job says so rather than hanging as running
            job["status"], job["error"] = "failed", {"code": "internal", "message": repr(exc)}
        finally:
            job["finished_at"] = time.time()
            self._save(job)
            with self._lock:
                self._running = None

    def get(self, job_id: str) -> dict[str, Any]:
        """The job's state.

        Raises:
            NotFound: no such job on this instance.
        """
        path = self._path(job_id) if _ID.match(job_id) else None
        if path is None or not path.exists():
            raise NotFound(f"no import {job_id} on this instance", job=job_id)
        found: dict[str, Any] = json.loads(path.read_text())
        return found

    def rejects(self, job_id: str) -> bytes:
        """The job's rejects file (CSV; only the header when no row was rejected)."""
        self.get(job_id)
        path = self._path(job_id, ".rejects.csv")
        return path.read_bytes() if path.exists() else b"row,reason,row_as_read\r\n"
