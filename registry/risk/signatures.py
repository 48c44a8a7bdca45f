"""Webhook signatures, the Standard Webhooks way (https://www.standardwebhooks.com).

Every delivery carries three headers::

    webhook-id:        <delivery id: the same on every retry of one delivery>
    webhook-timestamp: <unix seconds when this attempt was sent>
    webhook-signature: v1,<base64 HMAC-SHA256(key, f"{id}.{timestamp}.{body}")>

The message id, the timestamp and the raw body are signed together, so a receiver that
rejects timestamps outside a tolerance (:func:`verify_webhook`, five minutes by default)
cannot be fed a captured delivery later, and one that remembers the ids it has handled
drops a retry it already processed. A secret looks like ``whsec_<base64 key>``; the key is
its decoded bytes (a plain secret of an older webhook signs with its UTF-8 bytes).

For one release deliveries also carry the previous header, ``X-Registry-Signature:
sha256=<hex HMAC-SHA256(secret, raw body)>`` (:func:`legacy_signature`), which signs the body
alone and so cannot tell a replay from a delivery.

This module needs only the standard library (and :mod:`registry.errors`): a receiver can
copy it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping, MutableSet

from registry.errors import InvalidInput

SECRET_PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
#: How far a delivery's timestamp may be from the receiver's clock (either way), seconds.
DEFAULT_TOLERANCE = 300
#: Key sizes the Standard Webhooks specification allows (bytes).
KEY_BYTES = (24, 64)


class WebhookVerificationError(InvalidInput):
    """A delivery that must not be trusted: unsigned, badly signed, stale or replayed."""

    code = "webhook_verification_failed"


class DuplicateDelivery(WebhookVerificationError):
    """A verified delivery whose id was already handled: acknowledge it (2xx), do not act on
    it again (a retry after a lost acknowledgement, or a replay within the tolerance)."""

    code = "duplicate_delivery"


def new_secret() -> str:
    """A fresh ``whsec_`` secret (32 random bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key of ``secret``: the decoded bytes of a ``whsec_`` secret, else its UTF-8."""
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode()
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("a whsec_ secret is whsec_ followed by base64") from None
    if not KEY_BYTES[0] <= len(key) <= KEY_BYTES[1]:
        raise InvalidInput(
            f"a whsec_ secret's key is {KEY_BYTES[0]} to {KEY_BYTES[1]} bytes, not {len(key)}"
        )
    return key


def sign_message(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value of one delivery attempt: ``v1,<base64>``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secret: str, message_id: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers of a delivery sent now (or at ``now``)."""
    timestamp = int(time.time() if now is None else now)
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign_message(secret, message_id, timestamp, body),
    }


def verify_webhook(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    seen: MutableSet[str] | None = None,
    now: float | None = None,
) -> str:
    """The receiver's check of one delivery; returns its message id, or raises
    :class:`WebhookVerificationError` (:class:`DuplicateDelivery` for an id in ``seen``).

    ``headers`` as received (names in any case), ``body`` the raw bytes as received (before
    any JSON parsing). A timestamp more than ``tolerance`` seconds from now is refused (a
    replay of a captured delivery), so is a signature that does not match. ``seen``, when
    given, is the set of ids already handled: an id in it is refused (a retry of a delivery
    already processed, or a replay within the tolerance) and a verified id is added to it.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    message_id = lower.get(ID_HEADER, "")
    stamp = lower.get(TIMESTAMP_HEADER, "")
    signatures = lower.get(SIGNATURE_HEADER, "")
    if not message_id or not stamp or not signatures:
        raise WebhookVerificationError("the delivery lacks webhook-id, -timestamp or -signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError(f"webhook-timestamp {stamp!r} is not unix seconds") from None
    clock = time.time() if now is None else now
    if abs(clock - timestamp) > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp {timestamp} is {int(clock - timestamp)} s from now, beyond the "
            f"{tolerance} s tolerance: a stale or replayed delivery",
            message_id=message_id,
        )
    expected = sign_message(secret, message_id, timestamp, body).partition(",")[2]
    offered = [s.partition(",") for s in signatures.split()]
    if not any(v == "v1" and hmac.compare_digest(expected, sig) for v, _, sig in offered):
        raise WebhookVerificationError(
            "no webhook-signature matches the body", message_id=message_id
        )
    if seen is not None:
        if message_id in seen:
            raise DuplicateDelivery(
                f"delivery {message_id} was already handled (a duplicate or a replay)",
                message_id=message_id,
            )
        seen.add(message_id)
    return message_id


# ------------------------------------------------- the previous header (one more release)


def legacy_signature(secret: str, body: bytes) -> str:
    """The ``X-Registry-Signature`` value: ``sha256=<hex HMAC-SHA256(secret, body)>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_legacy_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (the X-Registry-Signature value) signs ``body`` with ``secret``.

    Deprecated: it signs the body alone, so a replayed delivery passes; use
    :func:`verify_webhook`.
    """
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(legacy_signature(secret, body), header.strip())
