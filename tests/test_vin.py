"""ISO 3779 VIN validation, check digit, bytes32 encoding and generation.

The check digit is compared with the maintained ``vininfo`` library's own computation over
many generated VINs, so a change to our transliteration table or weights fails here.
"""

from __future__ import annotations

import random

import pytest
import vininfo
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from vininfo.dicts import WMI as VININFO_WMIS

from registry.errors import InvalidInput, InvalidVin
from registry.vin import (
    ALLOWED,
    MODEL_YEAR_CODES,
    TRANSLITERATION,
    UNKNOWN,
    compute_check_digit,
    describe_vin,
    generate_vin,
    is_valid_vin,
    model_year_code,
    validate_vin,
    vin_from_bytes32,
    vin_to_bytes32,
)

# Real VINs with a correct check digit (the first is the usual textbook example).
REAL_VINS = [
    "1HGCM82633A004352",  # Honda Accord, check digit 3
    "11111111111111111",  # sum 89, 89 % 11 = 1
    "1M8GDM9AXKP042788",  # Motor Coach Industries, check digit X
    "JHMCM56557C404453",  # Honda, Japan (passes the check too)
]


def _error(vin: str, check_digit: bool | None = None) -> InvalidVin:
    with pytest.raises(InvalidVin) as info:
        validate_vin(vin, check_digit=check_digit)
    return info.value


@pytest.mark.parametrize("vin", REAL_VINS)
def test_real_vins_validate(vin: str) -> None:
    assert validate_vin(vin) == vin
    assert validate_vin(vin, check_digit=True) == vin
    assert compute_check_digit(vin) == vin[8]


def test_normalizes_whitespace_and_case() -> None:
    assert validate_vin("  1hgcm82633a004352\n") == "1HGCM82633A004352"


def test_errors_are_value_errors() -> None:
    err = _error("1HGCM82633A00435")
    assert isinstance(err, InvalidInput)
    assert isinstance(err, ValueError)
    assert err.code == "invalid_vin"


def test_too_short() -> None:
    err = _error("1HGCM82633A00435")
    assert str(err) == "VIN 1HGCM82633A00435 is 16 characters long; a VIN has exactly 17"
    assert err.details["reason"] == "length"
    assert err.details["expected"] == 17
    assert err.details["found"] == 16


def test_too_long() -> None:
    err = _error("1HGCM82633A0043521")
    assert str(err) == "VIN 1HGCM82633A0043521 is 18 characters long; a VIN has exactly 17"


def test_empty() -> None:
    err = _error("   ")
    assert str(err) == "VIN is empty; a VIN has exactly 17 characters"
    assert err.details["found"] == 0


def test_letter_o() -> None:
    err = _error("1HGCO82633A004352")
    assert str(err) == "VIN contains the letter O at position 5; I, O and Q never appear in a VIN"
    assert err.details["reason"] == "character"
    assert err.details["position"] == 5
    assert err.details["found"] == "O"


def test_several_forbidden_letters() -> None:
    err = _error("1HGIO82633A00435Q")
    assert str(err) == (
        "VIN contains the letter I at position 4, the letter O at position 5 and "
        "the letter Q at position 17; I, O and Q never appear in a VIN"
    )
    assert err.details["positions"] == (4, 5, 17)
    assert err.details["characters"] == ("I", "O", "Q")


def test_other_bad_characters() -> None:
    err = _error("1HG-M82633A00 352")
    assert str(err) == (
        "VIN contains '-' at position 4 and a space at position 14; "
        "a VIN uses only digits 0-9 and letters A-Z except I, O and Q"
    )
    assert err.details["position"] == 4


def test_non_ascii_letter() -> None:
    err = _error("1HGCÉ82633A004352")
    assert err.details["reason"] == "character"
    assert err.details["found"] == "É"


def test_not_a_string() -> None:
    err = _error(12345)  # type: ignore[arg-type]
    assert err.details["reason"] == "type"


def test_check_digit_failure() -> None:
    err = _error("1HGCM82633A004353")
    assert str(err) == (
        "VIN 1HGCM82633A004353 fails its check digit: position 9 is '3' "
        "but the other characters give '5'"
    )
    assert err.details == {
        "reason": "check_digit",
        "vin": "1HGCM82633A004353",
        "position": 9,
        "expected": "5",
        "found": "3",
    }


def test_check_digit_x_expected() -> None:
    err = _error("1M8GDM9A1KP042788")
    assert err.details["expected"] == "X"
    assert err.details["found"] == "1"


def test_check_digit_optional_outside_north_america() -> None:
    # A European VIN whose position 9 is not a check digit (e.g. a letter).
    euro = "WBA3A5C5ZDF356789"
    assert compute_check_digit(euro) != "Z"
    assert validate_vin(euro) == euro
    assert validate_vin(euro, check_digit=False) == euro
    assert _error(euro, check_digit=True).details["reason"] == "check_digit"


def test_check_digit_can_be_skipped_in_north_america() -> None:
    assert validate_vin("1HGCM82633A004353", check_digit=False) == "1HGCM82633A004353"


@pytest.mark.parametrize("first", list("12345"))
def test_north_american_prefixes_enforce_check_digit(first: str) -> None:
    vin = first + "HGCM82603A004352"
    wrong = "0" if compute_check_digit(vin) != "0" else "1"
    vin = vin[:8] + wrong + vin[9:]
    assert _error(vin).details["reason"] == "check_digit"


def test_is_valid_vin() -> None:
    assert is_valid_vin("1HGCM82633A004352")
    assert not is_valid_vin("1HGCM82633A004353")


def test_compute_check_digit_ignores_position_9() -> None:
    assert compute_check_digit("1HGCM826Z3A004352") == "3"
    with pytest.raises(InvalidVin):
        compute_check_digit("1HGCM826")


def test_transliteration_table() -> None:
    assert set(TRANSLITERATION) == ALLOWED
    assert "I" not in TRANSLITERATION and "O" not in TRANSLITERATION
    assert [TRANSLITERATION[c] for c in "AJ"] == [1, 1]
    assert [TRANSLITERATION[c] for c in "PRSZ"] == [7, 9, 2, 9]


def test_bytes32_layout() -> None:
    b = vin_to_bytes32(" 1hgcm82633a004352 ")
    assert b == b"1HGCM82633A004352" + b"\x00" * 15
    assert len(b) == 32
    assert vin_from_bytes32(b) == "1HGCM82633A004352"


def test_bytes32_rejects_invalid() -> None:
    with pytest.raises(InvalidVin):
        vin_to_bytes32("1HGCM82633A004353")
    with pytest.raises(InvalidVin):
        vin_from_bytes32(b"1HGCM82633A004352")
    with pytest.raises(InvalidVin):
        vin_from_bytes32(b"1HGCM826\x0033A004352".ljust(32, b"\x00"))
    with pytest.raises(InvalidVin):
        vin_from_bytes32(b"\xff" * 17 + b"\x00" * 15)
    with pytest.raises(InvalidVin):
        vin_from_bytes32(b"1hgcm82633a004352".ljust(32, b"\x00"))
    with pytest.raises(InvalidVin):
        vin_from_bytes32(b"\x00" * 32)


def test_model_year_code() -> None:
    assert model_year_code(1980) == "A"
    assert model_year_code(2001) == "1"
    assert model_year_code(2003) == "3"  # the Accord above
    assert model_year_code(2010) == "A"
    assert model_year_code(2019) == "K"
    assert model_year_code(2024) == "R"
    assert model_year_code(2030) == "Y"
    assert not set("IOQUZ0") & set(MODEL_YEAR_CODES)
    with pytest.raises(InvalidVin):
        model_year_code(1979)


def test_generate_vin_respects_arguments() -> None:
    vin = generate_vin(random.Random(1), wmi="5yj", year_code="R")
    assert vin.startswith("5YJ")
    assert vin[9] == "R"
    assert vin[11:].isdigit()
    assert validate_vin(vin) == vin
    with pytest.raises(InvalidVin):
        generate_vin(random.Random(1), wmi="1O1")
    with pytest.raises(InvalidVin):
        generate_vin(random.Random(1), year_code="U")


def test_generate_vin_is_deterministic() -> None:
    assert generate_vin(random.Random(7)) == generate_vin(random.Random(7))


@given(seed=st.integers(min_value=0, max_value=2**64))
def test_generated_vins_always_validate(seed: int) -> None:
    vin = generate_vin(random.Random(seed))
    assert validate_vin(vin, check_digit=True) == vin
    assert vin[9] in MODEL_YEAR_CODES


@given(seed=st.integers(min_value=0, max_value=2**64))
def test_bytes32_round_trip(seed: int) -> None:
    vin = generate_vin(random.Random(seed))
    assert vin_from_bytes32(vin_to_bytes32(vin)) == vin


NA_WMIS = ["1HG", "1FT", "2T1", "3VW", "5YJ"]


@settings(max_examples=300)
@given(
    seed=st.integers(min_value=0, max_value=2**64),
    wmi=st.sampled_from(NA_WMIS),
    position=st.integers(min_value=1, max_value=17),
    replacement=st.sampled_from(sorted(ALLOWED)),
)
def test_single_substitution_breaks_check_digit(
    seed: int, wmi: str, position: int, replacement: str
) -> None:
    """The weighted sum mod 11 catches every single substitution that changes a value.

    Elsewhere the change alters the sum by weight * delta, with weight in 1..10 and
    |delta| in 1..9, never a multiple of the prime 11. Swaps of characters with equal
    values (A/J, B/K/S, ...) are invisible by design. At position 9 any other character
    is wrong, since the check digit is compared literally. A change at position 1 may
    move the VIN out of North America (where the check is optional), so the strict
    check is asserted always and the default check only while the VIN stays 1-5.
    """
    vin = generate_vin(random.Random(seed), wmi=wmi)
    original = vin[position - 1]
    if replacement == original:
        return
    mutated = vin[: position - 1] + replacement + vin[position:]
    if position != 9 and TRANSLITERATION[replacement] == TRANSLITERATION[original]:
        assert validate_vin(mutated, check_digit=True) == mutated
        return
    with pytest.raises(InvalidVin) as info:
        validate_vin(mutated, check_digit=True)
    assert info.value.details["reason"] == "check_digit"
    if mutated[0] in "12345":
        assert not is_valid_vin(mutated)
    else:
        assert is_valid_vin(mutated)


# --- vininfo as the oracle ------------------------------------------------------------------

CHARS = sorted(ALLOWED)
NORTH_AMERICAN_FIRST = sorted("12345")
OTHER_FIRST = [c for c in CHARS if c not in NORTH_AMERICAN_FIRST]
CHECK_CHARACTERS = "0123456789X"


def _vins(first: list[str]) -> st.SearchStrategy[str]:
    """17 characters of the VIN alphabet, the first from ``first`` (any position 9)."""
    rest = st.text(alphabet=CHARS, min_size=16, max_size=16)
    return st.builds(lambda a, b: a + b, st.sampled_from(first), rest)


ANY_REGION = st.one_of(_vins(NORTH_AMERICAN_FIRST), _vins(OTHER_FIRST))


def _with_check(vin: str, check: str) -> str:
    return vin[:8] + check + vin[9:]


def vininfo_check_digit(vin: str) -> str:
    """The check digit vininfo accepts for ``vin``: the one candidate its verification passes."""
    reference = vininfo.Vin(vin)
    # vininfo skips the check for makers that do not use one (Ford Australia): not comparable
    assume(getattr(reference.assembler, "uses_sae_checkdigit", True))
    accepted = [
        c
        for c in CHECK_CHARACTERS
        if vininfo.Vin(_with_check(vin, c)).verify_checksum(check_year=False)
    ]
    assert len(accepted) == 1, f"vininfo accepts {accepted} at position 9 of {vin}"
    return accepted[0]


@settings(max_examples=400)
@given(vin=ANY_REGION)
def test_check_digit_agrees_with_vininfo(vin: str) -> None:
    assert compute_check_digit(vin) == vininfo_check_digit(vin)


@settings(max_examples=300)
@given(vin=ANY_REGION, fix=st.booleans())
def test_validation_agrees_with_vininfo(vin: str, fix: bool) -> None:
    """Half the VINs carry vininfo's check digit, the rest whatever position 9 holds."""
    if fix:
        vin = _with_check(vin, vininfo_check_digit(vin))
    holds = vininfo.Vin(vin).verify_checksum(check_year=False)
    assert is_valid_vin(vin, check_digit=True) == holds
    assert is_valid_vin(vin, check_digit=False)
    north_american = vin[0] in NORTH_AMERICAN_FIRST
    assert is_valid_vin(vin) == (holds or not north_american)


@given(seed=st.integers(min_value=0, max_value=2**64), year=st.sampled_from(MODEL_YEAR_CODES))
def test_generated_vins_pass_vininfo(seed: int, year: str) -> None:
    vin = generate_vin(random.Random(seed), year_code=year)
    assert vininfo.Vin(vin).verify_checksum(check_year=False)


# --- what the VIN says about the vehicle ---------------------------------------------------


@pytest.mark.parametrize(
    ("vin", "manufacturer", "region", "country", "years"),
    [
        ("1HGCM82633A004352", "Honda", "North America", "United States", (2003,)),
        ("JHMCM56557C404453", "Honda", "Asia", "Japan", (2007,)),
        ("WBA3A5C5ZDF356789", "BMW", "Europe", "Germany", (2013, 1983)),
        ("2T1BURHE0AC123456", "Toyota", "North America", "Canada", (2010, 1980)),
    ],
)
def test_describe_known_makers(
    vin: str, manufacturer: str, region: str, country: str, years: tuple[int, ...]
) -> None:
    d = describe_vin(vin)
    assert (d.wmi, d.manufacturer, d.region, d.country) == (vin[:3], manufacturer, region, country)
    assert (d.model_year_position, d.model_year_code, d.model_years) == (10, vin[9], years)
    assert "not part of the certificate" in d.source


def test_model_year_cycle_is_stated() -> None:
    # 'D' is 1983 and 2013: both stand, and the note says the VIN cannot tell them apart
    note = describe_vin("WBA3A5C5ZDF356789").model_year_note
    assert note == (
        "position 10 is 'D': 2013 or 1983; model-year codes repeat every 30 years "
        "and the VIN alone does not say which"
    )
    # '3' is 2003 only: 1973 predates the 17-character VIN, 2033 is still to come
    assert "2003, the only year" in describe_vin("1HGCM82633A004352").model_year_note
    # 'U' is never a model-year code
    u = describe_vin("WBA3A5C5ZUF356789")
    assert u.model_years == () and "not a model-year code" in u.model_year_note


def test_unknown_maker_is_unknown_not_an_error() -> None:
    d = describe_vin("10ZCM82633A004352")  # no maker holds WMI 10Z
    assert d.manufacturer == UNKNOWN
    assert (d.region, d.country) == ("North America", "United States")
    e = describe_vin("D0ZCM82633A004352")  # nor a region starting D
    assert (e.manufacturer, e.region, e.country) == (UNKNOWN, UNKNOWN, UNKNOWN)


def test_describe_skips_the_check_digit_but_not_validation() -> None:
    assert describe_vin("1HGCM82603A004352").manufacturer == "Honda"  # wrong check digit
    with pytest.raises(InvalidVin):
        describe_vin("1HGCM82O33A004352")


def test_every_maker_vininfo_knows_decodes() -> None:
    """Each entry of vininfo's table (and its detail decoders) on a VIN of ours."""
    rng = random.Random(11)
    wmis = sorted(w for w in VININFO_WMIS if set(w) <= ALLOWED)
    assert len(wmis) > 500
    for wmi in wmis:
        vin = (wmi + generate_vin(rng)[len(wmi) :])[:17]
        d = describe_vin(vin)
        assert d.manufacturer not in ("", UNKNOWN), vin
        assert d.wmi == vin[:3]


@settings(max_examples=300)
@given(vin=ANY_REGION)
def test_describe_never_fails_on_a_valid_vin(vin: str) -> None:
    d = describe_vin(vin)
    assert d.manufacturer and d.region and d.country
    assert all(y >= 1980 for y in d.model_years)
    assert list(d.model_years) == sorted(d.model_years, reverse=True)
    assert d.as_json()["model_years"] == list(d.model_years)
