"""API keys: each bound to one participant address and one role, stored only as a hash."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

#: The roles an API key can carry (the chain's roles plus the read-only auditor).
API_ROLES = ("registrar", "lender", "dealer", "insurer", "funder", "auditor")


class ApiKey(SQLModel, table=True):
    """One API key. The token itself is never stored: only its SHA-256."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(unique=True, index=True)  # public part of the token, for list/revoke
    token_hash: str = Field(unique=True, index=True)  # sha256 hex of the whole token
    role: str  # one of API_ROLES
    participant: str  # lowercase 0x address the key acts for
    label: str = Field(default="", sa_column_kwargs={"server_default": ""})  # as migrated
    created_at: float  # unix seconds
    revoked_at: float | None = None
