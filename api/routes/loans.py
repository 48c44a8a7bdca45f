"""A lender's loans and one loan's timeline: visible to that lender, auditors and the registrar
(and a loan to the funder it is pledged to)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import IdPath, RuntimeDep, json_response, require_roles
from api.schemas.records import LenderLoans, Timeline
from api.types import Address, LoanState, one_of, parse
from registry.addresses import checksum_address
from registry.auth import Principal
from registry.errors import NotFound, Unauthorized
from registry.queries import MirrorState, Reader
from registry.queries.loans import loan, loan_timeline, loans_of_lender
from registry.timeline import explained, explanations

router = APIRouter(tags=["loans"])

LoanReader = Annotated[
    Principal, Depends(require_roles("lender", "funder", "auditor", "registrar"))
]


def _may_see(principal: Principal, lender: str) -> None:
    if not principal.sees_loans_of(lender):
        raise Unauthorized(
            f"loan data of {lender} is visible only to that lender, auditors and the registrar",
            lender=lender,
        )


@router.get("/lenders/{address}/loans", response_model=LenderLoans)
def lender_loans(
    address: Address,
    runtime: RuntimeDep,
    principal: LoanReader,
    state_filter: Annotated[
        str | None,
        one_of(LoanState, "only loans in this state (any case)"),
        Query(alias="state", max_length=20),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """The lender's loans with their state and delinquency bucket, newest first."""
    lender = checksum_address(address, "lender address").lower()
    _may_see(principal, lender)
    wanted = parse(LoanState, state_filter, "loan state", any_case=True)
    items, state = runtime.read(
        lambda conn, _s: loans_of_lender(conn, lender, state=wanted, offset=offset, limit=limit)
    )
    return json_response({"lender": lender, "items": items}, state, runtime)


@router.get("/loans/{loan_id}", response_model=Timeline)
def loan_detail(loan_id: IdPath, runtime: RuntimeDep, principal: LoanReader) -> Response:
    """One loan and its timeline (every lifecycle event in chain order, in words)."""

    def build(conn: Reader, _state: MirrorState) -> tuple[Any, list[dict[str, Any]]]:
        record, events = loan(conn, loan_id), loan_timeline(conn, loan_id)
        if record is None or not events:
            return record, events
        return record, explained(events, explanations(conn, record["vin"], events[-1]["block"]))

    (record, events), state = runtime.read(build)
    if record is None:
        raise NotFound(f"no loan {loan_id} in the registry", loan_id=loan_id)
    if not (record["funder"] and principal.sees_pool_of(record["funder"])):
        _may_see(principal, record["lender"])  # its funder sees it too
    return json_response({"loan": record, "events": events}, state, runtime)
