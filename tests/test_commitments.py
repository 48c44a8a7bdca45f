"""Salted commitments open only with their text and salt; the salt is journalled privately."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from registry.commitments import commit, commitment, verify


def test_commitment_opens_with_text_and_salt_only(tmp_path: Path) -> None:
    journal = tmp_path / "commitments.jsonl"
    value = commit("LN-2027-000123", journal, kind="loan")
    entry = json.loads(journal.read_text().splitlines()[-1])
    salt = bytes.fromhex(entry["salt"][2:])
    assert entry["commitment"] == "0x" + value.hex()
    assert verify("LN-2027-000123", salt, value)
    assert not verify("LN-2027-000124", salt, value)
    assert not verify("LN-2027-000123", bytes(32), value)
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600


def test_same_text_commits_differently_each_time() -> None:
    assert commit("INV-1") != commit("INV-1")
    assert commitment("INV-1", b"\x01" * 32) == commitment("INV-1", b"\x01" * 32)
