"""`registry keys create|list|revoke`: API keys bound to a participant and a role."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from registry.db.auth_models import API_ROLES

if TYPE_CHECKING:
    from sqlmodel import Session


def _session() -> Session:
    from sqlmodel import Session

    from registry.config import get_settings
    from registry.db import make_engine, migrate

    url = get_settings().db_url
    migrate(url)
    return Session(make_engine(url), expire_on_commit=False)


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"


@click.group()
def keys() -> None:
    """API keys for the traceability API (stored hashed; the token is shown once)."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(API_ROLES, case_sensitive=False))
@click.option("--participant", required=True, help="the 0x address the key acts for")
@click.option("--label", default="", help="who or what uses the key")
def create(role: str, participant: str, label: str) -> None:
    """Create a key and print its token (it cannot be shown again)."""
    from registry.auth import create_key

    with _session() as session:
        key, token = create_key(session, role, participant, label)
        session.commit()
        click.echo(f"key {key.key_id}: {key.role} for {key.participant} ({label or 'no label'})")
        click.echo("token (shown once, store it now):")
        click.echo(token)


@keys.command("list")
@click.option("--all", "show_all", is_flag=True, help="include revoked keys")
def list_(show_all: bool) -> None:
    """List keys (never their tokens)."""
    from registry.auth import list_keys

    with _session() as session:
        found = list_keys(session, include_revoked=show_all)
    if not found:
        click.echo("no API keys")
        return
    click.echo(
        f"{'key':<10} {'role':<10} {'participant':<44} {'created':<17} {'revoked':<17} label"
    )
    for k in found:
        click.echo(
            f"{k.key_id:<10} {k.role:<10} {k.participant:<44} {_when(k.created_at):<17} "
            f"{_when(k.revoked_at):<17} {k.label}"
        )


@keys.command("revoke")
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke a key by its id (the part after vcr_)."""
    from registry.auth import revoke_key

    with _session() as session:
        key = revoke_key(session, key_id)
        session.commit()
        click.echo(f"key {key.key_id} ({key.role} for {key.participant}) is revoked")
