"""`registry demo`: build the realistic demo book on the configured (local) chain."""

from __future__ import annotations

import click

#: registry.demo.MIN_VEHICLES, written out so that `registry demo --help` imports nothing
#: heavy (tests/test_demo.py keeps the two equal).
MIN_VEHICLES = 20


@click.command()
@click.option(
    "--vehicles", type=click.IntRange(MIN_VEHICLES, 200_000), default=2000, show_default=True
)
@click.option("--seed", type=int, default=2026, show_default=True)
def demo(vehicles: int, seed: int) -> None:
    """Build a demo book: lenders, dealers, insurers, thousands of vehicles, loans, fraud cases.

    Local chain only: the book is signed by the local chain's well-known dev accounts.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from registry.accounts import LOCAL_CHAIN_ID
    from registry.cli.common import open_client, settings_for
    from registry.demo import DemoPlan, build_demo, demo_cast
    from registry.errors import ConfigurationError
    from registry.rpc import connect

    settings = settings_for()
    chain_id = connect(settings.rpc_url).chain_id()
    if chain_id != LOCAL_CHAIN_ID:  # before any deployment or signer is looked up
        raise ConfigurationError(
            "the demo signs with the local chain's dev accounts: local chain only "
            f"(chain id {LOCAL_CHAIN_ID}), and this node is chain {chain_id}"
        )
    client = open_client(settings, sign=False).as_(demo_cast().registrar)
    columns = (
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns) as bar:
        task = bar.add_task("demo book", total=DemoPlan(vehicles).units)

        def tick(stage: str, n: int) -> None:
            bar.update(task, advance=n, description=stage)

        book = build_demo(
            client,
            vehicles=vehicles,
            seed=seed,
            records_dir=settings.data_dir / "loans",
            progress=tick,
        )
    from registry.demo_clock import day_of

    click.echo(
        f"demo book: {book.vehicles} vehicles, {book.liens} liens, {book.loans} loans, "
        f"{book.payments} payments, dated {day_of(book.since)} to {day_of(book.until)} "
        "(chain time)"
    )
    for case, vin in book.highlights.items():
        click.echo(f"  {case.replace('_', ' '):<24} {vin}")
