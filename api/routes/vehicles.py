"""Public vehicle answers: the title check (a verifiable certificate), history, odometer; each
now or as of a past block or instant (``?at=``)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import (
    KEY_OPTIONAL,
    Runtime,
    freshness_headers,
    json_response,
    public_caller,
)
from api.schemas.records import HistoryExport, HistoryPage, OdometerSeries, TitleCheck
from api.types import At, Cursor, Kinds, Vin, parse_kinds
from registry.auth import Principal
from registry.certificates import canonical_json, certificate_id
from registry.queries import MirrorState, Reader
from registry.queries.asof import AsOf, resolve, title_certificate_at
from registry.queries.vehicles import (
    LATEST,
    full_history,
    history,
    odometer_series,
    title_certificate,
)
from registry.timeline import explained, explanations, to_csv
from registry.vin import describe_vin, validate_vin

router = APIRouter(prefix="/vehicles", tags=["vehicles"])

AtParam = Annotated[At | None, Query(max_length=40)]


def _fresh_bytes(runtime: Runtime, state: MirrorState) -> tuple[bytes, dict[str, str]]:
    fresh = runtime.freshness(state)
    return json.dumps(fresh, separators=(",", ":")).encode(), freshness_headers(fresh)


def _as_of_bytes(asof: AsOf | None) -> bytes:
    return b"" if asof is None else b',"as_of":' + json.dumps(asof.as_json()).encode()


@router.get("/{vin}/title-check", response_model=TitleCheck, openapi_extra=KEY_OPTIONAL)
def title_check(vin: Vin, request: Request, at: AtParam = None) -> Response:
    """Is this title clean? A certificate naming the block (number and hash) it reflects.

    Save it: ``registry certificate verify FILE`` re-checks every statement against the chain.
    With ``at``, the title as it stood then (``as_of`` names the block reflected). Beside it,
    ``vehicle`` says what the VIN itself encodes (maker, region, model year): decoded from the
    VIN alone, outside the certificate and its id.
    """
    runtime: Runtime = request.app.state.runtime
    public_caller(request, runtime)
    v = validate_vin(vin)

    def build(conn: Reader, state: MirrorState) -> tuple[bytes, AsOf | None]:
        asof = resolve(conn, state, at) if at is not None else None
        key = ("title", v, asof and asof.block, state.indexed_block, state.indexed_hash)
        part = runtime.cached(key)
        if part is None:
            deployment = runtime.deployment(state.chain_id, state.registry_address)
            body = (
                title_certificate(conn, v, state, deployment)
                if asof is None
                else title_certificate_at(conn, v, asof, deployment)
            )
            part = b'"certificate_id":"%s","certificate":%s,"vehicle":%s' % (
                certificate_id(body).encode(),
                canonical_json(body),
                json.dumps(describe_vin(v).as_json(), separators=(",", ":")).encode(),
            )
            runtime.remember(key, part)
        return part, asof

    (part, asof), state = runtime.read(build)
    fresh, headers = _fresh_bytes(runtime, state)
    return Response(
        b"{" + part + _as_of_bytes(asof) + b',"freshness":' + fresh + b"}",
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


def _told(
    conn: Reader, vin: str, items: list[dict[str, Any]], caller: Principal | None
) -> list[dict[str, Any]]:
    """``items`` redacted for ``caller`` and explained in words (redacted ones vaguely)."""
    if not items:
        return []
    shown = _redact(items, caller)
    hidden = {(i["block"], i["log_index"]) for i in shown if i["args"] == {"redacted": True}}
    words = explanations(
        conn, vin, items[-1]["block"], hide=lambda ev: (ev.block_number, ev.log_index) in hidden
    )
    return explained(shown, words)


@router.get("/{vin}/history", response_model=HistoryPage, openapi_extra=KEY_OPTIONAL)
def vehicle_history(
    vin: Vin,
    request: Request,
    cursor: Annotated[Cursor | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    at: AtParam = None,
    kind: Annotated[Kinds | None, Query(max_length=100)] = None,
) -> Response:
    """Every event of the VIN in chain order (title, lien, loan, insurance, sale), paginated;
    with ``at``, those up to then; with ``kind``, only those kinds."""
    runtime: Runtime = request.app.state.runtime
    caller = public_caller(request, runtime)
    v = validate_vin(vin)
    kinds = parse_kinds(kind)
    who = (caller.role, caller.participant) if caller else None

    def build(conn: Reader, state: MirrorState) -> tuple[bytes, AsOf | None]:
        asof = resolve(conn, state, at) if at is not None else None
        key = ("history", v, cursor, limit, who, tuple(kinds), asof and asof.block,
               state.indexed_block, state.indexed_hash)  # fmt: skip
        part = runtime.cached(key)
        if part is None:
            items, next_cursor = history(
                conn, v, cursor=cursor, limit=limit, until=asof.block if asof else LATEST,
                kinds=kinds,
            )  # fmt: skip
            page = {"vin": v, "events": _told(conn, v, items, caller), "next_cursor": next_cursor}
            part = json.dumps(page, separators=(",", ":"), default=str).encode()[1:-1]
            runtime.remember(key, part)
        return part, asof

    (part, asof), state = runtime.read(build)
    fresh, headers = _fresh_bytes(runtime, state)
    return Response(
        b"{" + part + _as_of_bytes(asof) + b',"freshness":' + fresh + b"}",
        media_type="application/json",
        headers=headers,
    )


_EXPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the whole history, explained: a JSON document, or with format=csv a "
        "CSV file (one header row, one row per event)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/{vin}/history/export",
    response_model=HistoryExport,
    responses=_EXPORT,
    openapi_extra=KEY_OPTIONAL,
)
def vehicle_history_export(
    vin: Vin,
    request: Request,
    format: Annotated[Literal["csv", "json"], Query()] = "json",
    at: AtParam = None,
    kind: Annotated[Kinds | None, Query(max_length=100)] = None,
) -> Response:
    """The VIN's whole history explained in words, as a download (CSV or JSON); with ``at``,
    the events up to then; with ``kind``, only those kinds."""
    runtime: Runtime = request.app.state.runtime
    caller = public_caller(request, runtime)
    v = validate_vin(vin)
    kinds = parse_kinds(kind)

    def build(conn: Reader, state: MirrorState) -> tuple[list[dict[str, Any]], AsOf | None]:
        asof = resolve(conn, state, at) if at is not None else None
        items = full_history(conn, v, until=asof.block if asof else LATEST, kinds=kinds)
        return _told(conn, v, items, caller), asof

    (items, asof), state = runtime.read(build)
    name = f"history-{v}-{asof.block if asof else state.indexed_block}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(to_csv(items), media_type="text/csv", headers=headers)
    body = {"vin": v, "block": asof.block if asof else state.indexed_block, "events": items,
            "as_of": asof.as_json() if asof else None}  # fmt: skip
    return Response(json.dumps(body, default=str), media_type="application/json", headers=headers)


@router.get("/{vin}/odometer", response_model=OdometerSeries, openapi_extra=KEY_OPTIONAL)
def vehicle_odometer(vin: Vin, request: Request, at: AtParam = None) -> Response:
    """Every odometer reading of the VIN, oldest first (the web page's chart); with ``at``,
    those up to then."""
    runtime: Runtime = request.app.state.runtime
    public_caller(request, runtime)
    v = validate_vin(vin)

    def build(conn: Reader, state: MirrorState) -> dict[str, Any]:
        asof = resolve(conn, state, at) if at is not None else None
        readings = odometer_series(conn, v, until=asof.block if asof else LATEST)  # 404
        body: dict[str, Any] = {"vin": v, "readings": readings}
        if asof is not None:
            body["as_of"] = asof.as_json()
        return body

    body, state = runtime.read(build)
    return json_response(body, state, runtime)
