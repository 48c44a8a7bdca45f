"""One import, start to end: read the file, check every row, write the rejects, send the rest.

:func:`run_import` is what ``registry import`` and ``POST /imports`` both run. Nothing is sent
before the whole file was read and every row checked against the rules and the chain as it
stands; a rerun of the same file by the same signer resumes from its journal (see
:mod:`registry.imports.journal`) and registers nothing twice.
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from registry.client import RegistryClient
from registry.errors import InvalidInput, RegistryError, Unauthorized
from registry.imports.files import ImportFile, read_file
from registry.imports.journal import Journal
from registry.imports.kinds import Context, Kind
from registry.imports.loans import Loans
from registry.imports.pipeline import IN_FLIGHT, Pipeline, Progress
from registry.imports.registers import Liens, Titles

#: The kinds of import by name; each run gets an instance of its own (they keep per-run state).
KINDS: dict[str, type[Titles] | type[Liens] | type[Loans]] = {
    "titles": Titles, "liens": Liens, "loans": Loans,
}  # fmt: skip


def kind_of(name: str) -> Kind:
    """A fresh instance of the kind of import ``name``."""
    try:
        return KINDS[name]()
    except KeyError:
        raise InvalidInput(f"unknown import kind {name!r}: one of {', '.join(KINDS)}") from None


@dataclass(frozen=True)
class Reject:
    row: int
    reason: str
    text: str  # the row as read


@dataclass
class Summary:
    """What an import did (or, with ``dry_run``, would do)."""

    kind: str
    file: str
    rows: int = 0
    valid: int = 0
    rejected: int = 0
    already_imported: int = 0  # valid rows a previous run of this import registered
    imported: int = 0  # rows registered by this run
    transactions: int = 0
    gas: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    rejects_file: str | None = None
    journal: str | None = None
    rejects: list[Reject] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["rejects"]
        return out

    def lines(self) -> list[str]:
        verb = "would import" if self.dry_run else "imported"
        out = [f"{self.kind} from {self.file}: {self.rows:,} rows, {self.valid:,} valid, "
               f"{self.rejected:,} rejected"]  # fmt: skip
        if self.already_imported and not self.transactions and not self.dry_run:
            out.append(f"nothing to import: all {self.already_imported:,} valid rows were "
                       "imported already by an earlier run of this file")  # fmt: skip
        elif self.dry_run:
            out.append(f"dry run: {verb} {self.valid - self.already_imported:,} rows; nothing sent")
        else:
            rate = self.imported / self.seconds if self.seconds else 0.0
            out.append(f"{verb} {self.imported:,} rows (+{self.already_imported:,} earlier) in "
                       f"{self.transactions:,} transactions, gas {self.gas:,}, "
                       f"{self.seconds:,.1f} s ({rate:,.0f} rows/s)")  # fmt: skip
        if self.rejects_file:
            out.append(f"rejected rows (row, reason, row as read) written to {self.rejects_file}")
        return out


def journal_path(data_dir: Path, kind: str, file: ImportFile, client: RegistryClient) -> Path:
    """The journal of this file imported by this signer into this deployment."""
    dep = client.deployment
    name = (f"{kind}-{file.digest[:20]}-{dep.chain_id}-{dep.registry[2:10].lower()}-"
            f"{client.address[2:10].lower()}.jsonl")  # fmt: skip
    return data_dir / "imports" / name


def write_rejects(path: Path, rejects: list[Reject]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["row", "reason", "row_as_read"])
        for r in rejects:
            w.writerow([r.row, r.reason, r.text])


def run_import(
    client: RegistryClient,
    kind_name: str,
    path: Path,
    *,
    data_dir: Path,
    dry_run: bool = False,
    rejects_path: Path | None = None,
    stream: IO[str] | None = None,
    progress: Progress | None = None,
    in_flight: int = IN_FLIGHT,
) -> Summary:
    """Imports ``path`` as ``kind_name`` rows signed by ``client``'s account.

    Raises:
        FileRefused: the file is unusable as a whole (nothing was checked or sent).
        Unauthorized: the signer lacks the kind's role.
        ChainUnavailable: the node went away (rerun the same command to continue).
    """
    started = time.monotonic()
    kind = kind_of(kind_name)
    file = read_file(path, kind.columns)
    summary = Summary(kind.name, str(path), rows=len(file.rows), dry_run=dry_run)
    if not client.has_role(kind.role.name, client.address):
        raise Unauthorized(f"{client.address} is not an admitted {kind.role.name.lower()}: only "
                           f"a {kind.role.name.lower()} imports {kind.name}")  # fmt: skip
    ctx = Context(client, client.address, _chain_now(client), data_dir, client.tx.chain_id)
    journal = Journal(journal_path(data_dir, kind.name, file, client))
    summary.journal = str(journal.path)
    progress = progress or Progress(0, stream)
    pipeline = Pipeline(client, journal, progress, in_flight)

    items: list[Any] = []
    rejects: list[Reject] = []
    seen: dict[tuple[str, str], int] = {}
    for row in file.rows:
        try:
            item = kind.parse(row, ctx)
        except RegistryError as exc:
            rejects.append(Reject(row.number, exc.message, row.text))
            continue
        dup = next(((k, seen[k]) for k in kind.keys(item) if k in seen), None)
        if dup is not None:
            (what, value), where = dup
            rejects.append(Reject(row.number, f"{what} {value} appears twice in the file "
                                              f"(first on row {where})", row.text))  # fmt: skip
            continue
        for k in kind.keys(item):
            seen[k] = row.number
        items.append(item)
    if not dry_run:  # the chain says what a previous run's batches did
        by_row = {i.row.number: i for i in items}
        pipeline.resolve(lambda batch: kind.landed(batch, by_row, ctx))
    first = kind.stages[0]
    done = {r for b in journal.live(first) for r in b.rows}
    unchecked = [i for i in items if i.row.number not in done]
    refused = kind.check(unchecked, ctx) if unchecked else {}
    rejects += [Reject(i.row.number, refused[i.row.number], i.row.text)
                for i in unchecked if i.row.number in refused]  # fmt: skip
    rejects.sort(key=lambda r: r.row)
    valid = [i for i in items if i.row.number not in refused]
    summary.valid, summary.rejected, summary.rejects = len(valid), len(rejects), rejects
    summary.already_imported = sum(1 for i in valid if i.row.number in done)
    if rejects:
        target = rejects_path or path.with_name(path.name + ".rejects.csv")
        write_rejects(target, rejects)
        summary.rejects_file = str(target)
    elif rejects_path is not None and rejects_path.exists():
        rejects_path.unlink()  # no stale rejects from another file
    if dry_run or not valid:
        summary.seconds = time.monotonic() - started
        return summary
    journal.start({"kind": kind.name, "file": str(path), "digest": file.digest,
                   "signer": client.address, "chain_id": ctx.chain_id})  # fmt: skip
    progress.total = _units(kind, valid)
    summary.imported = kind.send(valid, pipeline, journal, ctx)
    if progress.transactions:
        progress.show(final=True)
    summary.transactions, summary.gas = progress.transactions, progress.gas
    summary.seconds = time.monotonic() - started
    return summary


def _units(kind: Kind, valid: list[Any]) -> int:
    """What the progress counts: rows per stage (a loan's payments count one each)."""
    if isinstance(kind, Loans):
        return 2 * len(valid) + sum(len(i.payments) for i in valid)
    return len(valid)


def _chain_now(client: RegistryClient) -> int:
    block: dict[str, Any] = client.rpc.request("eth_getBlockByNumber", ["latest", False])
    return int(block["timestamp"], 16)
