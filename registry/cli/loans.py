"""`registry loan …`: the loan lifecycle, anchored to its lien."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from registry import loan_records
from registry.cli.common import (
    cents,
    client_for,
    echo_record,
    echo_tx,
    one_or_batch,
    reference,
    settings_for,
    with_signer,
)
from registry.schedules import LoanTerms, ScheduleKind

if TYPE_CHECKING:
    from registry.config import Settings

KINDS = click.Choice([k.value for k in ScheduleKind], case_sensitive=False)


def terms_options(fn: Any) -> Any:
    """The options that define a loan's terms (shared by originate and restructure)."""
    for option in reversed(
        [
            click.option("--principal", required=True, help="e.g. 24000.00"),
            click.option("--rate", required=True, help="Annual rate as a fraction, e.g. 0.0649"),
            click.option("--term", "term_months", type=int, required=True, help="Months."),
            click.option("--first-due", type=click.DateTime(["%Y-%m-%d"]), required=True),
            click.option(
                "--kind", type=KINDS, default=ScheduleKind.ANNUITY.value, show_default=True
            ),
        ]
    ):
        fn = option(fn)
    return fn


def commitment_of(
    principal: str, rate: str, term_months: int, first_due: datetime, kind: str
) -> loan_records.Commitment:
    """The commitment of the command's terms (a fresh salt)."""
    terms = LoanTerms(
        Decimal(principal), Decimal(rate), term_months, first_due.date(), ScheduleKind(kind)
    )
    return loan_records.Commitment.of(terms)


def records_dir(settings: Settings) -> Path:
    """Where this instance's lender keeps its loan records (schedule + salt per loan)."""
    return settings.data_dir / "loans"


@click.group()
def loan() -> None:
    """Loans: origination, disbursement, payments, delinquency, default, payoff, …"""


@loan.command("originate")
@click.argument("lien_id", type=int)
@click.option("--ref", "ref", required=True, help="Your internal loan number (kept private).")
@terms_options
@with_signer
def originate(
    lien_id: int,
    ref: str,
    principal: str,
    rate: str,
    term_months: int,
    first_due: datetime,
    kind: str,
    dev_account: int | None,
    keystore: Path | None,
) -> None:
    """Originate a loan secured by LIEN_ID, committing its terms and schedule by salted hash."""
    settings = settings_for(dev_account, keystore)
    c = commitment_of(principal, rate, term_months, first_due, kind)
    client = client_for(dev_account, keystore)
    loan_id = client.originate_loan(
        lien_id, reference(ref, settings, "loan"), c.terms_hash, c.schedule_hash
    ).id
    path = c.keep(records_dir(settings), client.tx.chain_id, loan_id)
    first = c.schedule.instalments[0]
    click.echo(
        f"loan {loan_id} originated on lien {lien_id}: {term_months} instalments, "
        f"first {first.total} due {first.due}"
    )
    click.echo(f"private schedule and salt kept in {path}")


@loan.command("verify-schedule")
@click.argument("loan_id", type=int)
@click.argument("record", type=click.Path(path_type=Path, exists=True))
def verify_schedule(loan_id: int, record: Path) -> None:
    """Check a loan record (schedule + salt) against the schedule hash committed on chain."""
    from registry.enums import LoanState

    rec = loan_records.load(record)
    onchain = client_for(None, None, sign=False).loan(loan_id)
    if onchain.state is LoanState.NONE:
        raise click.ClickException(f"loan {loan_id} does not exist")
    if loan_records.schedule_matches(rec, onchain.schedule_hash):
        click.secho(
            f"loan {loan_id}: the schedule matches the chain ({onchain.schedule_hash})", fg="green"
        )
    else:
        click.secho(
            f"loan {loan_id}: the schedule does NOT match the committed hash "
            f"{onchain.schedule_hash}",
            fg="red",
            err=True,
        )
        raise SystemExit(1)


@loan.command("show")
@click.argument("loan_id", type=int)
def show(loan_id: int) -> None:
    """LOAN_ID as the chain holds it now."""
    from registry.enums import LoanState

    record = client_for(None, None, sign=False).loan(loan_id)
    if record.state is LoanState.NONE:
        raise click.ClickException(f"loan {loan_id} does not exist")
    echo_record(record)


def _simple(name: str, help_text: str, method: str, amount: bool = False) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("loan_id", type=int)
    @with_signer
    def cmd(loan_id: int, dev_account: int | None, keystore: Path | None, **kw: str) -> None:
        client = client_for(dev_account, keystore)
        args: list[object] = [loan_id]
        if amount:
            args.append(cents(kw["amount"]))
        echo_tx(getattr(client, method)(*args), name)

    if amount:
        cmd = click.argument("amount")(cmd)
    return cmd


for _name, _help, _method, _amount in [
    (
        "disburse",
        "Record the disbursement of LOAN_ID (AMOUNT, e.g. 24000.00).",
        "record_disbursement",
        True,
    ),
    ("default", "Declare LOAN_ID in default.", "declare_default", False),
    (
        "repossess",
        "Repossess the collateral of a defaulted LOAN_ID (title passes to you).",
        "repossess",
        False,
    ),
    ("payoff", "Record the payoff of LOAN_ID (releases its lien).", "pay_off", False),
    ("charge-off", "Charge off LOAN_ID (AMOUNT written off).", "charge_off", True),
]:
    loan.add_command(_simple(_name, _help, _method, _amount))


@loan.command("pay")
@click.argument("loan_id", type=int)
@click.argument("amount")
@click.option("--ref", "ref", default=None, help="Your payment reference (kept private).")
@with_signer
def pay(
    loan_id: int, amount: str, ref: str | None, dev_account: int | None, keystore: Path | None
) -> None:
    """Record a payment of AMOUNT on LOAN_ID."""
    settings = settings_for(dev_account, keystore)
    payment_ref = reference(ref, settings, "payment") if ref else b"\x00" * 32
    echo_tx(
        client_for(dev_account, keystore).record_payment(loan_id, cents(amount), payment_ref),
        "payment",
    )


@loan.command("delinquent")
@click.argument("loan_id", type=int)
@click.argument("days_past_due", type=click.IntRange(0, 65535))
@with_signer
def delinquent(
    loan_id: int, days_past_due: int, dev_account: int | None, keystore: Path | None
) -> None:
    """Record LOAN_ID's days past due (0 cures it)."""
    echo_tx(
        client_for(dev_account, keystore).record_delinquency(loan_id, days_past_due), "delinquency"
    )


@loan.command("restructure")
@click.argument("loan_id", type=int)
@terms_options
@with_signer
def restructure(
    loan_id: int,
    principal: str,
    rate: str,
    term_months: int,
    first_due: datetime,
    kind: str,
    dev_account: int | None,
    keystore: Path | None,
) -> None:
    """Restructure LOAN_ID with new terms (a new committed schedule)."""
    settings = settings_for(dev_account, keystore)
    c = commitment_of(principal, rate, term_months, first_due, kind)
    client = client_for(dev_account, keystore)
    result = client.restructure_loan(loan_id, c.terms_hash, c.schedule_hash)
    c.keep(records_dir(settings), client.tx.chain_id, loan_id)
    echo_tx(result, "restructured")


@loan.command("pledge")
@click.argument("loan_ids", type=int, nargs=-1, required=True)
@click.option("--funder", required=True, help="The funder (warehouse lender, trust) address.")
@with_signer
def pledge(
    loan_ids: tuple[int, ...], funder: str, dev_account: int | None, keystore: Path | None
) -> None:
    """Pledge LOAN_IDS (serviced by the signer) to a funder; several ids: one transaction."""
    client = client_for(dev_account, keystore)
    result = one_or_batch(loan_ids, client.pledge_loan, client.pledge_loans_batch, funder)
    echo_tx(
        result, f"{len(result.ids)} loan(s) pledged: pledge(s) {', '.join(map(str, result.ids))}"
    )
