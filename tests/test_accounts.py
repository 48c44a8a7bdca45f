"""Keystores are encrypted and unlock only with their password; dev keys only on the local chain."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from registry.accounts import (
    LOCAL_CHAIN_ID,
    create_keystore,
    dev_account,
    load_keystore,
    signer_from_settings,
)
from registry.config import Settings
from registry.errors import ConfigurationError, InvalidInput


def test_dev_accounts_are_anvils_well_known_ones() -> None:
    assert dev_account(0).address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert dev_account(1).address == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_keystore_round_trip_is_encrypted_and_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "lender.json"
    address = create_keystore(path, "correct horse battery")
    raw = path.read_text()
    assert "crypto" in json.loads(raw)
    assert dev_account(0).key.hex() not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keystore(path, "correct horse battery").address == address


def test_keystore_refuses_a_wrong_password_and_a_short_one(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "correct horse battery")
    with pytest.raises(ConfigurationError, match="wrong password"):
        load_keystore(path, "incorrect horse")
    with pytest.raises(InvalidInput, match="at least 8"):
        create_keystore(tmp_path / "short.json", "short")


def test_keystore_never_overwrites_an_existing_key(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "correct horse battery")
    with pytest.raises(FileExistsError):
        create_keystore(path, "another password")


def test_signer_from_settings(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    address = create_keystore(path, "correct horse battery")
    settings = Settings(
        _env_file=None, data_dir=tmp_path, keystore=path, key_password="correct horse battery"
    )
    assert signer_from_settings(settings, 1).address == address
    with pytest.raises(ConfigurationError, match="REGISTRY_KEY_PASSWORD"):
        signer_from_settings(Settings(_env_file=None, keystore=path), 1)
    dev = Settings(_env_file=None, dev_account=3)
    assert signer_from_settings(dev, LOCAL_CHAIN_ID).address == dev_account(3).address
    with pytest.raises(ConfigurationError, match="only sign on the local chain"):
        signer_from_settings(dev, 1)
    with pytest.raises(ConfigurationError, match="no signing key"):
        signer_from_settings(Settings(_env_file=None), LOCAL_CHAIN_ID)
