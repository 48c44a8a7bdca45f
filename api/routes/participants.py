"""Participants as admitted on chain: registrars, lenders, dealers, insurers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CallerDep, RuntimeDep, json_response
from api.schemas import Listing
from registry.addresses import checksum_address
from registry.errors import NotFound
from registry.queries.participants import participant, participants

router = APIRouter(prefix="/participants", tags=["participants"])


@router.get("", response_model=Listing)
async def list_participants(
    runtime: RuntimeDep,
    _caller: CallerDep,
    role: Annotated[str | None, Query(max_length=20, description="e.g. LENDER")] = None,
    include_removed: bool = False,
) -> Response:
    items, state = runtime.read(
        lambda conn, _s: participants(conn, role=role, include_removed=include_removed)
    )
    return json_response({"items": items}, state, runtime)


@router.get("/{address}", response_model=Listing)
async def one_participant(address: str, runtime: RuntimeDep, _caller: CallerDep) -> Response:
    """Every role the address was admitted in."""
    who = checksum_address(address, "participant address").lower()
    items, state = runtime.read(lambda conn, _s: participant(conn, who))
    if not items:
        raise NotFound(f"{who} was never admitted as a participant", address=who)
    return json_response({"address": who, "items": items}, state, runtime)
