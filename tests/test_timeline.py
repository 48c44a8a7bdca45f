"""The timeline in words: every event of a vehicle's life explained with its details, what
stood at the time (priorities, consents), names of counterparties; an unknown event gets a
generic explanation; kinds filter; CSV and JSON downloads from the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from registry.enums import EventKind
from registry.events import DecodedEvent
from registry.indexer.state import BatchState
from registry.queries import read_snapshot
from registry.queries.vehicles import history
from registry.timeline import Moment, explain, explained, explanations
from tests.kit.chain import Registry, ref
from tests.kit.cli import registry_env, run_registry
from tests.kit.mirror import Mirror


@pytest.fixture(scope="module")
def life(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Any:
    c = registry.cast
    vin = registry.title(odometer=1_000)
    registry.dealer.record_odometer(vin, 12_500)
    first = registry.lender.register_lien(vin).id
    second = registry.lender2.register_lien(vin).id
    loan = registry.lender.originate_loan(first, ref("loan"), ref(), ref()).id
    registry.lender.record_disbursement(loan, 2_400_000)
    registry.lender.record_payment(loan, 46_948, ref("pay"))
    registry.registrar.apply_brand(vin, "flood")
    registry.lender.release_lien(first)
    consent = registry.consent(registry.lender2, vin, second, c.buyer, release=False)
    registry.owner.transfer_title_with_consent(vin, c.buyer.address, [consent])
    mirror = Mirror.create(registry, tmp_path_factory.mktemp("timeline"))
    mirror.index()
    return vin, first, second, loan, mirror


def _told(mirror: Mirror, vin: str, kinds: tuple[EventKind, ...] = ()) -> list[dict[str, Any]]:
    with read_snapshot(mirror.engine) as reader:
        items, _ = history(reader, vin, limit=500, kinds=kinds)
        return explained(items, explanations(reader, vin, items[-1]["block"]))


def test_every_event_in_words_with_its_details(life: Any) -> None:
    vin, first, second, loan, mirror = life
    told = {i["event"]: i for i in reversed(_told(mirror, vin))}
    summaries = [i["summary"] for i in _told(mirror, vin)]
    assert all(s and "recorded (" not in s for s in summaries), summaries  # none generic
    assert "odometer 1,000" in told["TitleIssued"]["summary"]
    assert "12,500" in told["OdometerRecorded"]["summary"]
    regs = [i for i in _told(mirror, vin) if i["event"] == "LienRegistered"]
    assert f"Lien {first}" in regs[0]["summary"] and "First Auto Bank" in regs[0]["summary"]
    assert regs[0]["summary"].endswith("priority 1")
    assert f"Lien {second}" in regs[1]["summary"] and regs[1]["summary"].endswith("priority 2")
    assert "Second Credit Union" in regs[1]["summary"]
    assert "24,000.00" in told["LoanDisbursed"]["summary"]
    pay = told["LoanPaymentRecorded"]
    assert f"Loan {loan}: payment of 469.48" in pay["summary"]
    assert {"label": "total paid so far", "value": "469.48"} in pay["details"]
    assert "Brand flood" in told["BrandApplied"]["summary"]
    release = told["LienReleased"]["summary"]
    assert f"Lien {first} released" in release and "voluntary" in release
    assert "it ranked 1" in release
    transfer = told["TitleTransferred"]
    assert "with the consent of Second Credit Union" in transfer["summary"]
    consented = {d["label"]: d["value"] for d in transfer["details"]}["consented by"]
    assert consented.startswith("Second Credit Union (0x")


def test_an_unknown_event_gets_a_generic_explanation(registry: Registry) -> None:
    lender = registry.cast.lender.address.lower()
    ev = DecodedEvent("LoanSecuritised", "LoanLedger", 7, "0x0", "0x1", 0,
                      {"trancheId": 3, "loanId": 9, "trustee": lender})  # fmt: skip
    words = explain(Moment(ev, {lender: "First Auto Bank"}, {}, BatchState()))
    assert words.summary.startswith("LoanSecuritised recorded")
    assert "trancheId 3" in words.summary and "First Auto Bank" in words.summary
    assert ("loanId", "9") in words.details


def test_pledges_in_words(registry: Registry) -> None:
    lender, funder = (a.address.lower() for a in (registry.cast.lender, registry.cast.funder))
    names = {lender: "First Auto Bank", funder: "Harbor Warehouse Funding"}
    args = {"pledgeId": 3, "loanId": 9, "funder": funder, "lender": lender}
    pledged = DecodedEvent("LoanPledged", "LoanLedger", 7, "0x0", "0x1", 0, args)
    words = explain(Moment(pledged, names, {}, BatchState()))
    assert words.summary == (
        f"Loan 9 pledged to funder Harbor Warehouse Funding ({funder}) by First Auto Bank "
        f"({lender}) (pledge 3)"
    )
    args = {"pledgeId": 3, "loanId": 9, "funder": funder, "reason": 1}
    released = DecodedEvent("PledgeReleased", "LoanLedger", 8, "0x0", "0x2", 0, args)
    words = explain(Moment(released, names, {}, BatchState()))
    assert words.summary.endswith("released by funder Harbor Warehouse Funding "
                                  f"({funder}) (remittance)")  # fmt: skip
    assert ("reason", "remittance") in words.details


def test_kinds_filter(life: Any) -> None:
    vin, *_, mirror = life
    liens = _told(mirror, vin, (EventKind.LIEN,))
    assert {i["event"] for i in liens} == {"LienRegistered", "LienReleased"}
    both = _told(mirror, vin, (EventKind.LIEN, EventKind.LOAN))
    assert {i["kind"] for i in both} == {"lien", "loan"}
    assert len(both) == len(liens) + 3


def test_history_downloads_as_csv_and_json(registry: Registry, life: Any, tmp_path: Path) -> None:
    vin, first, second, _, mirror = life
    env = registry_env(data_dir=mirror.data_dir, database_url=mirror.url,
                       rpc_url=registry.node.rpc_url,
                       deployments_file=mirror.data_dir / "deployments.json")  # fmt: skip
    out = tmp_path / "h.csv"
    done = run_registry("title", "history", vin, "--format", "csv", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == len(_told(mirror, vin))
    assert rows[0]["event"] == "TitleIssued" and rows[0]["time"].endswith("UTC")
    assert any("priority: 2" in r["details"] for r in rows)
    blocks = [int(r["block"]) for r in rows]
    cut = blocks[3]
    js = run_registry("title", "history", vin, "--format", "json", "--at", str(cut), env=env)
    assert js.returncode == 0, js.stderr
    doc = json.loads(js.stdout)
    assert doc["as_of"]["block"] <= cut and all(e["block"] <= cut for e in doc["events"])
    assert len(doc["events"]) == sum(b <= cut for b in blocks)
    only = run_registry("title", "history", vin, "--kind", "lien", env=env)
    assert only.returncode == 0 and f"Lien {first} released" in only.stdout
    assert "Title issued" not in only.stdout
    bad = run_registry("title", "history", vin, "--kind", "pony", env=env)
    assert bad.returncode == 1 and "pony" in bad.stderr
    at = run_registry("lien", "list", vin, "--at", str(blocks[3]), env=env)
    assert at.returncode == 0, at.stderr
    assert f"{first}  ACTIVE" in at.stdout
    check = run_registry("title", "check", vin, "--at", "2999-01-01", env=env)
    assert check.returncode == 1 and "in the future" in check.stderr
    then = run_registry("title", "check", vin, "--at", str(blocks[3]), "--json", env=env)
    assert then.returncode == 0, then.stderr
    doc = json.loads(then.stdout)
    assert doc["as_of"]["block"] == doc["certificate"]["block"]["number"] <= blocks[3]
    assert [lien["lien_id"] for lien in doc["certificate"]["liens"]] == [first, second]
    text = run_registry("title", "check", vin, "--at", str(blocks[2]), env=env)
    assert f"lien {first} priority 1" in text.stdout and "First Auto Bank" in text.stdout
    assert f"lien {second}" not in text.stdout
