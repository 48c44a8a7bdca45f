"""Exactly once, resumable: an import killed at random points (SIGKILL) or cut off from its
node, rerun with the same command, registers every valid row once; a second run is a no-op.

The chain here has small blocks (5 million gas), so an import takes many transactions and a
kill lands between, inside and after them.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from registry.vin import vin_to_bytes32
from tests.kit.chain import Registry, private_registry
from tests.kit.imports import LOAN_HEADER, Importer, PastLoan, event_logs, write_csv
from tests.kit.vins import fresh_vins

GAS_LIMIT = 5_000_000


@pytest.fixture(scope="module")
def small_blocks() -> Iterator[Registry]:
    with private_registry(gas_limit=GAS_LIMIT) as reg:
        yield reg


def _titles_file(registry: Registry, path: Path, n: int) -> tuple[Path, list[str]]:
    vins = fresh_vins(n)
    owner = registry.cast.owner.address
    rows = [{"vin": v, "owner": owner, "odometer": str(i), "brands": "flood" if i % 7 else ""}
            for i, v in enumerate(vins)]  # fmt: skip
    return write_csv(path, rows, ["vin", "owner", "odometer", "brands"]), vins


def _kill_and_rerun(
    importer: Importer, kind: str, file: Path, signer: int, seed: int,
    landed: Callable[[], int], total: int,
) -> None:  # fmt: skip
    """Starts the import and SIGKILLs it at a random moment once it sends, ten times (each
    start a rerun of the last), then runs it to the end; most kills must land mid-import."""
    rng = random.Random(seed)
    midway = 0
    for _ in range(10):
        before = _journaled(importer, "sent")
        proc = importer.start(kind, file, signer=signer)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if _journaled(importer, "sent") > before:
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        midway += 0 < landed() < total
    assert midway >= 5, f"only {midway} of 10 kills landed mid-import"
    done = importer.run(kind, file, signer=signer)
    assert done.returncode == 0, done.stderr


def _journaled(importer: Importer, what: str) -> int:
    """How many journal entries of kind ``what`` (sent, done, lost) the imports wrote."""
    return sum(p.read_text().count(f'"t":"{what}"')
               for p in (importer.data_dir / "imports").glob("*.jsonl"))  # fmt: skip


def test_titles_killed_ten_times_land_exactly_once(small_blocks: Registry, tmp_path: Path) -> None:
    registry = small_blocks
    importer = Importer(registry, tmp_path / "data")
    file, vins = _titles_file(registry, tmp_path / "titles.csv", 6000)
    start = registry.reader.tx.block_number() + 1

    def landed() -> int:
        return len(event_logs(registry, "TitleIssued", start))

    _kill_and_rerun(importer, "titles", file, 0, 11, landed, len(vins))
    issued = Counter(log["topics"][1] for log in event_logs(registry, "TitleIssued", start))
    assert len(issued) == len(vins) and set(issued.values()) == {1}
    assert {"0x" + vin_to_bytes32(v).hex() for v in vins} == set(issued)
    again = importer.run("titles", file, signer=0)
    assert again.returncode == 0 and "nothing to import" in again.stdout, again.stdout
    assert len(event_logs(registry, "TitleIssued", start)) == len(vins)


def test_loans_killed_ten_times_land_exactly_once(small_blocks: Registry, tmp_path: Path) -> None:
    registry = small_blocks
    importer = Importer(registry, tmp_path / "data")
    titles, vins = _titles_file(registry, tmp_path / "titles.csv", 400)
    assert importer.run("titles", titles, signer=0).returncode == 0
    liens = write_csv(tmp_path / "liens.csv", [{"vin": v} for v in vins], ["VIN"])
    assert importer.run("liens", liens).returncode == 0
    today = registry.today()
    book = [PastLoan.of(v, f"K-{i}", today, months_ago=14, paid=12) for i, v in enumerate(vins)]
    file = write_csv(tmp_path / "loans.csv", [b.row() for b in book], LOAN_HEADER)
    start = registry.reader.tx.block_number() + 1

    def landed() -> int:  # originations, disbursements and payments
        return sum(len(event_logs(registry, e, start))
                   for e in ("LoanOriginated", "LoanDisbursed", "LoanPaymentRecorded"))  # fmt: skip

    _kill_and_rerun(importer, "loans", file, 1, 7, landed, 14 * len(vins))
    originated = event_logs(registry, "LoanOriginated", start)
    assert len(originated) == len(vins)
    assert len({log["topics"][2] for log in originated}) == len(vins)  # one loan per lien
    disbursed = Counter(log["topics"][1] for log in event_logs(registry, "LoanDisbursed", start))
    assert len(disbursed) == len(vins) and set(disbursed.values()) == {1}
    paid = Counter(log["topics"][1] for log in event_logs(registry, "LoanPaymentRecorded", start))
    assert len(paid) == len(vins) and set(paid.values()) == {12}
    records = list((importer.data_dir / "loans").glob("*/loan-*.json"))
    assert len(records) == len(vins)
    again = importer.run("loans", file)
    assert again.returncode == 0 and "nothing to import" in again.stdout
    assert len(event_logs(registry, "LoanPaymentRecorded", start)) == 12 * len(vins)


def test_the_node_stopped_mid_import(tmp_path: Path) -> None:
    with private_registry(state_file=tmp_path / "chain.json", gas_limit=GAS_LIMIT) as registry:
        importer = Importer(registry, tmp_path / "data")
        file, vins = _titles_file(registry, tmp_path / "titles.csv", 3000)
        start = registry.reader.tx.block_number() + 1
        proc = importer.start("titles", file, signer=0)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _journaled(importer, "done") < 3:
            time.sleep(0.05)  # until a few batches are confirmed
        registry.node.stop()
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 3, err
        assert "run the same command again" in err and "Traceback" not in err
        registry.node.start()
        rerun = importer.run("titles", file, signer=0)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        issued = Counter(log["topics"][1] for log in event_logs(registry, "TitleIssued", start))
        assert len(issued) == len(vins) and set(issued.values()) == {1}
