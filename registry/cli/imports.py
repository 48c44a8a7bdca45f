"""`registry import titles|liens|loans FILE`: bring an existing book onto the registry."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli.common import client_for, settings_for, with_signer
from registry.errors import ChainUnavailable
from registry.imports.files import columns_help
from registry.imports.importer import KINDS, run_import

_COMMON = """\b
Every row is checked first (the rules, and the chain as it stands); rejected rows go to the
rejects file (row number, reason, the row as read) and are not sent. Killed or cut off from
the node, the same command run again continues where it stopped: no row is registered twice
or skipped. Exit status 1 when any row was rejected."""


@click.group("import")
def import_group() -> None:
    """Bulk import of an existing book: titles, liens, loans (CSV or JSON Lines)."""


def _command(kind: str, summary: str) -> click.Command:
    spec = KINDS[kind]

    @click.command(kind, help=f"{summary}\n\n{columns_help(spec.columns)}\n\n{_COMMON}")
    @click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
    @click.option(
        "--dry-run", is_flag=True, help="Check every row and write the rejects; send nothing."
    )
    @click.option(
        "--rejects",
        "rejects",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Where the rejected rows go (default: FILE.rejects.csv).",
    )
    @with_signer
    def cmd(
        file: Path, dry_run: bool, rejects: Path | None, dev_account: int | None,
        keystore: Path | None,
    ) -> None:  # fmt: skip
        settings = settings_for(dev_account, keystore)
        client = client_for(dev_account, keystore)
        try:
            summary = run_import(client, kind, file, data_dir=settings.data_dir,
                                 dry_run=dry_run, rejects_path=rejects)  # fmt: skip
        except ChainUnavailable as exc:
            exc.message += (". The import stopped; everything sent is in its journal: run the "
                            "same command again once the node is back to continue")  # fmt: skip
            raise
        for line in summary.lines():
            click.echo(line)
        if summary.rejected:
            raise SystemExit(1)

    return cmd


for _kind, _summary in [
    ("titles", "Import titles (registrar): VIN, owner, last odometer, existing brands."),
    ("liens", "Import the signer's liens (lender): VIN and floor-plan flag."),
    (
        "loans",
        "Import the signer's live loans with their payments (lender), committing each "
        "schedule as `registry loan originate` does.",
    ),
]:
    import_group.add_command(_command(_kind, _summary))
