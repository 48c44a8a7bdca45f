"""What the CLI commands share: settings, a client for this instance's key, money and output."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from registry.errors import InvalidInput

if TYPE_CHECKING:  # imported where used: the CLI starts without web3 and pydantic
    from sqlalchemy import Engine

    from registry.client import RegistryClient
    from registry.config import Settings
    from registry.contracts import Deployment
    from registry.queries import MirrorState, Reader
    from registry.transactor import TxResult

T = TypeVar("T")

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


consent_options = [
    click.option("--valid-hours", type=float, default=72.0, show_default=True),
    click.option("--out", type=click.Path(path_type=Path), required=True),
]


def with_consent_file(fn: Any) -> Any:
    """Adds --valid-hours/--out to a command that signs a consent into a file."""
    for option in reversed(consent_options):
        fn = option(fn)
    return fn


def consent_deadline(valid_hours: float) -> int:
    """The deadline (unix time) of a consent valid for ``valid_hours`` from now."""
    return int(time.time() + valid_hours * 3600)


def write_consent(out: Path, record: dict[str, Any], signature: bytes) -> None:
    """Writes a signed consent (``record`` and its 0x-hex ``signature``) to ``out`` as JSON."""
    out.write_text(json.dumps(record | {"signature": "0x" + signature.hex()}, indent=2) + "\n")


def read_consent(path: Path, command: str, make: Callable[[dict[str, Any]], T]) -> T:
    """The consent ``make`` builds from ``path`` (with its ``signature`` as bytes), a file
    written by ``registry COMMAND``.

    Raises:
        InvalidInput: the file is not one.
    """
    try:
        raw = json.loads(path.read_text())
        return make(raw | {"signature": bytes.fromhex(raw["signature"][2:])})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(
            f"{path} is not a consent file written by `registry {command}`: {exc}"
        ) from None


def one_or_batch(
    ids: tuple[int, ...],
    one: Callable[[int, Any], TxResult],
    batch: Callable[..., TxResult],
    arg: Any,
) -> TxResult:
    """``one(id, arg)`` for a single id, else ``batch(ids, arg)``: one transaction either way."""
    return one(ids[0], arg) if len(ids) == 1 else batch(list(ids), arg)


def echo_items(
    items: list[dict[str, Any]], as_json: bool, line: Callable[[dict[str, Any]], str], none: str
) -> None:
    """Lists items: as JSON (``--json``), else a ``line`` each, or ``none`` when there are none."""
    if as_json:
        click.echo(json.dumps(items, indent=1, default=str))
        return
    for item in items:
        click.echo(line(item))
    if not items:
        click.echo(none)


@contextmanager
def mirror_snapshot(database_url: str | None) -> Iterator[tuple[Reader, MirrorState, Deployment]]:
    """One read snapshot of the SQL mirror (``database_url``, default: settings), its state and
    the deployment it indexes (checked against the deployments file)."""
    from registry.config import get_settings
    from registry.contracts import load_deployment
    from registry.db import make_engine, migrate
    from registry.errors import ConfigurationError, MirrorNotReady
    from registry.queries import mirror_state, read_snapshot

    settings = get_settings()
    url = database_url or settings.db_url
    migrate(url)
    engine = make_engine(url)
    try:
        with read_snapshot(engine) as reader:
            state = mirror_state(reader)
            if state is None:
                raise MirrorNotReady("the SQL mirror is empty: run `registry index` first")
            deployment = load_deployment(settings.deployments_path, state.chain_id)
            if deployment.registry.lower() != state.registry_address.lower():
                raise ConfigurationError(
                    f"the mirror indexes the registry at {state.registry_address}, but "
                    f"{settings.deployments_path} names {deployment.registry}"
                )
            yield reader, state, deployment
    finally:
        engine.dispose()


AT_HELP = (
    "As the register stood then: a block number, or an ISO-8601 date or instant "
    "(UTC unless it names an offset). Answered from the SQL mirror."
)
