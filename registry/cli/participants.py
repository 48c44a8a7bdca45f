"""`registry participant …` (registrar) and `registry account …` (keystores)."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli.common import client_for, echo_tx, with_signer
from registry.enums import PARTICIPANT_ROLES

ROLE_CHOICE = click.Choice([r.lower() for r in PARTICIPANT_ROLES], case_sensitive=False)


@click.group()
def participant() -> None:
    """Admit and remove participants (registrar only)."""


@participant.command("admit")
@click.argument("address")
@click.option("--role", type=ROLE_CHOICE, required=True)
@click.option("--name", required=True, help="The participant's business name.")
@with_signer
def admit(
    address: str, role: str, name: str, dev_account: int | None, keystore: Path | None
) -> None:
    """Admit ADDRESS in ROLE."""
    echo_tx(client_for(dev_account, keystore).admit_participant(address, role, name), "admitted")


@participant.command("remove")
@click.argument("address")
@click.option("--role", type=ROLE_CHOICE, required=True)
@with_signer
def remove(address: str, role: str, dev_account: int | None, keystore: Path | None) -> None:
    """Remove ADDRESS from ROLE (its history stays)."""
    echo_tx(client_for(dev_account, keystore).remove_participant(address, role), "removed")


@participant.command("check")
@click.argument("address")
@click.option("--role", type=ROLE_CHOICE, required=True)
def check(address: str, role: str) -> None:
    """Whether ADDRESS holds ROLE on chain now."""
    holds = client_for(None, None, sign=False).has_role(role, address)
    click.echo(f"{address} {'holds' if holds else 'does not hold'} the {role} role")
    raise SystemExit(0 if holds else 1)


@click.group()
def account() -> None:
    """Encrypted keystores (the key an instance signs with)."""


@account.command("new")
@click.argument("path", type=click.Path(path_type=Path))
@click.password_option("--password", envvar="REGISTRY_KEY_PASSWORD", help="Keystore password.")
def new(path: Path, password: str) -> None:
    """Create a new key in an encrypted keystore at PATH."""
    from registry.accounts import create_keystore

    address = create_keystore(path, password)
    click.echo(f"created {path} for {address}; set REGISTRY_KEYSTORE={path} to sign with it")


@account.command("address")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
def address_of(path: Path) -> None:
    """Print the address of the keystore at PATH (read in clear: no password needed)."""
    from registry.accounts import keystore_address

    click.echo(keystore_address(path))
