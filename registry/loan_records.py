"""A lender's private loan records: the schedule and salt behind an on-chain commitment.

The chain holds only salted hashes of a loan's terms and schedule. The lender keeps the
schedule and the salt (here: one JSON file per loan, mode 0600) so that it, or anyone it
shows them to, can check them against the chain (``registry loan verify-schedule``).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from registry.errors import InvalidInput
from registry.schedules import (
    SALT_LENGTH,
    LoanTerms,
    Schedule,
    build_schedule,
    canonical_json,
    committed_schedule,
    parse_schedule_json,
    schedule_hash,
    terms_hash,
)


@dataclass(frozen=True)
class LoanRecord:
    loan_id: int
    salt: bytes
    schedule: Schedule


@dataclass(frozen=True)
class Commitment:
    """A loan's schedule built from its terms, and the salted hashes that go on chain.

    ``registry loan originate`` and ``registry import loans`` both commit a loan this way, so
    ``registry loan verify-schedule`` checks either.
    """

    schedule: Schedule
    salt: bytes
    terms_hash: bytes
    schedule_hash: bytes
    schedule_json: bytes  # the canonical JSON the schedule hash commits to

    @classmethod
    def of(cls, terms: LoanTerms, salt: bytes | None = None) -> Commitment:
        """The commitment of ``terms`` under ``salt`` (a fresh random one if None)."""
        salt = secrets.token_bytes(SALT_LENGTH) if salt is None else salt
        schedule = build_schedule(terms)
        text, committed = committed_schedule(schedule, salt)
        return cls(schedule, salt, terms_hash(terms, salt), committed, text)

    def keep(self, directory: Path, chain_id: int, loan_id: int) -> Path:
        """Keeps the schedule and salt in the lender's private records (``directory``)."""
        record = LoanRecord(loan_id, self.salt, self.schedule)
        return save(directory, chain_id, record, self.schedule_json)


def record_file(directory: str, chain_id: int, loan_id: int) -> str:
    """:func:`record_path` as a string, without pathlib (the indexer asks once per loan)."""
    return os.path.join(directory, str(chain_id), f"loan-{loan_id}.json")


def record_path(directory: Path, chain_id: int, loan_id: int) -> Path:
    return Path(record_file(str(directory), chain_id, loan_id))


def save(
    directory: Path, chain_id: int, record: LoanRecord, schedule_json: bytes | None = None
) -> Path:
    """Writes the record (private: 0600); returns its path. ``schedule_json``: the schedule's
    canonical JSON when the caller has it already."""
    path = record_path(directory, chain_id, record.loan_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = schedule_json if schedule_json is not None else canonical_json(record.schedule)
    head = json.dumps({"loan_id": record.loan_id, "salt": "0x" + record.salt.hex()})
    body = head[:-1] + ', "schedule": ' + text.decode() + "}\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(body)  # the schedule as committed (canonical JSON): one line, quick to write
    return path


def load(path: Path) -> LoanRecord:
    """Reads a record written by :func:`save` (or by hand in the same shape)."""
    try:
        raw = json.loads(path.read_text())
        salt = bytes.fromhex(raw["salt"].removeprefix("0x"))
        schedule = parse_schedule_json(json.dumps(raw["schedule"]).encode())
        return LoanRecord(int(raw["loan_id"]), salt, schedule)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path} is not a loan record: {exc}") from None


def schedule_matches(record: LoanRecord, committed_hash: str | bytes) -> bool:
    """Whether the record's schedule and salt open the committed schedule hash."""
    committed = (
        bytes.fromhex(committed_hash.removeprefix("0x"))
        if isinstance(committed_hash, str)
        else committed_hash
    )
    return schedule_hash(record.schedule, record.salt) == committed
