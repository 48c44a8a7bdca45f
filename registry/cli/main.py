"""Entry point of the ``registry`` command: a lazy group, and the exit status of every command.

``registry --help`` lists every command from :data:`COMMANDS` without importing the modules
that implement them (web3, SQLAlchemy and pydantic cost seconds to import); a command's
module is imported only when that command runs or shows its own help.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import click

from registry.errors import ChainUnavailable, RegistryError


class ExitCode(IntEnum):
    """What a ``registry`` command's exit status means (the same for every command)."""

    OK = 0
    REFUSED = 1  # the chain or validation refused, or a check found a difference
    USAGE = 2  # click's own: unknown option, missing or malformed argument
    UNREACHABLE = 3  # no chain node answers (registry.errors.ChainUnavailable)


EXIT_STATUS_HELP = f"""\b
Exit status:
  {ExitCode.OK}  success
  {ExitCode.REFUSED}  the chain or validation refused (the reason on one line), or a check failed
  {ExitCode.USAGE}  usage error (unknown command or option, bad argument)
  {ExitCode.UNREACHABLE}  the chain node is unreachable (REGISTRY_RPC_URL)"""


@dataclass(frozen=True)
class LazyCommand:
    """Where a top-level command lives (``module:attribute``) and its one-line help."""

    target: str
    summary: str

    def load(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command), self.target
        return command


#: Every top-level command. The summaries are the first line of each command's docstring
#: (tests/cli/test_lazy.py keeps them equal), shown by `registry --help` without imports.
COMMANDS: dict[str, LazyCommand] = {
    "account": LazyCommand(
        "registry.cli.participants:account",
        "Encrypted keystores (the key an instance signs with).",
    ),
    "audit": LazyCommand("registry.cli.audit:audit", "Check the SQL mirror against the chain."),
    "certificate": LazyCommand(
        "registry.cli.certificate:certificate",
        "Title-check certificates: save one from the mirror, verify one against the chain.",
    ),
    "chain": LazyCommand(
        "registry.cli.chain:chain_group",
        "The local chain (anvil), its state kept in the data directory across restarts.",
    ),
    "demo": LazyCommand(
        "registry.cli.demo:demo",
        "Build a demo book: lenders, dealers, insurers, thousands of vehicles, loans, fraud cases.",
    ),
    "deploy": LazyCommand(
        "registry.cli.chain:deploy_cmd",
        "Deploy the contracts to the configured network and record them in the deployments file.",
    ),
    "import": LazyCommand(
        "registry.cli.imports:import_group",
        "Bulk import of an existing book: titles, liens, loans (CSV or JSON Lines).",
    ),
    "index": LazyCommand(
        "registry.cli.index:index",
        "Mirror the registry's events into SQL: backfill, then follow new blocks.",
    ),
    "insurance": LazyCommand(
        "registry.cli.insurance:insurance",
        "Insurers: policies (lienholder as loss payee), claims, total losses.",
    ),
    "keys": LazyCommand(
        "registry.cli.keys:keys",
        "API keys for the traceability API (stored hashed; the token is shown once).",
    ),
    "lien": LazyCommand(
        "registry.cli.liens:lien",
        "Liens (security interests): lenders register, release and assign them.",
    ),
    "loan": LazyCommand(
        "registry.cli.loans:loan",
        "Loans: origination, disbursement, payments, delinquency, default, payoff, …",
    ),
    "participant": LazyCommand(
        "registry.cli.participants:participant",
        "Admit and remove participants (registrar only).",
    ),
    "pledge": LazyCommand(
        "registry.cli.pledges:pledge",
        "Pledges of loans to funders: release, transfer (sale), show, consent to a lien sale.",
    ),
    "pool": LazyCommand(
        "registry.cli.tapes:pool", "Funders' pools: how the loans pledged to a funder perform."
    ),
    "risk": LazyCommand(
        "registry.cli.risk:risk",
        "Loan risk: delinquency, alerts and the portfolio report (from the SQL mirror).",
    ),
    "serve": LazyCommand(
        "registry.cli.serve:serve", "Serve the API and the web page (no reload, no access log)."
    ),
    "tape": LazyCommand(
        "registry.cli.tapes:tape",
        "Loan tapes: check a lender's list of pool loans against the registry.",
    ),
    "title": LazyCommand(
        "registry.cli.titles:title", "Vehicle titles: issue, transfer, odometer, brands, sales."
    ),
    "up": LazyCommand(
        "registry.cli.up:up",
        "Chain, contracts, demo data, indexer and API/web page: everything, in the foreground.",
    ),
    "watch": LazyCommand(
        "registry.cli.watches:watch",
        "Watches: notices of every event touching chosen VINs, or an address's cars and liens.",
    ),
    "webhooks": LazyCommand(
        "registry.cli.risk:webhooks",
        "Participants' webhook endpoints for alerts and notices, and the delivery worker.",
    ),
}


class RegistryGroup(click.Group):
    """Loads commands from :data:`COMMANDS` on demand; shows registry errors as one line.

    A refusal exits 1, an unreachable node 3 (see :class:`ExitCode`), never a traceback.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = COMMANDS.get(cmd_name)
        return lazy.load() if lazy is not None else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name].summary) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RegistryError as exc:
            click.secho(f"error: {exc.message}", fg="red", err=True)
            unreachable = isinstance(exc, ChainUnavailable)
            ctx.exit(ExitCode.UNREACHABLE if unreachable else ExitCode.REFUSED)


@click.group(cls=RegistryGroup, epilog=EXIT_STATUS_HELP)
@click.version_option(package_name="vehicle-collateral-registry")
def cli() -> None:
    """The shared ledger for vehicle collateral: titles, liens, loans and insurance on chain."""
