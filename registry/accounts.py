"""Signing keys: encrypted eth-account keystores, and the local chain's dev accounts for demos.

No private key is ever written in clear: keystores are scrypt-encrypted JSON (web3 secret
storage); the dev accounts are derived from anvil's public, well-known mnemonic.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import is_hex_address, to_checksum_address

from registry.config import DEV_MNEMONIC, Settings
from registry.errors import ConfigurationError, InvalidInput

Account.enable_unaudited_hdwallet_features()

#: The chain id of local development chains (anvil, hardhat): the only place dev keys work.
LOCAL_CHAIN_ID = 31337


@lru_cache(maxsize=64)
def dev_account(index: int) -> LocalAccount:
    """Dev account ``index`` of the local chain's well-known mnemonic (demo and tests only)."""
    account: LocalAccount = Account.from_mnemonic(
        DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}"
    )
    return account


def create_keystore(path: Path, password: str, *, private_key: str | None = None) -> str:
    """Writes an encrypted keystore (a new key unless one is given); returns its address."""
    if len(password) < 8:
        raise InvalidInput("a keystore password needs at least 8 characters")
    account = Account.from_key(private_key) if private_key else Account.create()
    encrypted = Account.encrypt(account.key, password)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(encrypted, fh)
    return str(account.address)


def load_keystore(path: Path, password: str) -> LocalAccount:
    """Decrypts a keystore file, with clear errors for a missing file or a wrong password."""
    if not path.exists():
        raise ConfigurationError(f"keystore {path} does not exist", path=str(path))
    try:
        key = Account.decrypt(json.loads(path.read_text()), password)
    except ValueError as exc:
        raise ConfigurationError(
            f"cannot decrypt keystore {path}: wrong password?", path=str(path)
        ) from exc
    account: LocalAccount = Account.from_key(key)
    return account


def keystore_address(path: Path) -> str:
    """The address a keystore holds in clear (its ``address`` field), without decrypting it."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigurationError(f"keystore {path} does not exist", path=str(path)) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigurationError(
            f"{path} is not a keystore (JSON expected): {exc}", path=str(path)
        ) from None
    raw = data.get("address") if isinstance(data, dict) else None
    address = f"0x{raw.removeprefix('0x')}" if isinstance(raw, str) else ""
    if not is_hex_address(address):
        raise ConfigurationError(
            f"keystore {path} records no address in clear (no valid 'address' field)",
            path=str(path),
        )
    return str(to_checksum_address(address))


def signer_from_settings(settings: Settings, chain_id: int) -> LocalAccount:
    """The account this instance signs with: its keystore, or a dev account on a local chain."""
    if settings.keystore is not None:
        password = settings.key_password
        if password is None:
            raise ConfigurationError(
                "REGISTRY_KEY_PASSWORD is not set: it unlocks the keystore REGISTRY_KEYSTORE"
            )
        return load_keystore(settings.keystore, password)
    if settings.dev_account is not None:
        if chain_id != LOCAL_CHAIN_ID:
            raise ConfigurationError(
                f"dev accounts only sign on the local chain (id {LOCAL_CHAIN_ID}), not on chain "
                f"{chain_id}: set REGISTRY_KEYSTORE and REGISTRY_KEY_PASSWORD"
            )
        return dev_account(settings.dev_account)
    raise ConfigurationError(
        "no signing key: set REGISTRY_KEYSTORE (and REGISTRY_KEY_PASSWORD), or "
        "REGISTRY_DEV_ACCOUNT=<n> on the local chain"
    )
