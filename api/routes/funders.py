"""A funder's pool of pledged loans and its alerts: visible to that funder, auditors and the
registrar (``Principal.sees_pool_of``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import RuntimeDep, json_response, require_roles
from api.routes.risk import BeforeId, Kind, Limit, MinSeverity, read_alerts, visible_party
from api.schemas.funders import FunderAlerts, FunderPool
from api.types import Address
from registry.auth import Principal
from registry.queries.pledges import funder_pool
from registry.risk.alerts import KINDS

router = APIRouter(tags=["funders"])

FunderReader = Annotated[Principal, Depends(require_roles("funder", "auditor", "registrar"))]


def _funder(address: str, principal: Principal) -> str:
    return visible_party(address, "funder", principal.sees_pool_of, "the pool")


@router.get("/funders/{address}/pool", response_model=FunderPool)
def pool(
    address: Address,
    runtime: RuntimeDep,
    principal: FunderReader,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """The loans pledged to the funder now, with their state, lien and collateral."""
    funder = _funder(address, principal)
    (items, total), state = runtime.read(
        lambda conn, _s: funder_pool(conn, funder, offset=offset, limit=limit)
    )
    return json_response({"funder": funder, "total": total, "items": items}, state, runtime)


@router.get("/funders/{address}/alerts", response_model=FunderAlerts)
def funder_alerts(
    address: Address,
    runtime: RuntimeDep,
    principal: FunderReader,
    kind: Kind = None,
    severity: MinSeverity = None,
    before_id: BeforeId = None,
    limit: Limit = 100,
) -> Response:
    """Alerts about the loans pledged to the funder, newest first."""
    funder = _funder(address, principal)
    items, state = read_alerts(
        runtime, lender=funder, kind=kind, severity=severity, before_id=before_id, limit=limit
    )
    return json_response({"funder": funder, "items": items, "kinds": KINDS}, state, runtime)
