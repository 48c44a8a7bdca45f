"""Watches, notices and webhooks of any participant holding an API key.

Every route acts for the key's own participant: its watches (a list or a file of VINs, or
addresses: every vehicle an address owns, every lien it holds), the notices the indexer
wrote for them, and the webhooks they (and the participant's risk alerts) are delivered to.
The chain is readable by every participant, so any key may watch any vehicle.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import RuntimeDep, json_response, require_roles
from api.routes.risk import WebhookIn
from api.schemas.risk import WebhookRemoved
from api.schemas.watches import (
    Notices,
    ParticipantWebhookCreated,
    ParticipantWebhooks,
    Watches,
    WatchRemoved,
)
from api.types import JSON_INT_MAX, Address, Vin, VinFile
from registry.auth import Principal
from registry.db.auth_models import API_ROLES
from registry.risk.webhooks import add_webhook, list_webhooks, remove_webhook
from registry.vin import validate_vin
from registry.watches.store import (
    MAX_ADDRESSES_PER_CALL,
    MAX_VINS_PER_CALL,
    add_watches,
    list_notices,
    list_watches,
    parse_vin_file,
    remove_watch,
)

router = APIRouter(tags=["watches"])

AnyKey = Annotated[Principal, Depends(require_roles(*API_ROLES))]
Id = Annotated[int, Path(ge=1, le=JSON_INT_MAX)]


class WatchesIn(BaseModel):
    """VINs and addresses to watch: at least one of them."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [
            {"required": ["vins"], "properties": {"vins": {"minItems": 1}}},
            {"required": ["addresses"], "properties": {"addresses": {"minItems": 1}}},
        ]}
    )  # fmt: skip

    vins: list[Vin] = Field(
        default_factory=list, max_length=MAX_VINS_PER_CALL, description="VINs to watch"
    )
    addresses: list[Address] = Field(
        default_factory=list,
        max_length=MAX_ADDRESSES_PER_CALL,
        description="addresses whose vehicles (owned) and liens (held) to watch",
    )
    label: str = Field("", max_length=200, description="a note kept with the watches")


def _watches(principal: Principal, runtime: Any) -> Response:
    with runtime.engine.connect() as conn:
        items = list_watches(conn, principal.participant)
    return json_response({"watcher": principal.participant, "items": items}, None, runtime)


@router.get("/watches", response_model=Watches)
def watches_list(runtime: RuntimeDep, principal: AnyKey) -> Response:
    """The key's participant's watches, oldest first."""
    return _watches(principal, runtime)


@router.post("/watches", status_code=201, response_model=Watches)
def watches_add(body: WatchesIn, runtime: RuntimeDep, principal: AnyKey) -> Response:
    """Watches VINs and addresses (all checked first: one bad value and nothing is added);
    answers every watch of the participant. From now on each event the indexer mirrors that
    touches a watched vehicle becomes a notice, delivered to the participant's webhooks."""
    with runtime.engine.begin() as conn:
        add_watches(conn, principal.participant, vins=body.vins, addresses=body.addresses,
                    label=body.label)  # fmt: skip
    response = _watches(principal, runtime)
    response.status_code = 201
    return response


@router.post(
    "/watch-file",
    status_code=201,
    response_model=Watches,
    openapi_extra={"requestBody": {"required": True, "content": {"text/plain": {"schema": {
        "type": "string", "format": "vin-file", "maxLength": 400_000}}}}},
)  # fmt: skip
def watches_upload(
    vin_file: Annotated[VinFile, Body(media_type="text/plain", max_length=400_000)],
    runtime: RuntimeDep,
    principal: AnyKey,
) -> Response:
    """Watches every VIN of a file (``Content-Type: text/plain``): one per line, or a CSV
    whose first column is the VIN. A bad line refuses the whole file, naming each bad line."""
    vins = parse_vin_file(vin_file)
    with runtime.engine.begin() as conn:
        add_watches(conn, principal.participant, vins=vins, label="file")
    response = _watches(principal, runtime)
    response.status_code = 201
    return response


@router.delete("/watches/{watch_id}", response_model=WatchRemoved)
def watches_remove(watch_id: Id, runtime: RuntimeDep, principal: AnyKey) -> Response:
    """Stops a watch of the participant (its notices stay)."""
    with runtime.engine.begin() as conn:
        remove_watch(conn, watch_id, principal.participant)
    return json_response({"removed": watch_id}, None, runtime)


@router.get("/notices", response_model=Notices)
def notices_list(
    runtime: RuntimeDep,
    principal: AnyKey,
    vin: Annotated[Vin | None, Query(description="only notices about this VIN")] = None,
    before_id: Annotated[
        int | None, Query(ge=1, le=JSON_INT_MAX, description="page: notices older than this id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """The participant's notices, newest first: each event touching a watched vehicle, in
    words, with its block, transaction and log index and the vehicle after it."""
    checked = validate_vin(vin) if vin is not None else None
    with runtime.engine.connect() as conn:
        items = list_notices(conn, principal.participant, vin=checked, before_id=before_id,
                             limit=limit)  # fmt: skip
    more = items[-1]["id"] if len(items) == limit else None
    body = {"watcher": principal.participant, "items": items, "next_before_id": more}
    return json_response(body, None, runtime)


# ------------------------------------------------------------------- webhooks


@router.get("/webhooks", response_model=ParticipantWebhooks)
def webhooks_list(runtime: RuntimeDep, principal: AnyKey) -> Response:
    """The participant's webhooks (secrets hidden), with delivered and pending counts."""
    with runtime.engine.connect() as conn:
        items = list_webhooks(conn, principal.participant)
    return json_response({"participant": principal.participant, "items": items}, None, runtime)


@router.post("/webhooks", status_code=201, response_model=ParticipantWebhookCreated)
def webhooks_add(body: WebhookIn, runtime: RuntimeDep, principal: AnyKey) -> Response:
    """Registers a webhook for the participant's notices and alerts; the answer shows the
    secret once. Deliveries are signed the Standard Webhooks way (``webhook-id``,
    ``webhook-timestamp``, ``webhook-signature``); the id is stable across retries. A URL
    whose host resolves to a loopback, private or link-local address is refused (403)."""
    with runtime.engine.begin() as conn:
        hook = add_webhook(conn, principal.participant, body.url, body.secret,
                           allow_private=runtime.settings.webhook_private_urls)  # fmt: skip
    return json_response(hook, None, runtime, status=201)


@router.delete("/webhooks/{webhook_id}", response_model=WebhookRemoved)
def webhooks_remove(webhook_id: Id, runtime: RuntimeDep, principal: AnyKey) -> Response:
    """Stops deliveries to a webhook of the participant (pending ones are dropped)."""
    with runtime.engine.begin() as conn:
        remove_webhook(conn, webhook_id, principal.participant)
    return json_response({"removed": webhook_id}, None, runtime)
