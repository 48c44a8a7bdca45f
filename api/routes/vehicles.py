"""Public vehicle answers: the title check (a verifiable certificate), history, odometer."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import (
    KEY_OPTIONAL,
    Runtime,
    RuntimeDep,
    freshness_headers,
    json_response,
    public_caller,
)
from api.schemas.records import HistoryPage, OdometerSeries, TitleCheck
from api.types import Cursor, Vin
from registry.auth import Principal
from registry.certificates import canonical_json, certificate_id
from registry.queries import MirrorState, Reader
from registry.queries.vehicles import history, odometer_series, title_certificate
from registry.vin import describe_vin, validate_vin

router = APIRouter(prefix="/vehicles", tags=["vehicles"])


def _fresh_bytes(runtime: Runtime, state: MirrorState) -> tuple[bytes, dict[str, str]]:
    fresh = runtime.freshness(state)
    return json.dumps(fresh, separators=(",", ":")).encode(), freshness_headers(fresh)


@router.get("/{vin}/title-check", response_model=TitleCheck, openapi_extra=KEY_OPTIONAL)
def title_check(vin: Vin, request: Request) -> Response:
    """Is this title clean? A certificate naming the block (number and hash) it reflects.

    Save it: ``registry certificate verify FILE`` re-checks every statement against the chain.
    Beside it, ``vehicle`` says what the VIN itself encodes (maker, region, model year):
    decoded from the VIN alone, outside the certificate and its id.
    """
    runtime: Runtime = request.app.state.runtime
    public_caller(request, runtime)
    v = validate_vin(vin)

    def build(conn: Reader, state: MirrorState) -> bytes:
        key = ("title", v, state.indexed_block, state.indexed_hash)
        part = runtime.cached(key)
        if part is None:
            body = title_certificate(
                conn, v, state, runtime.deployment(state.chain_id, state.registry_address)
            )
            part = b'"certificate_id":"%s","certificate":%s,"vehicle":%s' % (
                certificate_id(body).encode(),
                canonical_json(body),
                json.dumps(describe_vin(v).as_json(), separators=(",", ":")).encode(),
            )
            runtime.remember(key, part)
        return part

    part, state = runtime.read(build)
    fresh, headers = _fresh_bytes(runtime, state)
    return Response(
        b"{" + part + b',"freshness":' + fresh + b"}",
        media_type="application/json",
        headers=headers,
    )


def _redact(items: list[dict[str, Any]], principal: Principal | None) -> list[dict[str, Any]]:
    """Loan events show their amounts and terms only to the lender, auditors and the registrar."""
    out = []
    for item in items:
        if item["kind"] == "loan" and not (
            principal is not None and principal.sees_loans_of(item["actor"] or "")
        ):
            item = {**item, "args": {"redacted": True}}
        out.append(item)
    return out


@router.get("/{vin}/history", response_model=HistoryPage, openapi_extra=KEY_OPTIONAL)
def vehicle_history(
    vin: Vin,
    request: Request,
    cursor: Annotated[Cursor | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """Every event of the VIN in chain order (title, lien, loan, insurance, sale), paginated."""
    runtime: Runtime = request.app.state.runtime
    caller = public_caller(request, runtime)
    v = validate_vin(vin)
    who = (caller.role, caller.participant) if caller else None

    def build(conn: Reader, state: MirrorState) -> bytes:
        key = ("history", v, cursor, limit, who, state.indexed_block, state.indexed_hash)
        part = runtime.cached(key)
        if part is None:
            items, next_cursor = history(conn, v, cursor=cursor, limit=limit)
            page = {"vin": v, "events": _redact(items, caller), "next_cursor": next_cursor}
            part = json.dumps(page, separators=(",", ":"), default=str).encode()[1:-1]
            runtime.remember(key, part)
        return part

    part, state = runtime.read(build)
    fresh, headers = _fresh_bytes(runtime, state)
    return Response(
        b"{" + part + b',"freshness":' + fresh + b"}",
        media_type="application/json",
        headers=headers,
    )


@router.get("/{vin}/odometer", response_model=OdometerSeries, openapi_extra=KEY_OPTIONAL)
def vehicle_odometer(vin: Vin, request: Request, runtime: RuntimeDep) -> Response:
    """Every odometer reading of the VIN, oldest first (the web page's chart)."""
    public_caller(request, runtime)
    v = validate_vin(vin)
    readings, state = runtime.read(lambda conn, _s: odometer_series(conn, v))  # 404: no title
    return json_response({"vin": v, "readings": readings}, state, runtime)
