"""`registry pledge …`: funders release, sell and show pledges, and consent to lien assignments.

A lender pledges with `registry loan pledge`; a pledged loan's lien is assigned with
`registry lien assign --funder-consent FILE`, the file written here by `registry pledge consent`.
"""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli.common import (
    client_for,
    consent_deadline,
    echo_tx,
    one_or_batch,
    read_consent,
    with_consent_file,
    with_signer,
    write_consent,
)
from registry.domain import FunderConsent

REASONS = click.Choice(["repurchase", "remittance"], case_sensitive=False)


def load_funder_consent(path: Path) -> FunderConsent:
    """A funder's consent from a file written by `registry pledge consent`.

    Raises:
        InvalidInput: the file is not one.
    """
    return read_consent(path, "pledge consent", lambda raw: FunderConsent(
        int(raw["loan_id"]), int(raw["deadline"]), raw["signature"]
    ))  # fmt: skip


@click.group()
def pledge() -> None:
    """Pledges of loans to funders: release, transfer (sale), show, consent to a lien sale."""


@pledge.command("release")
@click.argument("loan_ids", type=int, nargs=-1, required=True)
@click.option("--reason", type=REASONS, required=True, help="Why the funder releases it.")
@with_signer
def release(
    loan_ids: tuple[int, ...], reason: str, dev_account: int | None, keystore: Path | None
) -> None:
    """Release the signer's (the funder's) pledges of LOAN_IDS."""
    client = client_for(dev_account, keystore)
    result = one_or_batch(loan_ids, client.release_pledge, client.release_pledges_batch, reason)
    echo_tx(result, f"{len(loan_ids)} pledge(s) released")


@pledge.command("transfer")
@click.argument("loan_ids", type=int, nargs=-1, required=True)
@click.option("--to", "to", required=True, help="The funder buying the pledges.")
@with_signer
def transfer(
    loan_ids: tuple[int, ...], to: str, dev_account: int | None, keystore: Path | None
) -> None:
    """Sell the signer's pledges of LOAN_IDS to another funder (release and pledge in one tx)."""
    client = client_for(dev_account, keystore)
    result = one_or_batch(loan_ids, client.transfer_pledge, client.transfer_pledges_batch, to)
    echo_tx(result, f"{len(result.ids)} pledge(s) transferred: {', '.join(map(str, result.ids))}")


@pledge.command("show")
@click.argument("loan_id", type=int)
def show(loan_id: int) -> None:
    """The active pledge of LOAN_ID, as the chain holds it now."""
    client = client_for(None, None, sign=False)
    found = client.pledge_of(loan_id)
    if found is None:
        click.echo(f"loan {loan_id} is not pledged")
        return
    name = client.participant_names([found.funder]).get(found.funder)
    who = f"{name} ({found.funder})" if name else found.funder
    click.echo(f"loan {loan_id} is pledged to {who}: pledge {found.pledge_id}")


@pledge.command("consent")
@click.argument("loan_id", type=int)
@click.option("--to", "to", required=True, help="The lender the loan's lien is assigned to.")
@with_consent_file
@with_signer
def consent(
    loan_id: int,
    to: str,
    valid_hours: float,
    out: Path,
    dev_account: int | None,
    keystore: Path | None,
) -> None:
    """Sign, as the funder, consent to assign the lien of pledged LOAN_ID; write it to --out."""
    client = client_for(dev_account, keystore)
    deadline = consent_deadline(valid_hours)
    signed = client.sign_pledge_consent(loan_id, to, deadline=deadline)
    write_consent(out, {"loan_id": loan_id, "to": to, "deadline": deadline}, signed.signature)
    click.echo(f"consent for loan {loan_id} written to {out} (valid {valid_hours:g} h)")
