"""Salted commitments: how references, documents and terms go on chain without personal data.

A reference (a loan number, a sale contract id, a policy number) is committed as
keccak256(salt || text). The salt stays with the party in a local journal, so it can later
reveal text and salt to prove the commitment, and no one else can guess the text.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from eth_utils import keccak


def commitment(text: str, salt: bytes) -> bytes:
    """keccak256(salt || utf-8 text)."""
    return keccak(salt + text.encode("utf-8"))


def commit(text: str, journal: Path | None = None, *, kind: str = "reference") -> bytes:
    """A fresh salted commitment to ``text``; the salt is appended to ``journal`` (0600)."""
    salt = secrets.token_bytes(32)
    value = commitment(text, salt)
    if journal is not None:
        journal.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as fh:
            entry = {"kind": kind, "text": text, "salt": "0x" + salt.hex(),
                     "commitment": "0x" + value.hex(), "at": int(time.time())}  # fmt: skip
            fh.write(json.dumps(entry) + "\n")
    return value


def commit_many(texts: list[str], journal: Path, *, kind: str = "reference") -> list[bytes]:
    """:func:`commit` for many texts at once: one salt each, the journal opened once."""
    journal.parent.mkdir(parents=True, exist_ok=True)
    values = []
    now = int(time.time())
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as fh:
        for text in texts:
            salt = secrets.token_bytes(32)
            value = commitment(text, salt)
            values.append(value)
            fh.write(json.dumps({"kind": kind, "text": text, "salt": "0x" + salt.hex(),
                                 "commitment": "0x" + value.hex(), "at": now}) + "\n")  # fmt: skip
        fh.flush()
        os.fsync(fh.fileno())
    return values


def verify(text: str, salt: bytes, value: bytes) -> bool:
    """Whether ``text`` and ``salt`` open the commitment ``value``."""
    return commitment(text, salt) == value
