"""Participants as admitted on chain: registrars, lenders, dealers, insurers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import KEY_OPTIONAL, RuntimeDep, json_response, public_caller
from api.schemas.records import ParticipantRoles, Participants
from api.types import Address, ParticipantRole, one_of, parse
from registry.addresses import checksum_address
from registry.errors import NotFound
from registry.queries.participants import participant, participants

router = APIRouter(prefix="/participants", tags=["participants"])

RoleQuery = Annotated[
    str | None,
    one_of(ParticipantRole, "only participants in this role (any case)"),
    Query(max_length=20),
]


@router.get("", response_model=Participants, openapi_extra=KEY_OPTIONAL)
def list_participants(
    request: Request,
    runtime: RuntimeDep,
    role: RoleQuery = None,
    include_removed: bool = False,
) -> Response:
    public_caller(request, runtime)
    wanted = parse(ParticipantRole, role, "role", any_case=True)
    items, state = runtime.read(
        lambda conn, _s: participants(conn, role=wanted, include_removed=include_removed)
    )
    return json_response({"items": items}, state, runtime)


@router.get("/{address}", response_model=ParticipantRoles, openapi_extra=KEY_OPTIONAL)
def one_participant(address: Address, request: Request, runtime: RuntimeDep) -> Response:
    """Every role the address was admitted in."""
    public_caller(request, runtime)
    who = checksum_address(address, "participant address").lower()
    items, state = runtime.read(lambda conn, _s: participant(conn, who))
    if not items:
        raise NotFound(f"{who} was never admitted as a participant", address=who)
    return json_response({"address": who, "items": items}, state, runtime)
