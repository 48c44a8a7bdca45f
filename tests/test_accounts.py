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
    keystore_address,
    load_keystore,
    signer_from_settings,
)
from registry.config import Settings
from registry.errors import ConfigurationError, InvalidInput
from tests.kit.cli import registry_env, run_registry


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


def test_keystore_address_is_read_in_clear_without_the_password(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    address = create_keystore(path, "correct horse battery")
    assert keystore_address(path) == address
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "address": "0x" + data["address"].upper()}))
    assert keystore_address(path) == address  # any case, with or without 0x
    for broken, why in (
        ({k: v for k, v in data.items() if k != "address"}, "records no address"),
        ({**data, "address": "0x1234"}, "records no address"),
        ([data], "records no address"),
    ):
        path.write_text(json.dumps(broken))
        with pytest.raises(ConfigurationError, match=why):
            keystore_address(path)
    path.write_text("not json")
    with pytest.raises(ConfigurationError, match="is not a keystore"):
        keystore_address(path)
    with pytest.raises(ConfigurationError, match="does not exist"):
        keystore_address(tmp_path / "missing.json")


def test_account_address_command_needs_no_password_nor_terminal(tmp_path: Path) -> None:
    path = tmp_path / "lender.json"
    address = create_keystore(path, "correct horse battery")
    env = registry_env(data_dir=tmp_path)  # no REGISTRY_KEY_PASSWORD, stdin closed
    shown = run_registry("account", "address", str(path), env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == address
    assert "assword" not in shown.stdout + shown.stderr
    path.write_text("{}")
    broken = run_registry("account", "address", str(path), env=env, cwd=tmp_path)
    assert broken.returncode == 1
    assert f"keystore {path} records no address" in broken.stderr
