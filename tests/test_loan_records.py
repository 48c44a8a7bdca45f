"""A lender's loan record (schedule + salt) round-trips and proves the on-chain commitment."""

from __future__ import annotations

import stat
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from registry import loan_records
from registry.errors import InvalidInput
from registry.schedules import LoanTerms, ScheduleKind, build_schedule, schedule_hash


def _record() -> loan_records.LoanRecord:
    terms = LoanTerms(
        Decimal("18000.00"), Decimal("0.0549"), 48, date(2027, 3, 31), ScheduleKind.EQUAL_PRINCIPAL
    )
    return loan_records.LoanRecord(7, b"\x42" * 32, build_schedule(terms))


def test_round_trip_and_match(tmp_path: Path) -> None:
    record = _record()
    path = loan_records.save(tmp_path, 31337, record)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = loan_records.load(path)
    assert loaded == record
    committed = schedule_hash(record.schedule, record.salt)
    assert loan_records.schedule_matches(loaded, "0x" + committed.hex())
    assert not loan_records.schedule_matches(loaded, bytes(32))


def test_a_tampered_record_does_not_match(tmp_path: Path) -> None:
    record = _record()
    path = loan_records.save(tmp_path, 31337, record)
    committed = schedule_hash(record.schedule, record.salt)
    text = path.read_text()
    first_total = str(record.schedule.instalments[0].total)
    lowered = str(record.schedule.instalments[0].total - 1)
    assert f'"{first_total}"' in text
    path.write_text(text.replace(f'"{first_total}"', f'"{lowered}"', 1))
    tampered = loan_records.load(path)
    assert tampered.schedule != record.schedule
    assert not loan_records.schedule_matches(tampered, committed)


def test_garbage_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{not json")
    with pytest.raises(InvalidInput, match="not a loan record"):
        loan_records.load(path)
