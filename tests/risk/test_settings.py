"""The risk rules' settings belong to the indexer that runs them: two mirrors indexed in turn
in one process keep their own loan records and settle time (nothing module-wide)."""

from __future__ import annotations

from pathlib import Path

from tests.kit.books import make_loan
from tests.kit.chain import Registry
from tests.kit.mirror import Mirror


def test_each_indexer_reads_its_own_loan_records(chain: Registry, tmp_path: Path) -> None:
    mine, other = (
        Mirror.create(chain, tmp_path / "mine", risk=True),
        Mirror.create(chain, tmp_path / "other", risk=True),
    )
    _, loan, _ = make_loan(mine, chain.title())  # the record is saved for `mine` only
    other.index()
    mine.index()
    other.index()
    mine_status, other_status = mine.status(loan), other.status(loan)
    assert mine_status is not None and mine_status["source"] == "schedule"
    assert other_status is not None and other_status["source"] == "lender_reported"


def test_the_settle_time_is_a_setting_of_the_indexer(chain: Registry, tmp_path: Path) -> None:
    patient = Mirror.create(chain, tmp_path / "patient", risk=True)  # the default: an hour
    eager = Mirror.create(chain, tmp_path / "eager", settle_seconds=0, risk=True)
    late = chain.title()
    make_loan(patient, late, first_due_in_days=-40)  # 40 days late at once
    records = eager.records / str(chain.deployment.chain_id)  # the same record for both
    records.mkdir(parents=True)
    for record in (patient.records / str(chain.deployment.chain_id)).iterdir():
        (records / record.name).write_bytes(record.read_bytes())
    eager.index()
    patient.index()
    assert eager.kinds(late) == ["bucket_roll", "missed_payment"]
    assert patient.kinds(late) == []  # still settling: its hour is not over
