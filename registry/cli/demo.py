"""`registry demo`: build the realistic demo book on the configured (local) chain."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from registry.accounts import LOCAL_CHAIN_ID
from registry.cli.common import settings_for
from registry.demo import build_demo


def register(cli: click.Group) -> None:
    """Adds the demo command to ``cli``."""
    cli.add_command(demo)


@click.command()
@click.option("--vehicles", type=click.IntRange(20, 200_000), default=2000, show_default=True)
@click.option("--seed", type=int, default=2026, show_default=True)
def demo(vehicles: int, seed: int) -> None:
    """Build a demo book: lenders, dealers, insurers, thousands of vehicles, loans, fraud cases."""
    from registry.cli.common import open_client

    settings = settings_for(0, None)
    client = open_client(settings)
    if client.tx.chain_id != LOCAL_CHAIN_ID:
        raise click.ClickException("the demo uses the local chain's dev accounts: local chain only")
    # units: titles + floor-plan liens + consumer loans (60% of consumer vehicles)
    total = vehicles + vehicles // 10 + int((vehicles - vehicles // 10 - 4) * 0.6)
    columns = (
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as bar:
        task = bar.add_task("demo book", total=total)

        def tick(stage: str, n: int) -> None:
            bar.update(task, advance=n, description=stage)

        book = build_demo(
            client,
            vehicles=vehicles,
            seed=seed,
            records_dir=settings.data_dir / "loans",
            progress=tick,
        )
    click.echo(
        f"demo book: {book.vehicles} vehicles, {book.liens} liens, {book.loans} loans, "
        f"{book.payments} payments"
    )
    for case, vin in book.highlights.items():
        click.echo(f"  {case.replace('_', ' '):<24} {vin}")
