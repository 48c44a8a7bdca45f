"""`registry keys create|list|revoke`: the token is shown once, stored hashed, revocable."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from registry.auth import hash_token
from registry.cli.keys import keys as keys_cli
from registry.config import get_settings
from registry.db import make_engine


def _run(db_url: str, *args: str) -> str:
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(keys_cli, list(args), env={"REGISTRY_DATABASE_URL": db_url})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def test_create_list_revoke(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'keys.sqlite'}"
    participant = "0x" + "ab" * 20
    out = _run(
        db_url, "create", "--role", "lender", "--participant", participant, "--label", "servicing"
    )
    token = re.search(r"^(vcr_\S+)$", out, re.M)
    assert token is not None
    key_id = token.group(1).split("_")[1]
    with make_engine(db_url).connect() as conn:
        stored = conn.execute(text("SELECT token_hash, role, participant FROM api_keys")).one()
    assert stored == (hash_token(token.group(1)), "lender", participant)
    assert token.group(1) not in _run(db_url, "list")
    assert key_id in _run(db_url, "list")
    assert "revoked" in _run(db_url, "revoke", key_id)
    assert key_id not in _run(db_url, "list")
    assert key_id in _run(db_url, "list", "--all")


def test_create_refuses_bad_input(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'keys.sqlite'}"
    get_settings.cache_clear()
    result = CliRunner().invoke(
        keys_cli,
        ["create", "--role", "lender", "--participant", "0x12"],
        env={"REGISTRY_DATABASE_URL": db_url},
    )
    get_settings.cache_clear()
    assert result.exit_code != 0
    bad_role = CliRunner().invoke(
        keys_cli, ["create", "--role", "owner", "--participant", "0x" + "ab" * 20]
    )
    assert bad_role.exit_code == 2
