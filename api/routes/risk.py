"""Risk: alerts, loan standing, the portfolio report and alert webhooks of a lender.

Visible to that lender, auditors and the registrar (``Principal.sees_loans_of``); webhooks
are managed by the lender itself. Each answer reads its data and the mirror state it
reflects in one database snapshot (``Runtime.read_sql``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from api.deps import Runtime, RuntimeDep, json_response, require_roles
from api.schemas.risk import (
    Alerts,
    LenderAlerts,
    LenderStanding,
    Portfolio,
    WebhookCreated,
    WebhookRemoved,
    Webhooks,
)
from api.types import JSON_INT_MAX, Address, AlertKind, Severity, StandingBucket, Vin, one_of, parse
from registry.addresses import checksum_address
from registry.auth import Principal
from registry.errors import Unauthorized
from registry.queries import MirrorState
from registry.risk.alerts import KINDS, list_alerts
from registry.risk.models import LoanStatus
from registry.risk.portfolio import portfolio
from registry.risk.webhooks import add_webhook, list_webhooks, remove_webhook
from registry.vin import validate_vin

router = APIRouter(tags=["risk"])

RiskReader = Annotated[Principal, Depends(require_roles("lender", "auditor", "registrar"))]
LenderOnly = Annotated[Principal, Depends(require_roles("lender"))]
Kind = Annotated[str | None, one_of(AlertKind, "only alerts of this kind"), Query(max_length=40)]
MinSeverity = Annotated[
    str | None, one_of(Severity, "only alerts of at least this severity"), Query(max_length=20)
]
Limit = Annotated[int, Query(ge=1, le=1000)]
BeforeId = Annotated[
    int | None, Query(ge=1, le=JSON_INT_MAX, description="page: alerts older than this id")
]
STATUS = LoanStatus.__table__  # type: ignore[attr-defined]


def visible_party(address: str, role: str, visible: Callable[[str], bool], subject: str) -> str:
    """The address (lower case) of the lender/funder whose ``subject`` is asked for, or
    Unauthorized when the key may not see it (``visible``: a ``Principal.sees_*``)."""
    party = checksum_address(address, f"{role} address").lower()
    if not visible(party):
        raise Unauthorized(
            f"{subject} of {party} is visible only to that {role}, auditors and the registrar",
            **{role: party},
        )
    return party


def _lender(address: str, principal: Principal) -> str:
    return visible_party(address, "lender", principal.sees_loans_of, "risk data")


def read_alerts(
    runtime: Runtime,
    *,
    lender: str | None,
    kind: str | None,
    severity: str | None,
    before_id: int | None,
    limit: int,
    vin: str | None = None,
) -> tuple[list[dict[str, Any]], MirrorState]:
    """One page of alerts (``list_alerts``) with the mirror state it reflects, the kind and
    severity filters parsed from the query."""
    k, s = parse(AlertKind, kind, "alert kind"), parse(Severity, severity, "severity")
    return runtime.read_sql(lambda conn, _s: list_alerts(
        conn, lender=lender, kind=k, vin=vin, min_severity=s, before_id=before_id, limit=limit
    ))  # fmt: skip


@router.get("/lenders/{address}/alerts", response_model=LenderAlerts)
def lender_alerts(
    address: Address,
    runtime: RuntimeDep,
    principal: RiskReader,
    kind: Kind = None,
    severity: MinSeverity = None,
    before_id: BeforeId = None,
    limit: Limit = 100,
) -> Response:
    """Alerts concerning the lender's liens and loans, newest first."""
    lender = _lender(address, principal)
    items, state = read_alerts(
        runtime, lender=lender, kind=kind, severity=severity, before_id=before_id, limit=limit
    )
    return json_response({"lender": lender, "items": items, "kinds": KINDS}, state, runtime)


@router.get("/alerts", response_model=Alerts)
def alerts(
    runtime: RuntimeDep,
    principal: RiskReader,
    kind: Kind = None,
    severity: MinSeverity = None,
    vin: Annotated[Vin | None, Query()] = None,
    before_id: BeforeId = None,
    limit: Limit = 100,
) -> Response:
    """All alerts (auditors, registrar); a lender's key sees those concerning it."""
    v = validate_vin(vin) if vin is not None else None
    lender = principal.participant if principal.role == "lender" else None
    items, state = read_alerts(
        runtime,
        lender=lender,
        kind=kind,
        severity=severity,
        before_id=before_id,
        limit=limit,
        vin=v,
    )
    return json_response({"items": items, "kinds": KINDS}, state, runtime)


@router.get("/lenders/{address}/standing", response_model=LenderStanding)
def lender_standing(
    address: Address,
    runtime: RuntimeDep,
    principal: RiskReader,
    bucket: Annotated[
        str | None, one_of(StandingBucket, "only loans in this bucket"), Query(max_length=20)
    ] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Limit = 100,
) -> Response:
    """The lender's loans with their derived DPD, bucket and exposure, worst first."""
    lender = _lender(address, principal)
    wanted = parse(StandingBucket, bucket, "bucket")

    def query(conn: Connection, _state: MirrorState) -> list[dict[str, Any]]:
        stmt = select(STATUS).where(STATUS.c.lender == lender)
        if wanted:
            stmt = stmt.where(STATUS.c.bucket == wanted)
        stmt = stmt.order_by(STATUS.c.dpd.desc(), STATUS.c.loan_id).offset(offset).limit(limit)
        return [dict(r) for r in conn.execute(stmt).mappings()]

    items, state = runtime.read_sql(query)
    return json_response({"lender": lender, "items": items}, state, runtime)


@router.get("/lenders/{address}/portfolio", response_model=Portfolio)
def lender_portfolio(
    address: Address,
    runtime: RuntimeDep,
    principal: RiskReader,
    stress: Annotated[float, Query(gt=0, le=20, description="worsening roll rates x factor")] = 1.5,
    lgd: Annotated[float, Query(ge=0, le=1, description="loss given default")] = 0.5,
) -> Response:
    """Exposure, buckets, roll rates, dealer concentration, branded collateral and a stress
    scenario's expected loss (definitions in the body)."""
    lender = _lender(address, principal)
    report, state = runtime.read_sql(
        lambda conn, _s: portfolio(conn, lender, stress=stress, lgd=lgd)
    )
    return json_response(report, state, runtime)


#: An http(s) URL with a host (what ``registry.risk.webhooks`` accepts), ASCII only.
WEBHOOK_URL = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9._~!$&'()*+,;=:%-]+([/?#][!-~]*)?$"


class WebhookIn(BaseModel):
    url: str = Field(
        max_length=2000,
        pattern=WEBHOOK_URL,
        description="http(s) URL receiving signed POSTs; refused when its host resolves to a "
        "loopback, private or link-local address",
    )
    secret: str | None = Field(
        None,
        min_length=16,
        max_length=200,
        description="signing secret, whsec_<base64 key of 24-64 bytes> (generated if omitted)",
    )


def as_lender(hook: dict[str, Any]) -> dict[str, Any]:
    """A webhook as these lender routes have always shown it (``lender``, not
    ``participant``)."""
    out = {k: v for k, v in hook.items() if k != "participant"}
    return {"lender": hook["participant"], **out}


def _own(address: str, principal: Principal) -> str:
    lender = checksum_address(address, "lender address").lower()
    if principal.participant != lender:
        raise Unauthorized(f"only {lender} manages its webhooks", lender=lender)
    return lender


@router.get("/lenders/{address}/webhooks", response_model=Webhooks)
def webhooks_list(address: Address, runtime: RuntimeDep, principal: LenderOnly) -> Response:
    """The lender's webhooks (secrets hidden), with delivered and pending counts."""
    lender = _own(address, principal)
    with runtime.engine.connect() as conn:
        items = [as_lender(h) for h in list_webhooks(conn, lender)]
    return json_response({"lender": lender, "items": items}, None, runtime)


@router.post("/lenders/{address}/webhooks", status_code=201, response_model=WebhookCreated)
def webhooks_add(
    address: Address, body: WebhookIn, runtime: RuntimeDep, principal: LenderOnly
) -> Response:
    """Registers a webhook (as ``POST /webhooks`` does for any participant); the answer shows
    the secret once. Deliveries are signed the Standard Webhooks way (``webhook-id``,
    ``webhook-timestamp``, ``webhook-signature``); the id is stable across retries."""
    lender = _own(address, principal)
    with runtime.engine.begin() as conn:
        hook = add_webhook(conn, lender, body.url, body.secret,
                           allow_private=runtime.settings.webhook_private_urls)  # fmt: skip
    return json_response(as_lender(hook), None, runtime, status=201)


@router.delete("/lenders/{address}/webhooks/{webhook_id}", response_model=WebhookRemoved)
def webhooks_remove(
    address: Address,
    webhook_id: Annotated[int, Path(ge=1, le=JSON_INT_MAX)],
    runtime: RuntimeDep,
    principal: LenderOnly,
) -> Response:
    """Stops deliveries to a webhook (pending ones are dropped)."""
    lender = _own(address, principal)
    with runtime.engine.begin() as conn:
        remove_webhook(conn, webhook_id, lender)
    return json_response({"removed": webhook_id}, None, runtime)
