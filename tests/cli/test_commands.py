"""The `registry` command against a real chain: actions, refusals as one clear line, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.kit.chain import Registry


def test_title_lifecycle_through_the_cli(
    run: Callable[..., Result], registry: Registry, new_vin: Callable[[], str]
) -> None:
    vin, owner, buyer = new_vin(), registry.cast.owner.address, registry.cast.buyer.address
    issued = run(
        "title", "issue", vin, "--owner", owner, "--odometer", "1200", "--dev-account", "0"
    )
    assert issued.exit_code == 0, issued.output
    assert "TitleIssued" in issued.output
    shown = run("title", "show", vin)
    assert json.loads(shown.output[: shown.output.rindex("}") + 1])["odometer"] == 1200
    moved = run("title", "transfer", vin, "--to", buyer, "--dev-account", "5")
    assert moved.exit_code == 0, moved.output
    assert registry.registrar.title(vin).owner == buyer


def test_refusals_are_one_clear_line_and_exit_1(
    run: Callable[..., Result], registry: Registry, new_vin: Callable[[], str]
) -> None:
    vin = new_vin()
    run("title", "issue", vin, "--owner", registry.cast.owner.address, "--dev-account", "0")
    again = run("title", "issue", vin, "--owner", registry.cast.owner.address, "--dev-account", "0")
    assert again.exit_code == 1
    assert f"error: VIN {vin} already has a title" in again.output
    assert "Traceback" not in again.output
    bad = run(
        "title",
        "issue",
        vin[:-1] + "O",
        "--owner",
        registry.cast.owner.address,
        "--dev-account",
        "0",
    )
    assert bad.exit_code == 1
    assert "I, O and Q never appear" in bad.output
    stranger = run("lien", "register", vin, "--dev-account", "7")
    assert stranger.exit_code == 1
    assert "does not have the lender role" in stranger.output


def test_liens_consents_and_sale(
    run: Callable[..., Result], registry: Registry, tmp_path: Path, new_vin: Callable[[], str]
) -> None:
    cast = registry.cast
    vin = new_vin()
    registry.registrar.issue_title(vin, cast.dealer.address, 5)
    out = run("lien", "register", vin, "--floor-plan", "--dev-account", "1")
    assert out.exit_code == 0, out.output
    lien_id = registry.registrar.active_liens(vin)[0]
    consent = tmp_path / "consent.json"
    signed = run(
        "title",
        "consent",
        vin,
        "--lien",
        str(lien_id),
        "--from",
        cast.dealer.address,
        "--to",
        cast.buyer.address,
        "--out",
        str(consent),
        "--dev-account",
        "1",
    )
    assert signed.exit_code == 0, signed.output
    sale = run(
        "title",
        "sale",
        vin,
        "--buyer",
        cast.buyer.address,
        "--ref",
        "INV-9",
        "--consent",
        str(consent),
        "--dev-account",
        "3",
    )
    assert sale.exit_code == 0, sale.output
    assert "titleTransferred=True" in sale.output
    listed = run("lien", "list", vin)
    assert "RELEASED" in listed.output and "floor plan" in listed.output
    commitments = (tmp_path / "commitments.jsonl").read_text()
    assert "INV-9" in commitments  # the reference stays with the dealer, not on chain


def test_sale_out_of_trust_is_flagged(
    run: Callable[..., Result], registry: Registry, new_vin: Callable[[], str]
) -> None:
    cast = registry.cast
    vin = new_vin()
    registry.registrar.issue_title(vin, cast.dealer.address, 5)
    registry.client(cast.lender).register_lien(vin, floor_plan=True)
    sale = run(
        "title", "sale", vin, "--buyer", cast.buyer.address, "--ref", "INV-10", "--dev-account", "3"
    )
    assert sale.exit_code == 0, sale.output
    assert "out of trust" in sale.output
    assert registry.registrar.title(vin).owner == cast.dealer.address


def test_loan_origination_keeps_a_verifiable_schedule(
    run: Callable[..., Result], registry: Registry, tmp_path: Path, new_vin: Callable[[], str]
) -> None:
    cast = registry.cast
    vin = new_vin()
    registry.registrar.issue_title(vin, cast.owner.address, 5)
    lien_id = registry.client(cast.lender).register_lien(vin).id
    out = run(
        "loan",
        "originate",
        str(lien_id),
        "--ref",
        "LN-77",
        "--principal",
        "24000.00",
        "--rate",
        "0.0649",
        "--term",
        "60",
        "--first-due",
        "2027-01-15",
        "--dev-account",
        "1",
    )
    assert out.exit_code == 0, out.output
    loan_id = registry.client(None).loan_of_lien(lien_id)
    record = next((tmp_path / "loans").rglob(f"loan-{loan_id}.json"))
    ok = run("loan", "verify-schedule", str(loan_id), str(record))
    assert ok.exit_code == 0 and "matches the chain" in ok.output
    data = json.loads(record.read_text())
    data["schedule"]["instalments"][0]["interest"] = "0.01"
    record.write_text(json.dumps(data))
    bad = run("loan", "verify-schedule", str(loan_id), str(record))
    assert bad.exit_code == 1
    assert run("loan", "disburse", str(loan_id), "24000.00", "--dev-account", "1").exit_code == 0
    paid = run("loan", "pay", str(loan_id), "469.41", "--ref", "P-1", "--dev-account", "1")
    assert paid.exit_code == 0 and "LoanPaymentRecorded" in paid.output
    fraction = run("loan", "pay", str(loan_id), "1.001", "--dev-account", "1")
    assert fraction.exit_code == 1 and "whole cents" in fraction.output
    wrong_lender = run("loan", "pay", str(loan_id), "10", "--dev-account", "2")
    assert wrong_lender.exit_code == 1 and f"loan {loan_id} is serviced by" in wrong_lender.output
    restructured = run(
        "loan",
        "restructure",
        str(loan_id),
        "--principal",
        "23500.00",
        "--rate",
        "0.0449",
        "--term",
        "72",
        "--first-due",
        "2027-03-15",
        "--kind",
        "equal_principal",
        "--dev-account",
        "1",
    )
    assert restructured.exit_code == 0, restructured.output
    assert run("loan", "verify-schedule", str(loan_id), str(record)).exit_code == 0


def test_insurance_total_loss(
    run: Callable[..., Result], registry: Registry, new_vin: Callable[[], str]
) -> None:
    cast = registry.cast
    vin = new_vin()
    registry.registrar.issue_title(vin, cast.owner.address, 5)
    out = run(
        "insurance",
        "policy",
        vin,
        "--loss-payee",
        cast.lender.address,
        "--ref",
        "POL-1",
        "--expires",
        "2028-01-01",
        "--dev-account",
        "4",
    )
    assert out.exit_code == 0, out.output
    policy_id = int(out.output.split()[1])
    claim = run(
        "insurance", "claim", str(policy_id), "18000", "--ref", "CL-1", "--dev-account", "4"
    )
    claim_id = int(claim.output.split()[1])
    total = run("insurance", "total-loss", str(claim_id), "--flood", "--dev-account", "4")
    assert total.exit_code == 0, total.output
    title = registry.registrar.title(vin)
    assert title.status == "TOTAL_LOSS" and set(title.brands) == {"SALVAGE", "FLOOD"}


def test_deploy_and_chain_status(run: Callable[..., Result], registry: Registry) -> None:
    status = run("chain", "status")
    assert status.exit_code == 0 and "chain 31337" in status.output
    deployed = run("deploy")
    assert deployed.exit_code == 0, deployed.output
    assert "CollateralRegistry" in deployed.output


def test_no_deployment_is_a_clear_error(
    run: Callable[..., Result], tmp_path: Path, new_vin: Callable[[], str]
) -> None:
    (tmp_path / "deployments.json").write_text("{}")
    out = run("title", "show", new_vin())
    assert out.exit_code == 1
    assert "not deployed on chain 31337" in out.output
