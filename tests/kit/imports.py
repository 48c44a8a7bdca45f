"""Import files as a title office or a lender would have them, and the import run as a user
runs it (the `registry import` console script, in a data directory of the test's own)."""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from registry.contracts import write_deployment
from registry.schedules import LoanTerms, ScheduleKind, build_schedule, due_date
from tests.kit.chain import Registry
from tests.kit.cli import REGISTRY, registry_env, run_registry


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]], header: list[str]) -> Path:
    """A CSV file with ``header`` (as written: any case and spacing) and ``rows``."""
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow([row.get(h.strip().lower().replace(" ", "_"), "") for h in header])
    return path


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(dict(r)) + "\n" for r in rows))
    return path


def day(ts: int) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


@dataclass(frozen=True)
class PastLoan:
    """A loan taken out ``months_ago`` months before ``today`` with ``paid`` instalments paid
    on their due dates (``late`` days late), as a lender's book row."""

    vin: str
    ref: str
    principal: str
    rate: str
    term: int
    first_due: date
    disbursed_on: date
    payments: tuple[tuple[date, str], ...]

    @classmethod
    def of(
        cls, vin: str, ref: str, today: date, *, months_ago: int, paid: int, late: int = 0
    ) -> PastLoan:
        start = due_date(today.replace(day=min(today.day, 28)), -months_ago)
        first = due_date(start, 1)
        terms = LoanTerms(Decimal("12000.00"), Decimal("0.0649"), 36, first, ScheduleKind.ANNUITY)
        schedule = build_schedule(terms)
        pays = tuple(
            (i.due + timedelta(days=late), str(i.total)) for i in schedule.instalments[:paid]
        )
        return cls(vin, ref, "12000.00", "0.0649", 36, first, start, pays)

    def row(self) -> dict[str, str]:
        return {
            "vin": self.vin.lower(),
            "loan_ref": self.ref,
            "principal": self.principal,
            "rate": self.rate,
            "term": str(self.term),
            "kind": "annuity",
            "first_due": self.first_due.isoformat(),
            "disbursed_on": self.disbursed_on.isoformat(),
            "payments": ";".join(
                f"{d.isoformat()}:{a}:{self.ref}-{n}" for n, (d, a) in enumerate(self.payments, 1)
            ),
        }


LOAN_HEADER = ["VIN", " Loan Ref", "Principal ", "rate", "TERM", "kind", "first due",
               "disbursed_on", "payments"]  # fmt: skip


class Importer:
    """``registry import …`` against ``registry``'s chain, with a data directory of its own."""

    def __init__(self, registry: Registry, data_dir: Path) -> None:
        self.registry = registry
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        write_deployment(data_dir / "deployments.json", registry.deployment)
        self.env = registry_env(rpc_url=registry.node.rpc_url, data_dir=data_dir)

    def args(self, kind: str, file: Path, *extra: str, signer: int = 1) -> list[str]:
        return ["import", kind, str(file), "--dev-account", str(signer), *extra]

    def run(
        self, kind: str, file: Path, *extra: str, signer: int = 1, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Runs the import to completion (signer: a dev account; 0 is the registrar)."""
        return run_registry(*self.args(kind, file, *extra, signer=signer), env=self.env,
                            timeout=timeout)  # fmt: skip

    def start(self, kind: str, file: Path, *extra: str, signer: int = 1) -> subprocess.Popen[str]:
        """Starts the import in the background (to be killed)."""
        return subprocess.Popen(
            [str(REGISTRY), *self.args(kind, file, *extra, signer=signer)], env=self.env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip


def read_rejects(path: Path) -> dict[int, str]:
    """The rejects file: reason by row number."""
    with path.open(newline="") as fh:
        return {int(r["row"]): r["reason"] for r in csv.DictReader(fh)}


def event_logs(registry: Registry, event: str, from_block: int) -> list[dict[str, Any]]:
    """The raw logs of ``event`` (any of the three contracts) from ``from_block`` on."""
    if from_block > registry.reader.tx.block_number():
        return []
    topic = registry.reader.decoder.topics_by_name[event]
    logs: list[dict[str, Any]] = registry.rpc.request(
        "eth_getLogs",
        [{"address": registry.deployment.addresses, "fromBlock": hex(from_block),
          "toBlock": "latest", "topics": [topic]}],
    )  # fmt: skip
    return logs
