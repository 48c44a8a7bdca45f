"""The `registry risk` and `registry webhooks` commands over an indexed mirror."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from registry import loan_records
from registry.cli.main import cli
from tests.kit.books import make_loan
from tests.kit.chain import CAST, Registry
from tests.kit.mirror import Mirror


def run(mirror: Mirror, *args: str) -> str:
    url = str(mirror.engine.url)
    result = CliRunner().invoke(cli, [*args, "--database-url", url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_import_schedules_that_arrive_later(
    chain: Registry, mirror: Mirror, tmp_path: Path
) -> None:
    vin = chain.title()
    _, loan, schedule = make_loan(mirror, vin, first_due_in_days=1, record=False)
    mirror.index()
    assert mirror.status(loan)["source"] == "lender_reported"  # type: ignore[index]
    chain.advance(3)
    mirror.index()
    assert mirror.kinds(vin) == []  # nothing known about its schedule yet
    forged = loan_records.LoanRecord(loan, b"\x01" * 32, schedule)  # not the lender's salt
    loan_records.save(tmp_path / "inbox", 1, forged)
    out = run(mirror, "risk", "import-schedules", str(tmp_path / "inbox" / "1"))
    assert "1 not matching" in out
    assert mirror.status(loan)["source"] == "lender_reported"  # type: ignore[index]
    vin2 = chain.title()
    _, loan2, _ = make_loan(mirror, vin2, first_due_in_days=-2, record=True)
    record_path = loan_records.record_path(mirror.records, chain.deployment.chain_id, loan2)
    moved = tmp_path / "later" / record_path.name
    moved.parent.mkdir()
    record_path.rename(moved)  # not there when the indexer sees the loan
    chain.advance(2 / 24)  # past its settling hour
    mirror.index()
    assert mirror.status(loan2)["source"] == "lender_reported"  # type: ignore[index]
    out = run(mirror, "risk", "import-schedules", str(moved.parent))
    assert "1 imported" in out
    status = mirror.status(loan2)
    assert status is not None and status["source"] == "schedule" and status["dpd"] in (2, 3)
    assert mirror.kinds(vin2) == ["missed_payment"]
    out = run(mirror, "risk", "import-schedules", str(moved.parent))
    assert "1 already known" in out


def test_report_and_alerts_commands(chain: Registry, mirror: Mirror) -> None:
    vin = chain.title()
    chain.lender.register_lien(vin)
    chain.lender2.register_lien(vin)
    mirror.index()
    data = json.loads(run(mirror, "risk", "report", "--lender", CAST.lender.address, "--json"))
    assert data["lender"] == CAST.lender.address.lower() and "stress" in data
    text = run(mirror, "risk", "report", "--lender", CAST.lender.address, "--stress", "2")
    assert "expected loss" in text and "roll rates" in text
    out = run(mirror, "risk", "alerts", "--kind", "double_pledge", "--vin", vin)
    assert "double_pledge" in out and vin in out


def test_webhook_commands(mirror: Mirror) -> None:
    refused = CliRunner().invoke(
        cli,
        [
            "webhooks",
            "add",
            "http://127.0.0.1:9/hook",
            "--lender",
            CAST.lender.address,
            "--database-url",
            mirror.url,
        ],
    )
    assert refused.exit_code == 1 and "not a public address" in refused.output
    out = run(mirror, "webhooks", "add", "http://93.184.216.34/hook", "--participant",
              CAST.dealer.address)  # any participant  # fmt: skip
    assert "secret (shown once): whsec_" in out
    hook_id = out.split()[1]
    listed = json.loads(run(mirror, "webhooks", "list", "--json"))
    assert [h["id"] for h in listed] == [int(hook_id)]
    assert "removed" in run(mirror, "webhooks", "remove", hook_id)
    assert "no webhooks" in run(mirror, "webhooks", "list")
    assert "done: 0 delivered" in run(mirror, "webhooks", "deliver", "--once")
