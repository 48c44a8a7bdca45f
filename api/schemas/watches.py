"""What the watch routes answer: watches, notices, a participant's webhooks."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas import Model
from api.types import WatchKind


class WatchRecord(Model):
    id: int
    watcher: str = Field(description="the participant hearing the notices (lowercase)")
    kind: WatchKind
    target: str = Field(description="a VIN, or a lowercase address")
    label: str
    created_ts: float


class Watches(Model):
    watcher: str
    items: list[WatchRecord]


class WatchRemoved(Model):
    removed: int


class NoticeRecord(Model):
    id: int
    key: str = Field(description="stable: the receiver's dedup key with the delivery id")
    watcher: str
    vin: str
    event: str = Field(description="the contract event's name")
    message: str = Field(description="the event in words")
    block_number: int
    block_time: int = Field(description="unix seconds of chain time")
    tx_hash: str
    log_index: int
    matched: list[str] = Field(description='which watches matched: "vin", "address:0x…"')
    args: dict[str, Any] = Field(description="the event's arguments")
    state: dict[str, Any] = Field(
        description="the vehicle after the event: owner, status, brands, odometer, active "
        "liens in priority order, their loans"
    )
    created_ts: float


class Notices(Model):
    watcher: str
    items: list[NoticeRecord]
    next_before_id: int | None = Field(description="before_id of the next (older) page")


class ParticipantWebhook(Model):
    id: int
    participant: str
    url: str
    active: bool
    created_ts: float
    pending: int
    delivered: int


class ParticipantWebhooks(Model):
    participant: str
    items: list[ParticipantWebhook]


class ParticipantWebhookCreated(Model):
    id: int
    participant: str
    url: str
    secret: str = Field(description="shown once: whsec_<base64 key>, checks every delivery")
    active: bool
    created_ts: float
