"""`registry tape check` and `registry pool report` over an indexed mirror of the session chain."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli.main import cli
from tests.kit.chain import Registry
from tests.kit.cli import registry_env, run_registry
from tests.kit.mirror import Mirror


@pytest.fixture(scope="module")
def book(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> tuple[Mirror, Path]:
    """A mirror of three pledged loans and a tape of them, the second with a wrong balance,
    and a line for a loan the chain does not know."""
    rows = []
    for _ in range(3):
        vin, _, loan, _ = registry.pledged_loan()
        rows.append((loan, vin))
    mirror = Mirror.create(registry, tmp_path_factory.mktemp("cli-tapes"))
    mirror.index()
    tape = mirror.data_dir / "pool.csv"
    lines = ["Loan ID,VIN,Balance,DPD"]
    for i, (loan, vin) in enumerate(rows):
        balance = "20000.00" if i == 1 else '"25,000.00"'
        lines.append(f"{loan},{vin.lower()},{balance},0")
    tape.write_text("\n".join(lines) + "\n")
    clean = mirror.data_dir / "clean.csv"
    clean.write_text("\n".join(lines[:2]) + "\n")
    return mirror, tape


def invoke(mirror: Mirror, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--database-url", mirror.url], catch_exceptions=False)
    return result.exit_code, result.output


def test_check_reports_each_exception_and_exits_1(
    book: tuple[Mirror, Path], registry: Registry, tmp_path: Path
) -> None:
    mirror, tape = book
    reports = ["--json", str(tmp_path / "r.json"), "--csv", str(tmp_path / "r.csv")]
    code, out = invoke(mirror, "tape", "check", str(tape), "--lender",
                       registry.cast.lender.address, "--funder", registry.cast.funder.address,
                       *reports)  # fmt: skip
    assert code == 1, out
    assert "3 rows" in out and "2 clean rows; 1 rows with 1 exceptions" in out
    assert "balance_mismatch" in out and "the chain's 25,000.00" in out
    body = json.loads((tmp_path / "r.json").read_text())
    assert body["summary"]["by_kind"]["balance_mismatch"] == {
        "count": 1,
        "balance_cents": 2_000_000,
    }
    assert body["id"] in out and body["block"] > 0
    (line,) = csv.DictReader((tmp_path / "r.csv").open())
    assert line["kind"] == "balance_mismatch" and line["row"] == "3"


def test_pledged_to_another_funder(book: tuple[Mirror, Path], registry: Registry) -> None:
    mirror, tape = book
    code, out = invoke(mirror, "tape", "check", str(tape), "--funder",
                       registry.cast.funder2.address)  # fmt: skip
    assert code == 1
    assert out.count("pledged_elsewhere") >= 1 and "3 rows with 4 exceptions" in out


def test_a_clean_tape_exits_0(book: tuple[Mirror, Path], registry: Registry) -> None:
    mirror, tape = book
    code, out = invoke(mirror, "tape", "check", str(tape.with_name("clean.csv")),
                       "--funder", registry.cast.funder.address)  # fmt: skip
    assert code == 0, out
    assert "1 clean rows; 0 rows" in out


def test_not_a_tape_and_bad_options_are_refused(book: tuple[Mirror, Path], tmp_path: Path) -> None:
    mirror, _ = book
    junk = tmp_path / "photo.csv"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    env = registry_env(database_url=mirror.url, data_dir=mirror.data_dir)
    done = run_registry("tape", "check", str(junk), env=env)
    assert done.returncode == 1 and "error: not a loan tape" in done.stderr
    done = run_registry("tape", "check", str(junk), "--lender", "0x123", env=env)
    assert done.returncode == 1 and "lender address" in done.stderr
    done = run_registry("tape", "check", str(tmp_path / "missing.csv"), env=env)
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_pool_report(book: tuple[Mirror, Path], registry: Registry) -> None:
    mirror, _ = book
    code, out = invoke(mirror, "pool", "report", registry.cast.funder.address, "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["funder"] == registry.cast.funder.address.lower()
    assert report["loans"] >= 3 and report["outstanding"]["loans"] >= 3
    code, out = invoke(mirror, "pool", "report", registry.cast.funder.address)
    assert code == 0 and "days past due" in out and "120+" in out
