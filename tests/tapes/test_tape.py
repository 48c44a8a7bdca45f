"""Reading loan tapes: lenient headers, lowercase VINs, decimal amounts; clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.tapes import TapeError, parse_tape, read_tape

VIN = "1HGCM82633A004352"
REF = "0x" + "ab" * 32


def test_headers_spaces_case_and_amounts_are_read_leniently() -> None:
    data = (
        "\ufeff Loan Number , Loan-Ref,VIN ,Current Balance, Days Past Due\n"
        f'17,,{VIN.lower()}, "$12,345.67" ,3\n'
        f", {REF.upper().replace('0X', '0x')} , {VIN} ,0.5,\n"
        "\n"
        f"18,,{VIN},100,0\n"
    ).encode()
    tape = parse_tape(data, "t.csv")
    first, second, third = tape.rows
    assert (first.row, first.loan_id, first.vin, first.balance_cents, first.dpd) == (
        2, 17, VIN, 1_234_567, 3,
    )  # fmt: skip
    assert (second.loan_id, second.loan_ref, second.balance_cents, second.dpd) == (None, REF, 50, 0)
    assert third.row == 5 and third.balance_cents == 10_000  # a blank line is not a row
    assert len(tape.sha256) == 64 and tape.name == "t.csv"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", ["not a loan tape", "empty"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", ["not a loan tape", "UTF-8"]),
        (b"name,address\nAda,London\n", ["not a loan tape", "loan_id or loan_ref", "vin"]),
        (b"loan_id,vin\n1,1HGCM82633A004352\n", ["not a loan tape", "balance"]),
        (b"loan,loan id,vin,balance\n", ["row 1", "two columns mean loan_id"]),
    ],
)
def test_a_file_that_is_not_a_tape_is_refused_clearly(data: bytes, words: list[str]) -> None:
    with pytest.raises(TapeError) as err:
        parse_tape(data)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (f"x1,{VIN},10", ["row 3", "loan id 'x1'"]),
        (f",{VIN},10", ["row 3", "no loan id"]),
        (f"2,{VIN},ten", ["row 3", "balance 'ten'"]),
        (f"2,{VIN},10.001", ["row 3", "whole cents"]),
        (f"2,{VIN},-5", ["row 3", "zero or more"]),
        (f"2,{VIN},10,3.5", ["row 3", "days past due '3.5'"]),
        ("2,1HGCM82633A004353,10", ["row 3", "check digit"]),
        ("2,1HGCM8263,10", ["row 3", "17"]),
        ("2", ["row 3", "VIN is empty"]),
    ],
)
def test_a_bad_row_is_named_with_what_is_wrong(row: str, words: list[str]) -> None:
    data = f"loan_id,vin,balance,dpd\n1,{VIN},5,0\n{row}\n".encode()
    with pytest.raises(TapeError) as err:
        parse_tape(data)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(TapeError, match="cannot read the tape"):
        read_tape(tmp_path / "none.csv")
