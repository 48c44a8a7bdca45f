"""Imports over HTTP: upload, poll the job to completion, download the rejects; keys of the
wrong role or participant refused; a file that is not one refused before a job starts."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from api.main import create_app
from tests.kit.api import Keys, api_settings, bearer
from tests.kit.chain import Registry
from tests.kit.mirror import Mirror
from tests.kit.vins import fresh_vin, fresh_vins


def _poll(api: TestClient, job_id: str, token: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job: dict[str, Any] = api.get(f"/imports/{job_id}", headers=bearer(token)).json()
        if job["status"] != "running":
            return job
        time.sleep(0.1)
    raise AssertionError(f"import {job_id} still running")


def test_a_lender_imports_liens_over_http(registry: Registry, mirror: Mirror, keys: Keys) -> None:
    vins = fresh_vins(30)
    owner = registry.cast.owner.address
    registry.registrar.issue_titles_batch(vins, [owner] * 30, [0] * 30)
    lines = ["VIN , floor plan"] + [f"{v.lower()},{'yes' if i % 3 == 0 else 'no'}"
                                    for i, v in enumerate(vins)]  # fmt: skip
    lines += [f"{fresh_vin()},no", "1HGCM82633A00435,no"]  # no title; 16 characters
    content = ("\n".join(lines) + "\n").encode()
    with TestClient(create_app(api_settings(mirror, dev_account=1))) as api:
        files = {"file": ("book.csv", content, "text/csv")}
        started = api.post("/imports", files=files, data={"kind": "liens"},
                           headers=bearer(keys.lender))  # fmt: skip
        assert started.status_code == 202, started.text
        job = _poll(api, started.json()["id"], keys.lender)
        assert job["status"] == "done", job
        assert job["summary"]["imported"] == 30 and job["rejects"] == 2
        assert job["progress"]["done"] == 30 and job["progress"]["gas"] > 0
        got = api.get(job["rejects_url"], headers=bearer(keys.lender))
        assert got.status_code == 200, got.text
        rejects = {r["row"]: r["reason"] for r in got.json()["rejects"]}
        assert sorted(rejects) == [32, 33]
        assert "has no title" in rejects[32] and "17" in rejects[33]
        held = registry.reader.liens_held_on(vins, registry.cast.lender.address)
        assert all(held) and registry.reader.lien(held[0]).floor_plan
        again = api.post("/imports", files=files, data={"kind": "liens"},
                         headers=bearer(keys.lender))  # fmt: skip
        second = _poll(api, again.json()["id"], keys.lender)
        assert second["summary"]["imported"] == 0
        assert second["summary"]["already_imported"] == 30


def test_keys_refused_and_a_file_that_is_not_one(mirror: Mirror, keys: Keys) -> None:
    with TestClient(create_app(api_settings(mirror, dev_account=1))) as api:
        csv_file = {"file": ("t.csv", b"vin,owner\n1HGCM82633A004352,0x00\n", "text/csv")}
        wrong_role = api.post("/imports", files=csv_file, data={"kind": "titles"},
                              headers=bearer(keys.lender))  # fmt: skip
        assert wrong_role.status_code == 403 and "needs role registrar" in wrong_role.text
        other = api.post("/imports", files=csv_file, data={"kind": "liens"},
                         headers=bearer(keys.lender2))  # fmt: skip
        assert other.status_code == 403 and "signs as" in other.text
        anonymous = api.post("/imports", files=csv_file, data={"kind": "liens"})
        assert anonymous.status_code == 401
        binary = {"file": ("x.csv", b"\x00\x01\x02PK", "text/csv")}
        started = api.post("/imports", files=binary, data={"kind": "liens"},
                           headers=bearer(keys.lender))  # fmt: skip
        assert started.status_code == 202, started.text
        refused = _poll(api, started.json()["id"], keys.lender)
        assert refused["status"] == "failed" and refused["summary"] is None
        assert refused["error"]["code"] == "import_file_refused"
        assert refused["error"]["message"] == "x.csv is a binary file, not CSV or JSON Lines"
        missing = api.get("/imports/" + "0" * 32, headers=bearer(keys.lender))
        assert missing.status_code == 404
