"""The OpenAPI document against the app it describes: which routes need a key, the patterns of
VINs, addresses and hashes, the enums of kinds, states and buckets, a response model for every
route, 405s naming every allowed method, and no database work on the event loop."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from registry.enums import (
    AlertKind,
    Brand,
    Bucket,
    LienStatus,
    LoanState,
    ReleaseReason,
    Severity,
    TitleStatus,
)
from registry.errors import RegistryError
from tests.kit.api import Keys, bearer
from tests.kit.books import Book
from tests.kit.chain import CAST

METHODS = ("get", "post", "put", "patch", "delete")
VIN = "^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$"
ADDRESS = "^0x[0-9a-fA-F]{40}$"
HASH = "^0x[0-9a-fA-F]{64}$"
#: Parameter and body field names that hold a VIN, an address or a 32-byte hash.
VIN_NAMES = {"vin"}
ADDRESS_NAMES = {"address", "owner", "to", "buyer", "loss_payee"}
HASH_NAMES = {"sale_ref", "loan_ref", "terms_hash", "schedule_hash", "payment_ref",
              "policy_ref", "claim_ref"}  # fmt: skip


@pytest.fixture(scope="module")
def doc(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def concrete(path: str, book: Book) -> str:
    """``path`` with its parameters filled by records of the book (in the mirror)."""
    values = {
        "vin": book.liened,
        "address": CAST.lender.address,
        "lien_id": book.lien_first,
        "loan_id": book.loan_id,
    }
    for name in ("policy_id", "claim_id", "webhook_id", "watch_id"):
        values[name] = 1
    values["job_id"] = "0" * 32  # an import job's id (none such: the key is checked first)
    return path.format(**values)


def schema_of(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$ref`` resolved and an optional (``anyOf [X, null]``) unwrapped."""
    if "$ref" in schema:
        return schema_of(doc, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    return schema_of(doc, options[0]) if len(options) == 1 else schema


def test_security_declared_as_the_routes_enforce_it(
    doc: dict[str, Any], client: TestClient, book: Book
) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "vcr_<key id>_<secret>",
        "description": schemes["bearerKey"]["description"],
    }
    assert schemes["apiKeyHeader"]["in"] == "header"
    keyed = optional = 0
    for method, path, op in operations(doc):
        security = op.get("security", [])
        answer = client.request(method, concrete(path, book))
        if answer.status_code == 401:
            keyed += 1
            assert security == [{"bearerKey": []}, {"apiKeyHeader": []}], (method, path)
        elif security:
            optional += 1
            assert security == [{"bearerKey": []}, {"apiKeyHeader": []}, {}], (method, path)
            assert answer.status_code == 200, (method, path, answer.text)
        else:
            assert path == "/status", f"{method} {path} declares no key but answers {answer}"
    assert keyed >= 25 and optional >= 7


def _inputs(doc: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(operation, where, name, schema) of every parameter and body field."""
    for method, path, op in operations(doc):
        for p in op.get("parameters", []):
            yield f"{method.upper()} {path}", p["in"], p["name"], schema_of(doc, p["schema"])
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        root = body["schema"]
        for model in [schema_of(doc, s) for s in root.get("oneOf", [root])]:
            for name, field in model.get("properties", {}).items():
                yield f"{method.upper()} {path}", "body", name, schema_of(doc, field)


def test_vins_addresses_and_hashes_have_their_patterns(doc: dict[str, Any]) -> None:
    seen: dict[str, int] = {"vin": 0, "address": 0, "hash": 0}
    for operation, where, name, schema in _inputs(doc):
        for kind, names, pattern in (("vin", VIN_NAMES, VIN), ("address", ADDRESS_NAMES, ADDRESS),
                                     ("hash", HASH_NAMES, HASH)):  # fmt: skip
            if name in names:
                seen[kind] += 1
                assert schema.get("pattern") == pattern, (operation, where, name, schema)
    assert seen["vin"] >= 10 and seen["address"] >= 15 and seen["hash"] >= 8, seen


def _values(enum: type[StrEnum]) -> list[str]:
    return [m.value for m in enum]


def test_kinds_states_and_buckets_are_enums(doc: dict[str, Any]) -> None:
    expected = {
        ("GET /alerts", "kind"): _values(AlertKind),
        ("GET /alerts", "severity"): _values(Severity),
        ("GET /lenders/{address}/standing", "bucket"): [*_values(Bucket), "closed"],
        ("GET /lenders/{address}/loans", "state"): _values(LoanState),
    }
    found = {
        (operation, name): schema.get("enum")
        for operation, where, name, schema in _inputs(doc)
        if where == "query"
    }
    for key, values in expected.items():
        assert found[key] == values, key
    roles = found[("GET /participants", "role")] or []
    assert roles[:4] == ["REGISTRAR", "LENDER", "DEALER", "INSURER"]
    kinds = [
        s["properties"]["type"]["const"]
        for s in doc["components"]["schemas"].values()
        if "type" in s.get("properties", {}) and "const" in s["properties"]["type"]
    ]
    assert sorted(kinds) == ["charge_off", "delinquency", "disbursement", "payment", "restructure"]
    schemas = doc["components"]["schemas"]

    def enum(model: str, field: str) -> list[str]:
        values: list[str] = schema_of(doc, schemas[model]["properties"][field])["enum"]
        return values

    assert enum("TitleState", "status") == _values(TitleStatus)
    assert enum("BrandEntry", "brand") == _values(Brand)
    assert enum("LienRecord", "status") == _values(LienStatus)
    assert enum("LienRecord", "release_reason") == _values(ReleaseReason)
    assert enum("LoanRecord", "state") == _values(LoanState)
    assert enum("LoanRecord", "delinquency_bucket") == _values(Bucket)
    assert enum("AlertRecord", "kind") == _values(AlertKind)
    assert enum("AlertRecord", "severity") == _values(Severity)
    assert enum("StandingRecord", "bucket") == [*_values(Bucket), "closed"]
    assert enum("HistoryEvent", "kind") == [
        "title", "lien", "sale", "participant", "loan", "insurance"
    ]  # fmt: skip


def _statuses(error: type[RegistryError]) -> set[int]:
    return {error.status}.union(*(_statuses(sub) for sub in error.__subclasses__()))


def test_every_error_status_the_registry_raises_is_documented(doc: dict[str, Any]) -> None:
    """Each domain error's HTTP status (api/errors.py answers with ``exc.status``) is in
    every operation's responses, with the error body's schema."""
    statuses = {str(s) for s in _statuses(RegistryError)}
    assert {"404", "409", "422", "500", "502", "503"} <= statuses
    for method, path, op in operations(doc):
        missing = statuses - set(op["responses"])
        assert not missing, (method, path, sorted(missing))
        for status in statuses:
            ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorResponse"), (method, path, status)


def test_every_route_declares_the_model_it_answers_with(doc: dict[str, Any]) -> None:
    for method, path, op in operations(doc):
        ok = [code for code in op["responses"] if code.startswith("2")]
        assert len(ok) == 1, (method, path, ok)
        schema = op["responses"][ok[0]]["content"]["application/json"]["schema"]
        assert "$ref" in schema, (method, path, schema)
        model = schema_of(doc, schema)
        assert model["additionalProperties"] is False and model["properties"], (method, path)
        assert {"400", "401", "404", "405", "422"} <= set(op["responses"]), (method, path)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/participants", "GET, POST"),
        ("/vehicles/1HGCM82633A004352/odometer", "GET, POST"),
        ("/lenders/0x70997970C51812dc3A010C7d01b50e0d17dc79C8/webhooks", "GET, POST"),
        ("/vehicles/1HGCM82633A004352/title-check", "GET"),
        ("/liens", "POST"),
        ("/status", "GET"),
    ],
)
def test_405_names_every_method_of_the_path(client: TestClient, path: str, allowed: str) -> None:
    for method in ("PUT", "PATCH", "DELETE"):
        r = client.request(method, path)
        assert r.status_code == 405, (method, path)
        assert r.headers["allow"] == allowed
        error = r.json()["error"]
        assert error["code"] == "method_not_allowed" and allowed.split(", ")[0] in error["message"]


def test_the_405s_agree_with_the_document(doc: dict[str, Any], client: TestClient) -> None:
    for path, item in doc["paths"].items():
        declared = ", ".join(sorted(m.upper() for m in item if m in METHODS))
        unused = next(m for m in METHODS if m not in item)
        r = client.request(unused, path.replace("{", "").replace("}", ""))
        assert r.status_code == 405 and r.headers["allow"] == declared, (path, r.headers)


def test_every_documented_route_is_a_plain_function() -> None:
    """FastAPI runs plain functions in its thread pool; each of these reads the database."""
    from fastapi.routing import APIRoute

    from api.routes import liens, loans, participants, risk, status, vehicles, watches, writes

    routes = [r for m in (liens, loans, participants, risk, status, vehicles, watches, writes)
              for r in m.router.routes if isinstance(r, APIRoute)]  # fmt: skip
    assert len(routes) >= 30
    assert [r.path for r in routes if inspect.iscoroutinefunction(r.endpoint)] == []


def test_no_database_work_on_the_event_loop(
    doc: dict[str, Any], client: TestClient, book: Book, keys: Keys, app: FastAPI
) -> None:
    """Every route, with a key: no connection is checked out of the pool on the loop's thread
    (routes and dependencies doing SQL are plain functions FastAPI runs in its thread pool)."""
    on_loop: list[str] = []
    current = [""]

    def checkout(*_: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: fine
        on_loop.append(current[0])

    engine = app.state.runtime.engine
    event.listen(engine.pool, "checkout", checkout)
    try:
        checked = 0
        for method, path, _op in operations(doc):
            current[0] = f"{method.upper()} {path}"
            # the lender reads its own records; other methods stop at the role check (no writes)
            key = keys.lender if method == "get" else keys.auditor
            r = client.request(method, concrete(path, book), headers=bearer(key), json={})
            assert r.status_code < 500, (current[0], r.text)
            checked += 1
    finally:
        event.remove(engine.pool, "checkout", checkout)
    assert checked >= 30
    assert on_loop == []
