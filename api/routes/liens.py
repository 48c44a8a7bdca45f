"""Liens by VIN and by lienholder (public record: that visibility defeats double-pledging)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import KEY_OPTIONAL, IdPath, RuntimeDep, json_response, public_caller
from api.schemas.records import HolderLiens, OneLien, VinLiens
from api.types import Address, At, Vin
from registry.addresses import checksum_address
from registry.errors import NotFound
from registry.queries import MirrorState, Reader
from registry.queries.asof import liens_at, resolve
from registry.queries.liens import lien, liens_of_holder, liens_of_vin
from registry.vin import validate_vin

router = APIRouter(tags=["liens"])

ActiveOnly = Annotated[bool, Query(description="only liens still active")]


@router.get("/vehicles/{vin}/liens", response_model=VinLiens, openapi_extra=KEY_OPTIONAL)
def vin_liens(
    vin: Vin,
    request: Request,
    runtime: RuntimeDep,
    active: ActiveOnly = False,
    at: Annotated[At | None, Query(max_length=40)] = None,
) -> Response:
    """Every lien on the VIN: active ones in priority order, then released/repossessed ones;
    with ``at``, as they stood then (``as_of`` names the block reflected)."""
    public_caller(request, runtime)
    v = validate_vin(vin)

    def build(conn: Reader, state: MirrorState) -> dict[str, Any]:
        if at is None:
            return {"vin": v, "items": liens_of_vin(conn, v, active_only=active)}
        asof = resolve(conn, state, at)
        items = liens_at(conn, v, asof, active_only=active)
        return {"vin": v, "items": items, "as_of": asof.as_json()}

    body, state = runtime.read(build)
    return json_response(body, state, runtime)


@router.get("/lienholders/{address}/liens", response_model=HolderLiens, openapi_extra=KEY_OPTIONAL)
def holder_liens(
    address: Address,
    request: Request,
    runtime: RuntimeDep,
    active: ActiveOnly = False,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """Liens held now by a lender, newest first."""
    public_caller(request, runtime)
    holder = checksum_address(address, "lienholder address").lower()
    items, state = runtime.read(
        lambda conn, _s: liens_of_holder(
            conn, holder, active_only=active, offset=offset, limit=limit
        )
    )
    return json_response({"holder": holder, "items": items}, state, runtime)


@router.get("/liens/{lien_id}", response_model=OneLien, openapi_extra=KEY_OPTIONAL)
def one_lien(lien_id: IdPath, request: Request, runtime: RuntimeDep) -> Response:
    """One lien."""
    public_caller(request, runtime)
    record, state = runtime.read(lambda conn, _s: lien(conn, lien_id))
    if record is None:
        raise NotFound(f"no lien {lien_id} in the registry", lien_id=lien_id)
    return json_response({"record": record}, state, runtime)
