"""`registry insurance …`: policies with a loss payee, claims, total losses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from registry.cli.common import (
    cents,
    client_for,
    echo_record,
    echo_tx,
    reference,
    settings_for,
    with_signer,
)


@click.group()
def insurance() -> None:
    """Insurers: policies (lienholder as loss payee), claims, total losses."""


@insurance.command("policy")
@click.argument("vin")
@click.option("--loss-payee", default=None, help="Usually the first-priority lienholder.")
@click.option("--ref", "ref", required=True, help="Your policy number (kept private).")
@click.option("--expires", type=click.DateTime(["%Y-%m-%d"]), required=True)
@with_signer
def policy(
    vin: str,
    loss_payee: str | None,
    ref: str,
    expires: datetime,
    dev_account: int | None,
    keystore: Path | None,
) -> None:
    """Record a policy on VIN."""
    settings = settings_for(dev_account, keystore)
    client = client_for(dev_account, keystore)
    policy_id = client.record_policy(
        vin, loss_payee, reference(ref, settings, "policy"), int(expires.timestamp())
    ).id
    click.echo(f"policy {policy_id} recorded on {vin}")


@insurance.command("claim")
@click.argument("policy_id", type=int)
@click.argument("amount")
@click.option("--ref", "ref", required=True, help="Your claim number (kept private).")
@with_signer
def claim(
    policy_id: int, amount: str, ref: str, dev_account: int | None, keystore: Path | None
) -> None:
    """File a claim of AMOUNT against POLICY_ID."""
    settings = settings_for(dev_account, keystore)
    claim_id = (
        client_for(dev_account, keystore)
        .file_claim(policy_id, reference(ref, settings, "claim"), cents(amount))
        .id
    )
    click.echo(f"claim {claim_id} filed on policy {policy_id}")


@insurance.command("settle")
@click.argument("claim_id", type=int)
@click.argument("amount")
@with_signer
def settle(claim_id: int, amount: str, dev_account: int | None, keystore: Path | None) -> None:
    """Settle CLAIM_ID, paying AMOUNT to the loss payee."""
    echo_tx(client_for(dev_account, keystore).settle_claim(claim_id, cents(amount)), "settled")


@insurance.command("deny")
@click.argument("claim_id", type=int)
@with_signer
def deny(claim_id: int, dev_account: int | None, keystore: Path | None) -> None:
    """Deny CLAIM_ID."""
    echo_tx(client_for(dev_account, keystore).deny_claim(claim_id), "denied")


@insurance.command("total-loss")
@click.argument("claim_id", type=int)
@click.option("--flood", is_flag=True, help="The loss was a flood (brands the title flood too).")
@with_signer
def total_loss(claim_id: int, flood: bool, dev_account: int | None, keystore: Path | None) -> None:
    """Declare the vehicle of CLAIM_ID a total loss (brands the title salvage)."""
    echo_tx(
        client_for(dev_account, keystore).declare_total_loss(claim_id, flood=flood), "total loss"
    )


@insurance.command("show-policy")
@click.argument("policy_id", type=int)
def show_policy(policy_id: int) -> None:
    """POLICY_ID as the chain holds it now."""
    echo_record(client_for(None, None, sign=False).policy(policy_id))
