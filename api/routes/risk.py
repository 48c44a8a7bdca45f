"""Risk: alerts, loan standing, the portfolio report and alert webhooks of a lender.

Visible to that lender, auditors and the registrar (``Principal.sees_loans_of``); webhooks
are managed by the lender itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from api.deps import Runtime, RuntimeDep, json_response, require_roles
from registry.addresses import checksum_address
from registry.auth import Principal
from registry.enums import Bucket
from registry.enums import Severity as AlertSeverity
from registry.errors import Unauthorized
from registry.risk.alerts import KINDS, list_alerts
from registry.risk.models import LoanStatus
from registry.risk.portfolio import portfolio
from registry.risk.webhooks import add_webhook, list_webhooks, remove_webhook

router = APIRouter(tags=["risk"])
T = TypeVar("T")

RiskReader = Annotated[Principal, Depends(require_roles("lender", "auditor", "registrar"))]
LenderOnly = Annotated[Principal, Depends(require_roles("lender"))]
Kind = Annotated[str | None, Query(description=f"one of {', '.join(KINDS)}", max_length=40)]
Severity = Annotated[
    str | None, Query(description=f"at least this severity: {', '.join(AlertSeverity)}")
]
Limit = Annotated[int, Query(ge=1, le=1000)]
BeforeId = Annotated[
    int | None, Query(ge=1, le=2**62, description="page: alerts older than this id")
]
STATUS = LoanStatus.__table__  # type: ignore[attr-defined]


def _lender(address: str, principal: Principal) -> str:
    lender = checksum_address(address, "lender address").lower()
    if not principal.sees_loans_of(lender):
        raise Unauthorized(
            f"risk data of {lender} is visible only to that lender, auditors and the registrar",
            lender=lender,
        )
    return lender


def _read(runtime: Runtime, fn: Callable[[Connection], T]) -> tuple[T, Any]:
    """``fn`` on a connection, with the mirror state (for freshness)."""
    _, state = runtime.read(lambda _reader, _state: None)
    with runtime.engine.connect() as conn:
        return fn(conn), state


def _check(kind: str | None, severity: str | None) -> None:
    from registry.errors import InvalidInput

    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown alert kind {kind!r}: one of {', '.join(KINDS)}")
    if severity is not None and severity not in list(AlertSeverity):
        raise InvalidInput(f"unknown severity {severity!r}: one of {', '.join(AlertSeverity)}")


@router.get("/lenders/{address}/alerts")
async def lender_alerts(
    address: str,
    runtime: RuntimeDep,
    principal: RiskReader,
    kind: Kind = None,
    severity: Severity = None,
    before_id: BeforeId = None,
    limit: Limit = 100,
) -> Response:
    """Alerts concerning the lender's liens and loans, newest first."""
    lender = _lender(address, principal)
    _check(kind, severity)
    items, state = _read(runtime, lambda conn: list_alerts(
        conn, lender=lender, kind=kind, min_severity=severity, before_id=before_id, limit=limit
    ))  # fmt: skip
    return json_response({"lender": lender, "items": items, "kinds": KINDS}, state, runtime)


@router.get("/alerts")
async def alerts(
    runtime: RuntimeDep,
    principal: RiskReader,
    kind: Kind = None,
    severity: Severity = None,
    vin: Annotated[str | None, Query(max_length=17)] = None,
    before_id: BeforeId = None,
    limit: Limit = 100,
) -> Response:
    """All alerts (auditors, registrar); a lender's key sees those concerning it."""
    _check(kind, severity)
    lender = principal.participant if principal.role == "lender" else None
    items, state = _read(runtime, lambda conn: list_alerts(
        conn, lender=lender, kind=kind, vin=vin, min_severity=severity, before_id=before_id,
        limit=limit,
    ))  # fmt: skip
    return json_response({"items": items, "kinds": KINDS}, state, runtime)


@router.get("/lenders/{address}/standing")
async def lender_standing(
    address: str,
    runtime: RuntimeDep,
    principal: RiskReader,
    bucket: Annotated[str | None, Query(description=f"one of {', '.join(Bucket)}")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Limit = 100,
) -> Response:
    """The lender's loans with their derived DPD, bucket and exposure, worst first."""
    lender = _lender(address, principal)

    def query(conn: Connection) -> list[dict[str, Any]]:
        stmt = select(STATUS).where(STATUS.c.lender == lender)
        if bucket:
            stmt = stmt.where(STATUS.c.bucket == bucket)
        stmt = stmt.order_by(STATUS.c.dpd.desc(), STATUS.c.loan_id).offset(offset).limit(limit)
        return [dict(r) for r in conn.execute(stmt).mappings()]

    items, state = _read(runtime, query)
    return json_response({"lender": lender, "items": items}, state, runtime)


@router.get("/lenders/{address}/portfolio")
async def lender_portfolio(
    address: str,
    runtime: RuntimeDep,
    principal: RiskReader,
    stress: Annotated[float, Query(gt=0, le=20, description="worsening roll rates x factor")] = 1.5,
    lgd: Annotated[float, Query(ge=0, le=1, description="loss given default")] = 0.5,
) -> Response:
    """Exposure, buckets, roll rates, dealer concentration, branded collateral and a stress
    scenario's expected loss (definitions in the body)."""
    lender = _lender(address, principal)
    report, state = _read(runtime, lambda conn: portfolio(conn, lender, stress=stress, lgd=lgd))
    return json_response(report, state, runtime)


class WebhookIn(BaseModel):
    url: str = Field(max_length=2000, description="http(s) URL receiving signed POSTs")
    secret: str | None = Field(
        None, min_length=16, max_length=200, description="HMAC secret (generated if omitted)"
    )


def _own(address: str, principal: Principal) -> str:
    lender = checksum_address(address, "lender address").lower()
    if principal.participant != lender:
        raise Unauthorized(f"only {lender} manages its webhooks", lender=lender)
    return lender


@router.get("/lenders/{address}/webhooks")
async def webhooks_list(address: str, runtime: RuntimeDep, principal: LenderOnly) -> Response:
    """The lender's webhooks (secrets hidden), with delivered and pending counts."""
    lender = _own(address, principal)
    with runtime.engine.connect() as conn:
        items = list_webhooks(conn, lender)
    return json_response({"lender": lender, "items": items}, None, runtime)


@router.post("/lenders/{address}/webhooks", status_code=201)
async def webhooks_add(
    address: str, body: WebhookIn, runtime: RuntimeDep, principal: LenderOnly
) -> Response:
    """Registers a webhook; the answer shows the secret once. Deliveries carry
    ``X-Registry-Signature: sha256=<HMAC-SHA256(secret, raw body)>`` and ``X-Registry-Delivery``
    (stable across retries: drop duplicates)."""
    lender = _own(address, principal)
    with runtime.engine.begin() as conn:
        hook = add_webhook(conn, lender, body.url, body.secret)
    return json_response(hook, None, runtime, status=201)


@router.delete("/lenders/{address}/webhooks/{webhook_id}")
async def webhooks_remove(
    address: str,
    webhook_id: Annotated[int, Path(ge=1, le=2**62)],
    runtime: RuntimeDep,
    principal: LenderOnly,
) -> Response:
    """Stops deliveries to a webhook (pending ones are dropped)."""
    lender = _own(address, principal)
    with runtime.engine.begin() as conn:
        remove_webhook(conn, webhook_id, lender)
    return json_response({"removed": webhook_id}, None, runtime)
