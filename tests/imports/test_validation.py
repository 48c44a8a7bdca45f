"""Validation first: a 1,000-row loan book with 25 planted bad rows, and the titles and liens
files' own refusals. Exactly the bad rows are rejected, each with its reason, and none of
them reaches the chain."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from registry.contracts import brand_mask
from registry.enums import LoanState, TitleStatus
from registry.vin import generate_vin
from tests.kit.chain import Registry, ref
from tests.kit.imports import (
    LOAN_HEADER,
    Importer,
    PastLoan,
    event_logs,
    read_rejects,
    write_csv,
)
from tests.kit.vins import fresh_vin, fresh_vins


def _titled(registry: Registry, n: int, *, liens: bool) -> list[str]:
    vins = fresh_vins(n)
    owner = registry.cast.owner.address
    for start in range(0, n, 250):
        chunk = vins[start : start + 250]
        registry.registrar.issue_titles_batch(chunk, [owner] * len(chunk), [100] * len(chunk))
        if liens:
            registry.lender.register_liens_batch(chunk, [False] * len(chunk))
    return vins


def _bad_check_digit() -> str:
    vin = generate_vin(random.Random(), wmi="1HG")
    wrong = "0" if vin[8] != "0" else "1"
    return vin[:8] + wrong + vin[9:]


@pytest.fixture
def importer(registry: Registry, tmp_path: Path) -> Importer:
    return Importer(registry, tmp_path / "data")


def test_a_thousand_loans_with_25_bad_rows(
    registry: Registry, importer: Importer, tmp_path: Path
) -> None:
    today = registry.today()
    vins = _titled(registry, 1000, liens=True)
    rows = [PastLoan.of(v, f"BOOK-{i}", today, months_ago=8, paid=6).row()
            for i, v in enumerate(vins)]  # fmt: skip
    bad: dict[int, str] = {}  # index in rows -> words the reason must contain

    def plant(i: int, why: str, **changes: str) -> None:
        rows[i] = rows[i] | changes
        bad[i] = why

    good = vins[0]
    plant(10, "17", vin=good[:16])
    plant(20, "17", vin=good + "X")
    plant(30, "I, O and Q never appear", vin="O" + vins[30][1:])
    plant(40, "I, O and Q never appear", vin=vins[40][:5] + "I" + vins[40][6:])
    plant(50, "check digit", vin=_bad_check_digit())
    plant(60, "check digit", vin=_bad_check_digit())
    plant(70, "has no title", vin=fresh_vin())
    plant(80, "has no title", vin=fresh_vin())
    plant(90, "appears twice", vin=vins[1].lower())
    plant(100, "appears twice", vin=vins[2])
    stolen_junk = [vins[110], vins[120], vins[130], vins[140]]
    for vin, brand in zip(stolen_junk, ["STOLEN", "STOLEN", "JUNK", "JUNK"], strict=True):
        registry.registrar.apply_brand(vin, brand)
    bad |= {110: "stolen", 120: "stolen", 130: "junk", 140: "junk"}
    plant(150, "principal", principal="0.00")
    plant(160, "principal", principal="2000000000000000.00")
    plant(170, "annual_rate", rate="1.5")
    plant(180, "annual_rate", rate="-0.01")
    plant(190, "term", term="0")
    plant(200, "term", term="601")
    plant(210, "unknown schedule kind", kind="weekly")
    plant(220, "unknown schedule kind", kind="balloon")
    financed = [registry.reader.liens_held_on([vins[i]], registry.cast.lender.address)[0]
                for i in (230, 240)]  # fmt: skip
    existing = [registry.loan(lien) for lien in financed]
    bad |= {230: "already secures loan", 240: "already secures loan"}
    plant(250, "before the disbursement", payments=f"2001-01-01:100.00:X;{rows[250]['payments']}")
    assert len(bad) == 25
    file = write_csv(tmp_path / "book.csv", rows, LOAN_HEADER)
    start = registry.reader.tx.block_number()

    done = importer.run("loans", file, "--rejects", str(tmp_path / "rejects.csv"))
    assert done.returncode == 1, done.stderr
    assert "1,000 rows, 975 valid, 25 rejected" in done.stdout
    rejects = read_rejects(tmp_path / "rejects.csv")
    assert set(rejects) == {i + 2 for i in bad}  # row numbers: the header is row 1
    for i, words in bad.items():
        assert words in rejects[i + 2], (i, rejects[i + 2])
    logs = event_logs(registry, "LoanOriginated", start + 1)
    lien_of = {int(log["topics"][2], 16) for log in logs}
    assert len(logs) == 975
    bad_liens = registry.reader.liens_held_on(
        [vins[i] for i in bad if i not in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)],
        registry.cast.lender.address,
    )
    assert not lien_of & set(bad_liens)  # none of the bad rows reached the chain
    assert [registry.reader.loan_of_lien(lien) for lien in financed] == existing
    assert {registry.reader.loan(registry.reader.loan_of_lien(lien)).state
            for lien in list(lien_of)[:20]} == {LoanState.ACTIVE}  # fmt: skip


def test_titles_file_refusals(registry: Registry, importer: Importer, tmp_path: Path) -> None:
    owner = registry.cast.owner.address
    vins = fresh_vins(60)
    rows = [{"vin": v, "owner": owner, "odometer": "5,000", "brands": ""} for v in vins]
    rows[3]["vin"], rows[4]["vin"] = registry.title(), registry.title()  # already issued
    rows[5]["brands"], rows[6]["brands"] = "SALVAGE;PURPLE", "wrecked"
    rows[7]["owner"] = "0x1234"
    rows[8]["odometer"] = "-3"
    rows[9]["brands"] = "REBUILT"  # rebuilt without salvage
    rows[10]["brands"] = "flood | Junk"
    file = write_csv(tmp_path / "titles.csv", rows, ["Vin", "OWNER", " Odometer ", "brands"])
    done = importer.run("titles", file, signer=0)
    assert done.returncode == 1, done.stderr
    rejects = read_rejects(file.with_name("titles.csv.rejects.csv"))
    assert sorted(rejects) == [5, 6, 7, 8, 9, 10, 11]
    assert "already has a title" in rejects[5] and "already has a title" in rejects[6]
    assert "unknown brand 'PURPLE'" in rejects[7] and "unknown brand 'wrecked'" in rejects[8]
    assert "owner address" in rejects[9] and "odometer" in rejects[10]
    assert "rebuilt needs salvage" in rejects[11]
    refused = [rows[i]["vin"] for i in (5, 6, 7, 8, 9)]  # rejected rows: no title
    assert {status for status, _, _ in registry.reader.titles_of(refused)} == {TitleStatus.NONE}
    junk = registry.reader.title(vins[10])
    assert [b.lower() for b in junk.brands] == ["flood", "junk"]
    assert registry.reader.titles_of([vins[0]])[0][1] == 0
    assert registry.reader.title(vins[0]).odometer == 5000


def test_liens_file_refusals(registry: Registry, importer: Importer, tmp_path: Path) -> None:
    vins = _titled(registry, 40, liens=False)
    mine = vins[:2]
    for vin in mine:
        registry.lien(vin)
    registry.lien(vins[2], registry.lender2)  # another lender's lien: no obstacle
    stolen = vins[3]
    registry.registrar.issue_titles_batch([fresh_vin()], [registry.cast.owner.address], [0],
                                          [brand_mask(["STOLEN"])])  # fmt: skip
    registry.registrar.apply_brand(stolen, "STOLEN")
    rows = [{"vin": v, "floor_plan": "yes" if i % 2 else "no"} for i, v in enumerate(vins)]
    rows[5]["floor_plan"] = "maybe"
    rows.append({"vin": fresh_vin(), "floor_plan": "no"})
    file = write_csv(tmp_path / "liens.csv", rows, ["VIN", "Floor Plan"])
    dry = importer.run("liens", file, "--dry-run")
    assert dry.returncode == 1 and "dry run" in dry.stdout, dry.stderr
    assert registry.reader.liens_held_on([vins[10]], registry.cast.lender.address) == [0]
    done = importer.run("liens", file)
    assert done.returncode == 1, done.stderr
    rejects = read_rejects(file.with_name("liens.csv.rejects.csv"))
    assert sorted(rejects) == [2, 3, 5, 7, 42]
    assert "you already hold lien" in rejects[2] and "you already hold lien" in rejects[3]
    assert "stolen" in rejects[5] and "yes/no" in rejects[7] and "no title" in rejects[42]
    held = registry.reader.liens_held_on(vins, registry.cast.lender.address)
    assert all(held[i] for i in range(len(vins)) if i not in (3, 5))
    assert registry.reader.lien(held[9]).floor_plan is True
    assert registry.reader.lien(held[8]).floor_plan is False


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"vin,colour\n1HGCM82633A004352,red\n", "unknown column(s) 'colour'"),
        (b"owner\n0xabc\n", "missing column(s) vin"),
        (b"vin,owner\n", "no rows"),
        (b'{"vin": "1HGCM82633A004352"}\n[1, 2]\n', "not a JSON object"),
    ],
)
def test_a_file_that_is_not_what_it_claims_gets_one_error(
    importer: Importer, tmp_path: Path, content: bytes, words: str
) -> None:
    file = tmp_path / "titles.csv"
    file.write_bytes(content)
    done = importer.run("titles", file, signer=0)
    assert done.returncode == 1
    assert words in done.stderr and done.stderr.count("error:") == 1, done.stderr
    assert not file.with_name("titles.csv.rejects.csv").exists()
    assert not (importer.data_dir / "imports").exists()  # nothing journaled, nothing sent


def test_json_lines_with_a_payment_list(
    registry: Registry, importer: Importer, tmp_path: Path
) -> None:
    vins = _titled(registry, 3, liens=True)
    today = registry.today()
    loans = [PastLoan.of(v, f"J-{i}-{ref().hex()[:6]}", today, months_ago=5, paid=3)
             for i, v in enumerate(vins)]  # fmt: skip
    lines = []
    for loan in loans:
        row: dict[str, object] = dict(loan.row())
        row["payments"] = [{"date": d.isoformat(), "amount": a, "ref": "p"}
                           for d, a in loan.payments]  # fmt: skip
        lines.append(row)
    file = tmp_path / "loans.jsonl"
    from tests.kit.imports import write_jsonl

    write_jsonl(file, lines)
    done = importer.run("loans", file)
    assert done.returncode == 0, done.stderr
    assert "3 rows, 3 valid, 0 rejected" in done.stdout
    held = registry.reader.liens_held_on(vins, registry.cast.lender.address)
    states = registry.reader.loans_of_liens(held)
    assert [s for _, s in states] == [LoanState.ACTIVE] * 3
