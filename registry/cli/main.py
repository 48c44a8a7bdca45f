"""Entry point of the ``registry`` command: one group, subcommands registered per module."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from registry.errors import RegistryError


class RegistryGroup(click.Group):
    """Shows registry errors as one clear line (exit 2 for refusals), not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RegistryError as exc:
            click.secho(f"error: {exc.message}", fg="red", err=True)
            sys.exit(2 if exc.status < 500 else 1)


@click.group(cls=RegistryGroup)
@click.version_option(package_name="vehicle-collateral-registry")
def cli() -> None:
    """The shared ledger for vehicle collateral: titles, liens, loans and insurance on chain."""


def _register_all() -> None:
    from registry.cli import (
        audit,
        certificate,
        chain,
        demo,
        index,
        insurance,
        keys,
        liens,
        loans,
        participants,
        risk,
        serve,
        titles,
        up,
    )

    modules: list[Callable[[click.Group], None]] = [
        chain.register,
        demo.register,
        participants.register,
        titles.register,
        liens.register,
        loans.register,
        insurance.register,
        index.register,
        audit.register,
        certificate.register,
        keys.register,
        serve.register,
        risk.register,
        up.register,
    ]
    for register in modules:
        register(cli)


_register_all()
