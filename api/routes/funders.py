"""A funder's pool of pledged loans and its alerts: visible to that funder, auditors and the
registrar (``Principal.sees_pool_of``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import RuntimeDep, json_response, require_roles
from api.routes.risk import BeforeId, Kind, Limit, MinSeverity
from api.schemas.funders import FunderAlerts, FunderPool
from api.types import Address, AlertKind, Severity, parse
from registry.addresses import checksum_address
from registry.auth import Principal
from registry.errors import Unauthorized
from registry.queries.pledges import funder_pool
from registry.risk.alerts import KINDS, list_alerts

router = APIRouter(tags=["funders"])

FunderReader = Annotated[Principal, Depends(require_roles("funder", "auditor", "registrar"))]


def _funder(address: str, principal: Principal) -> str:
    funder = checksum_address(address, "funder address").lower()
    if not principal.sees_pool_of(funder):
        raise Unauthorized(
            f"the pool of {funder} is visible only to that funder, auditors and the registrar",
            funder=funder,
        )
    return funder


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
    k, s = parse(AlertKind, kind, "alert kind"), parse(Severity, severity, "severity")
    items, state = runtime.read_sql(lambda conn, _s: list_alerts(
        conn, lender=funder, kind=k, min_severity=s, before_id=before_id, limit=limit
    ))  # fmt: skip
    return json_response({"funder": funder, "items": items, "kinds": KINDS}, state, runtime)
