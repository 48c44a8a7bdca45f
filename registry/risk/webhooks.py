"""Webhooks: participants' endpoints, the outbox of deliveries, the delivery worker.

Any participant holding an API key (lender, dealer, insurer, funder, auditor, an owner's
representative) registers endpoints for what concerns it: risk alerts of the lenders they
name, notices of the vehicles it watches (:mod:`registry.watches`). Delivery is
at-least-once. Storing an alert or a notice puts one outbox row per matching webhook in the
same transaction (:func:`enqueue_messages`); the worker POSTs each due row and marks it
delivered only on a 2xx answer, otherwise retries with exponential backoff. A crash between
the POST and the commit means the receiver may see a delivery twice: its id
(``webhook-id``, also ``delivery_id`` in the body) is stable across retries, so the receiver
drops duplicates.

Each request is signed the Standard Webhooks way (:mod:`registry.risk.signatures`;
receivers check it with :func:`registry.risk.signatures.verify_webhook`)::

    webhook-id:           <delivery id>
    webhook-timestamp:    <unix seconds when sent>
    webhook-signature:    v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")>
    X-Registry-Event:     <alert kind, or notice.<event name>>

and, for one more release, with the previous headers ``X-Registry-Signature: sha256=<hex
HMAC-SHA256(secret, raw body)>``, ``X-Registry-Delivery`` and ``X-Registry-Timestamp``.
URLs resolving to non-public addresses are refused at registration and at delivery
(:mod:`registry.risk.destinations`) unless ``allow_private``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, Table, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from registry.addresses import checksum_address
from registry.chunks import chunks
from registry.errors import InvalidInput, NotFound
from registry.risk.destinations import check_destination
from registry.risk.models import Delivery, Webhook
from registry.risk.signatures import legacy_signature, new_secret, signed_headers, signing_key

WEBHOOKS: Table = Webhook.__table__  # type: ignore[attr-defined]
DELIVERIES: Table = Delivery.__table__  # type: ignore[attr-defined]
#: The previous headers, sent beside the Standard Webhooks ones for one more release.
LEGACY_SIGNATURE_HEADER = "X-Registry-Signature"
LEGACY_DELIVERY_HEADER = "X-Registry-Delivery"
LEGACY_TIMESTAMP_HEADER = "X-Registry-Timestamp"
EVENT_HEADER = "X-Registry-Event"


# ------------------------------------------------------------------- webhooks


def _participant(address: str) -> str:
    return checksum_address(address, "participant address").lower()


def _secret(secret: str | None) -> str:
    if secret is None:
        return new_secret()
    if len(secret) < 16:
        raise InvalidInput("a webhook secret needs at least 16 characters")
    signing_key(secret)  # a whsec_ secret must decode
    return secret


def add_webhook(
    conn: Connection,
    participant: str,
    url: str,
    secret: str | None = None,
    *,
    allow_private: bool = False,
) -> dict[str, Any]:
    """Registers ``url`` for ``participant``'s alerts and notices; a ``whsec_`` secret is
    generated when none is given. A URL whose host resolves to a non-public address is
    refused unless ``allow_private``."""
    who = _participant(participant)
    check_destination(url, allow_private=allow_private)
    row = {"participant": who, "url": url, "secret": _secret(secret), "active": True,
           "created_ts": time.time()}  # fmt: skip
    new_id = conn.execute(WEBHOOKS.insert().values(**row)).inserted_primary_key
    return {"id": int(new_id[0]), **row}  # type: ignore[index]


def list_webhooks(conn: Connection, participant: str | None = None) -> list[dict[str, Any]]:
    """Webhooks (secrets hidden), with their outbox counts."""
    stmt = select(WEBHOOKS).where(WEBHOOKS.c.active.is_(True)).order_by(WEBHOOKS.c.id)
    if participant:
        stmt = stmt.where(WEBHOOKS.c.participant == _participant(participant))
    out = []
    for r in conn.execute(stmt).mappings():
        d = {k: v for k, v in r.items() if k != "secret"}
        counts = conn.execute(
            select(DELIVERIES.c.delivered_ts.is_(None), DELIVERIES.c.id).where(
                DELIVERIES.c.webhook_id == r["id"]
            )
        ).all()
        d["pending"] = sum(1 for pending, _ in counts if pending)
        d["delivered"] = len(counts) - d["pending"]
        out.append(d)
    return out


def remove_webhook(conn: Connection, webhook_id: int, participant: str | None = None) -> None:
    """Deactivates a webhook (its delivery history stays); pending deliveries are dropped."""
    stmt = select(WEBHOOKS).where(WEBHOOKS.c.id == webhook_id, WEBHOOKS.c.active.is_(True))
    row = conn.execute(stmt).mappings().first()
    if row is None or (participant is not None and row["participant"] != _participant(participant)):
        raise NotFound(f"no webhook {webhook_id}", webhook_id=webhook_id)
    conn.execute(update(WEBHOOKS).where(WEBHOOKS.c.id == webhook_id).values(active=False))
    conn.execute(
        delete(DELIVERIES).where(
            DELIVERIES.c.webhook_id == webhook_id, DELIVERIES.c.delivered_ts.is_(None)
        )
    )


# --------------------------------------------------------------------- outbox


def delivery_id(webhook_id: int, alert_key: str) -> str:
    """Stable per (webhook, alert): the same alert re-stored after a reorg keeps its id."""
    return hashlib.sha256(f"{webhook_id}|{alert_key}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class OutboxMessage:
    """Something to deliver to the webhooks of the ``parties`` it concerns."""

    key: str  # stable: storing the same message again queues nothing
    type: str  # "alert" | "notice": the body's ``type`` and the key of its content
    parties: Sequence[str]  # lowercase addresses whose webhooks receive it
    content: dict[str, Any]  # an alert (its ``kind``), a notice (its ``event``)
    alert_id: int | None = None


def payload(delivery: str, message: OutboxMessage) -> str:
    body = {"delivery_id": delivery, "type": message.type, message.type: message.content}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


def have_webhooks(conn: Connection) -> bool:
    return (
        conn.execute(select(WEBHOOKS.c.id).where(WEBHOOKS.c.active.is_(True)).limit(1)).first()
        is not None
    )


def enqueue_messages(conn: Connection, messages: Iterable[OutboxMessage]) -> int:
    """Puts each message in the outbox of every active webhook of a party it concerns."""
    hooks: dict[str, list[int]] = {}
    for wid, party in conn.execute(
        select(WEBHOOKS.c.id, WEBHOOKS.c.participant).where(WEBHOOKS.c.active.is_(True))
    ):
        hooks.setdefault(party, []).append(int(wid))
    if not hooks:
        return 0
    now = time.time()
    rows = []
    for message in messages:
        targets = {w for party in message.parties for w in hooks.get(party.lower(), ())}
        for wid in sorted(targets):
            did = delivery_id(wid, message.key)
            rows.append({
                "delivery_id": did, "webhook_id": wid, "alert_id": message.alert_id,
                "alert_key": message.key, "payload": payload(did, message), "attempts": 0,
                "next_attempt_ts": now, "delivered_ts": None, "last_error": None,
                "created_ts": now,
            })  # fmt: skip
    if rows:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(DELIVERIES).on_conflict_do_nothing(
            index_elements=["webhook_id", "alert_key"]
        )
        conn.execute(stmt, rows)
    return len(rows)


def enqueue(conn: Connection, alerts: Iterable[dict[str, Any]]) -> int:
    """Puts each stored alert (as :func:`registry.risk.alerts.as_dict` shows it) in the
    outbox of every active webhook of a lender it concerns."""
    return enqueue_messages(
        conn,
        (OutboxMessage(a["key"], "alert", a["lenders"], a, a["id"]) for a in alerts),
    )  # fmt: skip


# --------------------------------------------------------------------- worker


@dataclass
class Backoff:
    """Delay before retry ``n`` (1-based): ``base * 2**(n-1)``, capped."""

    base: float = 5.0
    cap: float = 3600.0

    def delay(self, attempts: int) -> float:
        return float(min(self.cap, self.base * 2 ** max(0, attempts - 1)))


@dataclass
class RoundResult:
    delivered: int = 0
    failed: int = 0


def event_name(body: str) -> str:
    """The X-Registry-Event of a delivery body: an alert's kind, ``notice.<event>``."""
    doc = json.loads(body)
    kind = doc.get("type", "")
    content = doc.get(kind) or {}
    if kind == "notice":
        return f"notice.{content.get('event', '')}"
    return str(content.get("kind", ""))


def _post(
    client: httpx.Client, row: Any, *, allow_private: bool, now: float | None = None
) -> str | None:
    """POSTs one delivery to the checked address of its URL; None on a 2xx answer, else the
    error (a URL that now resolves to a non-public address is not called at all)."""
    raw = row.payload.encode()
    try:
        url, headers, extensions = check_destination(row.url, allow_private=allow_private).pinned()
    except InvalidInput as exc:
        return str(exc)[:500]
    sent = signed_headers(row.secret, row.delivery_id, raw, now)
    headers.update(sent)
    headers.update({
        "Content-Type": "application/json",
        EVENT_HEADER: event_name(row.payload),
        LEGACY_SIGNATURE_HEADER: legacy_signature(row.secret, raw),
        LEGACY_DELIVERY_HEADER: row.delivery_id,
        LEGACY_TIMESTAMP_HEADER: sent["webhook-timestamp"],
    })  # fmt: skip
    try:
        response = client.post(url, content=raw, headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"


def deliver_due(
    engine: Engine,
    *,
    client: httpx.Client | None = None,
    backoff: Backoff | None = None,
    limit: int = 100,
    now: float | None = None,
    allow_private: bool = False,
) -> RoundResult:
    """One round: POSTs every delivery that is due, recording each outcome as it happens
    (``allow_private``: deliver to URLs resolving to non-public addresses too)."""
    backoff = backoff or Backoff()
    own = client is None
    http = client or httpx.Client(timeout=10.0, follow_redirects=False)
    result = RoundResult()
    try:
        with engine.connect() as conn:
            due = conn.execute(
                select(
                    DELIVERIES.c.id, DELIVERIES.c.delivery_id, DELIVERIES.c.payload,
                    DELIVERIES.c.attempts, WEBHOOKS.c.url, WEBHOOKS.c.secret,
                )
                .join(WEBHOOKS, WEBHOOKS.c.id == DELIVERIES.c.webhook_id)
                .where(
                    DELIVERIES.c.delivered_ts.is_(None),
                    DELIVERIES.c.next_attempt_ts <= (now if now is not None else time.time()),
                    WEBHOOKS.c.active.is_(True),
                )
                .order_by(DELIVERIES.c.next_attempt_ts, DELIVERIES.c.id)
                .limit(limit)
            ).all()  # fmt: skip
        for row in due:
            error = _post(http, row, allow_private=allow_private)
            row_id, attempts = row.id, row.attempts
            sent = time.time()
            values: dict[str, Any] = {"attempts": attempts + 1, "last_error": error}
            if error is None:
                values["delivered_ts"] = sent
                result.delivered += 1
            else:
                values["next_attempt_ts"] = sent + backoff.delay(attempts + 1)
                result.failed += 1
            with engine.begin() as conn:
                conn.execute(update(DELIVERIES).where(DELIVERIES.c.id == row_id).values(**values))
    finally:
        if own:
            http.close()
    return result


def next_due_in(engine: Engine, now: float | None = None) -> float | None:
    """Seconds until the next pending delivery is due (None: nothing pending)."""
    with engine.connect() as conn:
        ts = conn.execute(
            select(DELIVERIES.c.next_attempt_ts)
            .join(WEBHOOKS, WEBHOOKS.c.id == DELIVERIES.c.webhook_id)
            .where(DELIVERIES.c.delivered_ts.is_(None), WEBHOOKS.c.active.is_(True))
            .order_by(DELIVERIES.c.next_attempt_ts)
            .limit(1)
        ).scalar()
    if ts is None:
        return None
    return max(0.0, float(ts) - (now if now is not None else time.time()))


def run_worker(
    engine: Engine,
    *,
    once: bool = False,
    backoff: Backoff | None = None,
    poll_interval: float = 2.0,
    stop: threading.Event | None = None,
    on_round: Callable[[RoundResult], None] | None = None,
    allow_private: bool = False,
) -> RoundResult:
    """Delivers until stopped (or one round with ``once``); sleeps until the next due row."""
    stop = stop or threading.Event()
    total = RoundResult()
    with httpx.Client(timeout=10.0, follow_redirects=False) as http:
        while not stop.is_set():
            r = deliver_due(engine, client=http, backoff=backoff, allow_private=allow_private)
            total.delivered += r.delivered
            total.failed += r.failed
            if on_round is not None and (r.delivered or r.failed):
                on_round(r)
            if once:
                break
            wait = next_due_in(engine)
            stop.wait(poll_interval if wait is None else min(poll_interval, max(0.05, wait)))
    return total


def outbox(
    conn: Connection, *, pending_only: bool = False, limit: int = 100
) -> list[dict[str, Any]]:
    """Deliveries, newest first (without their bodies)."""
    cols = [c for c in DELIVERIES.c if c.name != "payload"]
    stmt = select(*cols).order_by(DELIVERIES.c.id.desc()).limit(limit)
    if pending_only:
        stmt = stmt.where(DELIVERIES.c.delivered_ts.is_(None))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def remove_with_outbox_after(conn: Connection, table: Table, ancestor: int, vins: set[str]) -> int:
    """Deletes the rows of ``table`` (alerts, notices: ``key``, ``vin``, ``block_number``)
    of the VINs above block ``ancestor`` (a reorg) with their undelivered outbox rows; the
    replay writes those that still stand again, under the same keys."""
    removed = 0
    for part in chunks(sorted(vins)):
        cond = and_(table.c.vin.in_(part), table.c.block_number > ancestor)
        keys = [k for (k,) in conn.execute(select(table.c.key).where(cond))]
        for some in chunks(keys):
            conn.execute(
                delete(DELIVERIES).where(
                    DELIVERIES.c.alert_key.in_(some), DELIVERIES.c.delivered_ts.is_(None)
                )
            )
        removed += conn.execute(delete(table).where(cond)).rowcount
    return removed
