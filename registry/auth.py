"""API keys: create (the token is shown once), list, revoke, and authenticate a request's token.

A token looks like ``vcr_<key id>_<secret>``; the database keeps its SHA-256 only. Each key
names one participant address and one role (:data:`API_ROLES`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from eth_utils import is_address
from sqlalchemy import select
from sqlmodel import Session, col

from registry.db.auth_models import API_ROLES, ApiKey
from registry.errors import InvalidInput, NotFound, Unauthenticated

TOKEN_PREFIX = "vcr_"


@dataclass(frozen=True)
class Principal:
    """Who a valid key speaks for."""

    key_id: str
    role: str
    participant: str  # lowercase address
    label: str

    def sees_loans_of(self, lender: str) -> bool:
        """Loan data is visible to its lender, auditors and the registrar."""
        return self.role in ("auditor", "registrar") or (
            self.role == "lender" and self.participant == lender.lower()
        )

    def sees_pool_of(self, funder: str) -> bool:
        """A funder's pool and alerts are visible to that funder, auditors and the registrar."""
        return self.role in ("auditor", "registrar") or (
            self.role == "funder" and self.participant == funder.lower()
        )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_role(role: str) -> str:
    r = role.strip().lower()
    if r not in API_ROLES:
        raise InvalidInput(f"unknown role {role!r}: one of {', '.join(API_ROLES)}", role=role)
    return r


def _check_participant(address: str) -> str:
    if not is_address(address):
        raise InvalidInput(
            f"{address!r} is not an address (0x followed by 40 hex digits)", participant=address
        )
    return address.lower()


def create_key(
    session: Session, role: str, participant: str, label: str = ""
) -> tuple[ApiKey, str]:
    """Stores a new key and returns it with its token (the only time the token exists)."""
    key_id = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        key_id=key_id,
        token_hash=hash_token(token),
        role=_check_role(role),
        participant=_check_participant(participant),
        label=label,
        created_at=time.time(),
    )
    session.add(key)
    session.flush()
    return key, token


def list_keys(session: Session, *, include_revoked: bool = True) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.id)  # type: ignore[arg-type]
    keys = list(session.execute(stmt).scalars())
    return keys if include_revoked else [k for k in keys if k.revoked_at is None]


def revoke_key(session: Session, key_id: str) -> ApiKey:
    """Revokes the key ``key_id`` (idempotent); :class:`NotFound` if there is no such key."""
    key = session.execute(select(ApiKey).where(col(ApiKey.key_id) == key_id)).scalar_one_or_none()
    if key is None:
        raise NotFound(f"no API key {key_id!r}", key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = time.time()
        session.add(key)
    return key


def authenticate(session: Session, token: str) -> Principal:
    """The principal of ``token``, or :class:`Unauthenticated` (unknown or revoked key)."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated("the API key is malformed (it starts with 'vcr_')")
    stmt = select(ApiKey).where(col(ApiKey.token_hash) == hash_token(token))
    key = session.execute(stmt).scalar_one_or_none()
    if key is None:
        raise Unauthenticated("unknown API key")
    if key.revoked_at is not None:
        raise Unauthenticated(f"API key {key.key_id} was revoked", key_id=key.key_id)
    return Principal(key.key_id, key.role, key.participant, key.label)
