"""Loan-tape checks (``POST /tapes``) and a funder's pool report, from the SQL mirror.

A tape is uploaded as the CSV file itself (``Content-Type: text/csv``) and checked by the
same engine as ``registry tape check`` (:func:`registry.tapes.check_tape`), in one database
snapshot. Funder, lender and auditor keys may check tapes: a funder checks against itself
as the funder, a lender only its own tape; an auditor names either. The pool report is
visible to the funder, auditors and the registrar.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from api.deps import RuntimeDep, json_response, require_roles
from api.routes.funders import FunderReader
from api.schemas.tapes import PoolReport, TapeCheck
from api.types import Address
from registry.addresses import checksum_address
from registry.auth import Principal
from registry.errors import InvalidInput, Unauthorized
from registry.risk.pool import pool_report
from registry.tapes import Tolerance, check_tape, parse_tape

router = APIRouter(tags=["tapes"])

TapeChecker = Annotated[Principal, Depends(require_roles("funder", "lender", "auditor"))]
#: The largest tape accepted (a 100,000-loan tape is about 5 MB).
MAX_TAPE_BYTES = 64 * 1024 * 1024
#: The request body as the OpenAPI document shows it: the CSV file.
TAPE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the loan tape: CSV with a header naming loan_id (or loan_ref), vin, "
        "balance and dpd columns",
        "content": {
            "text/csv": {
                "schema": {"type": "string", "format": "loan-tape", "contentMediaType": "text/csv"}
            }
        },
    }
}


def _parties(principal: Principal, lender: str | None, funder: str | None
             ) -> tuple[str | None, str | None]:  # fmt: skip
    """Who the check is about: a funder's key checks for itself, a lender's its own tape."""
    who = None if lender is None else checksum_address(lender, "lender address").lower()
    pool = None if funder is None else checksum_address(funder, "funder address").lower()
    me = principal.participant
    if principal.role == "funder":
        if pool not in (None, me):
            raise Unauthorized(f"a funder's key checks tapes for its own pool ({me})", funder=pool)
        pool = me
    elif principal.role == "lender":
        if who not in (None, me):
            raise Unauthorized(f"a lender's key checks its own tapes ({me})", lender=who)
        who = me
    return who, pool


@router.post("/tapes", response_model=TapeCheck, openapi_extra=TAPE_BODY)
def check(
    runtime: RuntimeDep,
    principal: TapeChecker,
    tape: Annotated[bytes, Body(media_type="text/csv", include_in_schema=False)],
    lender: Annotated[Address | None, Query(description="the tape's lender")] = None,
    funder: Annotated[Address | None, Query(description="the pool's funder")] = None,
    name: Annotated[str, Query(max_length=200, description="the file's name")] = "",
    dpd_tolerance: Annotated[int, Query(ge=0, le=10_000)] = 5,
    balance_tolerance: Annotated[float, Query(ge=0, le=1)] = 0.01,
) -> Response:
    """Every exception of every row of the uploaded tape, a summary per kind, the block the
    result reflects and its id (definitions: ``registry.tapes.check``)."""
    if len(tape) > MAX_TAPE_BYTES:
        raise InvalidInput(f"the tape is {len(tape):,} bytes; at most {MAX_TAPE_BYTES:,}")
    who, pool = _parties(principal, lender, funder)
    rows = parse_tape(tape, name)
    tolerance = Tolerance(dpd_days=dpd_tolerance, balance_ratio=balance_tolerance)
    result, state = runtime.read_sql(
        lambda conn, _s: check_tape(conn, rows, lender=who, funder=pool, tolerance=tolerance)
    )
    return json_response(dict(result.body), state, runtime)


@router.get("/funders/{address}/pool/report", response_model=PoolReport)
def report(address: Address, runtime: RuntimeDep, principal: FunderReader) -> Response:
    """The pool's outstanding balance, delinquency by 30-day steps, payoffs and prepayments,
    charge-offs and net loss ratio, collateral events, concentration by lender and dealer,
    and its month-by-month trend (definitions: ``registry.risk.pool``)."""
    funder = checksum_address(address, "funder address").lower()
    if not principal.sees_pool_of(funder):
        raise Unauthorized(
            f"the pool of {funder} is visible only to that funder, auditors and the registrar",
            funder=funder,
        )
    data, state = runtime.read_sql(lambda conn, _s: pool_report(conn, funder))
    return json_response(data, state, runtime)
