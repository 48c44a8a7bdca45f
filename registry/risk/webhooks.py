"""Webhooks: lenders' endpoints, the outbox of deliveries, the delivery worker, signatures.

Delivery is at-least-once. Storing an alert puts one outbox row per matching webhook in the
same transaction (:func:`enqueue`); the worker POSTs each due row and marks it delivered
only on a 2xx answer, otherwise retries with exponential backoff. A crash between the POST
and the commit means the receiver may see a delivery twice: ``X-Registry-Delivery`` (also
``delivery_id`` in the body) is stable across retries, so the receiver drops duplicates.

Each request carries::

    X-Registry-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>
    X-Registry-Delivery:  <delivery id>
    X-Registry-Timestamp: <unix seconds when sent>
    X-Registry-Event:     <alert kind>

Receivers check the signature with :func:`verify_signature`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx
from eth_utils import is_address
from sqlalchemy import Connection, Engine, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from registry.errors import InvalidInput, NotFound
from registry.risk.models import Delivery, Webhook

WEBHOOKS: Table = Webhook.__table__  # type: ignore[attr-defined]
DELIVERIES: Table = Delivery.__table__  # type: ignore[attr-defined]
SIGNATURE_HEADER = "X-Registry-Signature"
DELIVERY_HEADER = "X-Registry-Delivery"
TIMESTAMP_HEADER = "X-Registry-Timestamp"
EVENT_HEADER = "X-Registry-Event"


# ----------------------------------------------------------------- signatures


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (the X-Registry-Signature value) signs ``body`` with ``secret``.

    For receivers: compare in constant time, over the raw body bytes as received.
    """
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(secret, body), header.strip())


# ------------------------------------------------------------------- webhooks


def _lender(address: str) -> str:
    if not is_address(address):
        raise InvalidInput(f"{address!r} is not an address (0x followed by 40 hex digits)")
    return address.lower()


def _url(url: str) -> str:
    try:
        parsed = urlparse(url)
    except ValueError:
        raise InvalidInput(f"{url!r} is not a URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InvalidInput(f"{url!r} is not an http(s) URL")
    return url


def add_webhook(
    conn: Connection, lender: str, url: str, secret: str | None = None
) -> dict[str, Any]:
    """Registers ``url`` for ``lender``'s alerts; a secret is generated when none is given."""
    secret = secret or secrets.token_urlsafe(32)
    if len(secret) < 16:
        raise InvalidInput("a webhook secret needs at least 16 characters")
    row = {"lender": _lender(lender), "url": _url(url), "secret": secret, "active": True,
           "created_ts": time.time()}  # fmt: skip
    new_id = conn.execute(WEBHOOKS.insert().values(**row)).inserted_primary_key
    return {"id": int(new_id[0]), **row}  # type: ignore[index]


def list_webhooks(conn: Connection, lender: str | None = None) -> list[dict[str, Any]]:
    """Webhooks (secrets hidden), with their outbox counts."""
    stmt = select(WEBHOOKS).where(WEBHOOKS.c.active.is_(True)).order_by(WEBHOOKS.c.id)
    if lender:
        stmt = stmt.where(WEBHOOKS.c.lender == _lender(lender))
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


def remove_webhook(conn: Connection, webhook_id: int, lender: str | None = None) -> None:
    """Deactivates a webhook (its delivery history stays); pending deliveries are dropped."""
    stmt = select(WEBHOOKS).where(WEBHOOKS.c.id == webhook_id, WEBHOOKS.c.active.is_(True))
    row = conn.execute(stmt).mappings().first()
    if row is None or (lender is not None and row["lender"] != _lender(lender)):
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


def payload(delivery: str, alert: dict[str, Any]) -> str:
    body = {"delivery_id": delivery, "type": "alert", "alert": alert}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


def have_webhooks(conn: Connection) -> bool:
    return (
        conn.execute(select(WEBHOOKS.c.id).where(WEBHOOKS.c.active.is_(True)).limit(1)).first()
        is not None
    )


def enqueue(conn: Connection, alerts: Iterable[dict[str, Any]]) -> int:
    """Puts each alert in the outbox of every active webhook of a lender it concerns."""
    hooks: dict[str, list[int]] = {}
    for wid, lender in conn.execute(
        select(WEBHOOKS.c.id, WEBHOOKS.c.lender).where(WEBHOOKS.c.active.is_(True))
    ):
        hooks.setdefault(lender, []).append(int(wid))
    if not hooks:
        return 0
    now = time.time()
    rows = []
    for alert in alerts:
        targets = {w for lender in alert["lenders"] for w in hooks.get(lender, ())}
        for wid in sorted(targets):
            did = delivery_id(wid, alert["key"])
            rows.append({
                "delivery_id": did, "webhook_id": wid, "alert_id": alert["id"],
                "alert_key": alert["key"], "payload": payload(did, alert), "attempts": 0,
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


def _post(client: httpx.Client, url: str, secret: str, did: str, body: str) -> str | None:
    """POSTs one delivery; None on a 2xx acknowledgement, else the error."""
    raw = body.encode()
    kind = json.loads(body).get("alert", {}).get("kind", "")
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, raw),
        DELIVERY_HEADER: did,
        TIMESTAMP_HEADER: str(int(time.time())),
        EVENT_HEADER: kind,
    }
    try:
        response = client.post(url, content=raw, headers=headers)
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
) -> RoundResult:
    """One round: POSTs every delivery that is due, recording each outcome as it happens."""
    backoff = backoff or Backoff()
    own = client is None
    http = client or httpx.Client(timeout=10.0)
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
        for row_id, did, body, attempts, url, secret in due:
            error = _post(http, url, secret, did, body)
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
) -> RoundResult:
    """Delivers until stopped (or one round with ``once``); sleeps until the next due row."""
    stop = stop or threading.Event()
    total = RoundResult()
    with httpx.Client(timeout=10.0) as http:
        while not stop.is_set():
            r = deliver_due(engine, client=http, backoff=backoff)
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
