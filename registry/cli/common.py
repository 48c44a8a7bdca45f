"""What the CLI commands share: settings, a client for this instance's key, money and output."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from registry.errors import InvalidInput

if TYPE_CHECKING:  # imported where used: the CLI starts without web3 and pydantic
    from sqlalchemy import Engine

    from registry.client import RegistryClient
    from registry.config import Settings
    from registry.transactor import TxResult

signer_options = [
    click.option(
        "--dev-account",
        type=int,
        default=None,
        help="Sign with local dev account N (local chain only).",
    ),
    click.option(
        "--keystore",
        type=click.Path(path_type=Path),
        default=None,
        help="Sign with this encrypted keystore (password: REGISTRY_KEY_PASSWORD).",
    ),
]


database_option = click.option(
    "--database-url", default=None, help="SQLAlchemy URL of the mirror (default: settings)."
)


def mirror_engine(database_url: str | None) -> Engine:
    """An engine on the mirror (``--database-url``, else the settings'), migrated to the latest
    schema."""
    from registry.config import get_settings
    from registry.db import make_engine, migrate

    url = database_url or get_settings().db_url
    migrate(url)
    return make_engine(url)


def with_signer(fn: Any) -> Any:
    """Adds --dev-account/--keystore to a command."""
    for option in reversed(signer_options):
        fn = option(fn)
    return fn


def settings_for(dev_account: int | None = None, keystore: Path | None = None) -> Settings:
    """The process settings, with this command's signer options applied."""
    from registry.config import get_settings

    settings = get_settings()
    updates: dict[str, Any] = {}
    if dev_account is not None:
        updates["dev_account"] = dev_account
    if keystore is not None:
        updates["keystore"] = keystore
    return settings.model_copy(update=updates) if updates else settings


def open_client(settings: Settings, *, sign: bool = True) -> RegistryClient:
    """A client on the configured chain and deployment, signing with this instance's key."""
    from registry.accounts import signer_from_settings
    from registry.client import RegistryClient
    from registry.contracts import load_deployment
    from registry.rpc import connect

    rpc = connect(settings.rpc_url)
    chain_id = rpc.chain_id()
    deployment = load_deployment(settings.deployments_path, chain_id)
    account = signer_from_settings(settings, chain_id) if sign else None
    return RegistryClient(rpc, deployment, account)


def client_for(
    dev_account: int | None, keystore: Path | None, *, sign: bool = True
) -> RegistryClient:
    return open_client(settings_for(dev_account, keystore), sign=sign)


def cents(amount: str) -> int:
    """'1234.56' → 123456, refusing fractions of a cent and negatives."""
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise InvalidInput(f"{amount!r} is not an amount (e.g. 1234.56)") from None
    if value <= 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(f"{amount!r} must be a positive amount in whole cents")
    return int(value * 100)


def reference(text: str, settings: Settings, kind: str) -> bytes:
    """Commits a private reference (salt kept in data_dir/commitments.jsonl)."""
    from registry.commitments import commit

    return commit(text, settings.data_dir / "commitments.jsonl", kind=kind)


def echo_tx(result: TxResult, what: str) -> None:
    """One line per mined transaction, then its registry events."""
    click.secho(
        f"{what}: block {result.block_number}, tx {result.tx_hash}, gas {result.gas_used:,}",
        fg="green",
    )
    for ev in result.events:
        args = ", ".join(f"{k}={v}" for k, v in ev.args.items())
        click.echo(f"  {ev.name}({args})")


def echo_record(record: Any) -> None:
    """A dataclass record as indented JSON."""
    data = asdict(record) if is_dataclass(record) and not isinstance(record, type) else record
    click.echo(json.dumps(data, indent=2, default=str))
