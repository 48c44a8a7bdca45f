"""The tape check on a real chain: a 2,000-row tape with every kind of exception planted.

The book (``tests.kit.tapes.planted_book``) decides what each row must raise from what it
planted; the check must find exactly that - no more (near misses and clean rows stay clean),
no less - with details that name what is wrong, and the same answer on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.db.scratch import scratch_database
from registry.enums import TapeException as K
from registry.queries import snapshot_connection
from registry.tapes import TapeResult, check_tape, parse_tape
from tests.kit.chain import Registry, private_registry
from tests.kit.mirror import Mirror
from tests.kit.tapes import PER_KIND, PlantedBook, planted_book


@pytest.fixture(scope="module")
def chain() -> Iterator[Registry]:
    with private_registry() as reg:
        yield reg


@pytest.fixture(scope="module")
def book(chain: Registry) -> PlantedBook:
    return planted_book(chain, 2_000)


@pytest.fixture(scope="module")
def mirror(chain: Registry, book: PlantedBook, tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    m = Mirror.create(chain, tmp_path_factory.mktemp("tapes"), risk=True)
    m.index()
    return m


def run_check(mirror: Mirror, book: PlantedBook, **options: object) -> TapeResult:
    tape = parse_tape(book.csv(), "pool-7.csv")
    with snapshot_connection(mirror.engine) as conn:
        return check_tape(conn, tape, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def result(mirror: Mirror, book: PlantedBook) -> TapeResult:
    return run_check(mirror, book, lender=book.lender, funder=book.funder)


def test_the_tape_has_2000_rows_and_every_kind_planted_five_times(book: PlantedBook) -> None:
    assert len(book.rows) == 2_000
    planted = Counter(kind for _, kind in book.expected())
    assert all(planted[k] >= PER_KIND for k in K), planted


def test_finds_exactly_the_planted_exceptions(result: TapeResult, book: PlantedBook) -> None:
    found = {(f.row, f.kind) for f in result.findings}
    expected = book.expected()
    missed, extra = sorted(expected - found), sorted(found - expected)
    messages = {(f.row, f.kind): f.message for f in result.findings}
    assert not missed, f"missed: {missed[:10]}"
    assert not extra, f"false positives: {[messages[e] for e in extra[:10]]}"
    assert len(result.findings) == len(expected)  # one finding per (row, kind)


def test_near_misses_and_clean_rows_stay_clean(result: TapeResult, book: PlantedBook) -> None:
    flagged = {f.row for f in result.findings}
    for what, indexes in book.near_misses.items():
        assert len(indexes) >= PER_KIND
        assert not flagged & {i + 2 for i in indexes}, what
    clean = [i for i, r in enumerate(book.rows) if not r.expected]
    assert result.body["summary"]["clean_rows"] == len(clean) > 1_800


def test_details_name_what_is_wrong(result: TapeResult, book: PlantedBook, chain: Registry) -> None:
    by_kind: dict[K, list] = {}
    for f in result.findings:
        by_kind.setdefault(f.kind, []).append(f)
    for f in by_kind[K.OTHER_LENDER_LIEN]:
        assert f.details["holder"] == book.other_lender
        assert f.details["holder_name"] == "Second Credit Union"
        assert f.details["registered_block"] > 0 and f.details["registered_at"] > 0
        assert book.other_lender in f.message and "registered in block" in f.message
        assert "Second Credit Union" in f.message and " UTC)" in f.message
    for f in by_kind[K.NOT_FIRST_PRIORITY]:
        assert f.details["priority"] == 2
    for f in by_kind[K.VIN_MISMATCH]:
        row = book.rows[f.row - 2]
        on_chain = chain.reader.lien(chain.reader.loan(int(row.loan)).lien_id).vin
        assert f.details["chain_vin"] == on_chain != row.vin
    for f in by_kind[K.BALANCE_MISMATCH]:
        row = book.rows[f.row - 2]
        assert f.details["tape_balance_cents"] == row.balance_cents
        assert f.details["chain_balance_cents"] > row.balance_cents
    for f in by_kind[K.PLEDGED_ELSEWHERE]:
        assert f.details["funder"] == book.other_funder and f.details["pledge_id"] > 0
        assert book.other_funder in f.message
    for f in by_kind[K.DPD_MISMATCH]:
        assert {f.details["tape_dpd"], f.details["chain_dpd"]} & {0}
    assert {f.details["state"] for f in by_kind[K.CLOSED_ON_CHAIN]} == {"PAID_OFF", "CHARGED_OFF"}
    assert {f.details["status"] for f in by_kind[K.TITLE_JUNK]} == {"SCRAPPED"}
    assert "FLOOD" in {b for f in by_kind[K.TITLE_BRANDED] for b in f.details["brands"]}
    for f in by_kind[K.DUPLICATE_LOAN] + by_kind[K.DUPLICATE_VIN]:
        (other,) = f.details["rows"]
        twin = book.rows[other - 2]
        assert twin.vin == f.vin and f.kind in twin.expected


def test_summary_counts_and_sums_the_balance_of_each_kind(
    result: TapeResult, book: PlantedBook
) -> None:
    summary = result.body["summary"]
    for kind in K:
        rows = [r for r in book.rows if kind in r.expected]
        assert summary["by_kind"][kind] == {
            "count": len(rows),
            "balance_cents": sum(r.balance_cents for r in rows),
        }, kind
    assert summary["rows"] == 2_000
    assert summary["balance_cents"] == sum(r.balance_cents for r in book.rows)
    assert summary["rows_with_exceptions"] == sum(1 for r in book.rows if r.expected)


def test_the_result_names_its_block_and_an_id_of_its_content(
    result: TapeResult, mirror: Mirror, book: PlantedBook
) -> None:
    from registry.indexer import latest_state

    state = latest_state(mirror.engine, mirror.registry.deployment)
    assert state is not None
    assert result.body["block"] == state.indexed_block
    assert result.body["tape"]["sha256"] and result.id.startswith("0x") and len(result.id) == 66
    again = run_check(mirror, book, lender=book.lender, funder=book.funder)
    assert again.id == result.id  # a digest of the content: the same check, the same id
    without_lender = run_check(mirror, book, funder=book.funder)  # each loan's servicer
    assert without_lender.body["exceptions"] == result.body["exceptions"]
    assert without_lender.id != result.id  # but the result says who was asked about


def test_json_and_csv_reports(result: TapeResult, tmp_path: Path) -> None:
    result.write(tmp_path / "r.json", tmp_path / "r.csv")
    assert json.loads((tmp_path / "r.json").read_text()) == result.body
    lines = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert len(lines) == len(result.findings)
    first = result.findings[0]
    assert lines[0]["row"] == str(first.row) and lines[0]["kind"] == first.kind
    assert json.loads(lines[0]["details"]) == first.details
    assert not list(tmp_path.glob("*.part"))


def test_the_same_result_on_postgresql(
    chain: Registry, book: PlantedBook, result: TapeResult, tmp_path: Path
) -> None:
    with scratch_database("test") as url:
        pg = Mirror.create(chain, tmp_path, url, risk=True)
        pg.index()
        on_pg = run_check(pg, book, lender=book.lender, funder=book.funder)
        pg.engine.dispose()
    assert on_pg.body == result.body


def test_a_row_naming_a_loan_by_id_and_reference(mirror: Mirror) -> None:
    from sqlalchemy import select

    from registry.db.models import Loan

    loans = Loan.__table__  # type: ignore[attr-defined]
    with mirror.engine.connect() as conn:
        (a, ref_a, vin_a), (b, ref_b, _) = conn.execute(
            select(loans.c.loan_id, loans.c.loan_ref, loans.c.vin).order_by(loans.c.loan_id)
            .limit(2)
        ).all()  # fmt: skip
    unknown = "0x" + "7" * 64
    data = f"loan_id,loan_ref,vin,balance\n{a},{ref_a},{vin_a},0\n{a},{ref_b},{vin_a},0\n"
    data += f"{a},{unknown},{vin_a},0\n"
    with snapshot_connection(mirror.engine) as conn:
        result = check_tape(conn, parse_tape(data.encode()))
    by_row = {f.row: f for f in result.findings if f.kind is K.LOAN_UNKNOWN}
    assert sorted(by_row) == [3, 4]  # row 2 names the loan both ways alike
    assert by_row[3].details == {"ref_loan_id": b} and f"loan {b}'s" in by_row[3].message
    assert by_row[4].details == {"ref_loan_id": None} and "no loan's" in by_row[4].message


def test_an_empty_mirror_is_not_ready(tmp_path: Path) -> None:
    from registry.errors import MirrorNotReady
    from tests.kit.mirror import migrated_engine

    engine = migrated_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    tape = parse_tape(b"loan_id,vin,balance\n1,1HGCM82633A004352,10\n")
    with snapshot_connection(engine) as conn, pytest.raises(MirrorNotReady, match="indexer"):
        check_tape(conn, tape)
