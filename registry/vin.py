"""ISO 3779 vehicle identification numbers: validation, check digit, bytes32 encoding.

A VIN is 17 characters from 0-9 and A-Z without I, O and Q. Position 9 is a check digit
(ISO 3779 / 49 CFR 565): mandatory in North America (WMI starting 1-5), optional elsewhere.
On chain a VIN is a ``bytes32``: its ASCII bytes, left-aligned and zero-padded.

:func:`describe_vin` decodes what the VIN itself says (manufacturer, region, model year)
with the maintained ``vininfo`` library, for display beside a title check.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from registry.errors import InvalidVin

VIN_LENGTH = 17
ALLOWED = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")
FORBIDDEN_LETTERS = frozenset("IOQ")

#: Value of each allowed character in the check-digit sum.
TRANSLITERATION: dict[str, int] = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
#: Weight of each position (1-based position = index + 1); position 9 weighs 0.
WEIGHTS: tuple[int, ...] = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
CHECK_POSITION = 9

#: Model-year codes at position 10, a 30-year cycle starting 1980 (A) / 2010 (A).
MODEL_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
NORTH_AMERICA_PREFIXES = frozenset("12345")

#: Real-looking world manufacturer identifiers for demo data.
SAMPLE_WMIS: tuple[str, ...] = (
    "1HG",  # Honda, USA
    "1FT",  # Ford trucks, USA
    "1G1",  # Chevrolet, USA
    "2T1",  # Toyota, Canada
    "3VW",  # Volkswagen, Mexico
    "5YJ",  # Tesla, USA
    "JHM",  # Honda, Japan
    "JTD",  # Toyota, Japan
    "WBA",  # BMW, Germany
    "WVW",  # Volkswagen, Germany
    "VF1",  # Renault, France
    "SAL",  # Land Rover, UK
)
_VDS_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def normalize_vin(vin: str) -> str:
    """Strip surrounding whitespace and uppercase."""
    if not isinstance(vin, str):
        raise InvalidVin(
            f"a VIN must be text, not {type(vin).__name__}", reason="type", found=repr(vin)
        )
    return vin.strip().upper()


def is_north_american(vin: str) -> bool:
    """True when the WMI's first character places the maker in North America (1-5)."""
    return vin[:1] in NORTH_AMERICA_PREFIXES


def _check_length(vin: str) -> None:
    if len(vin) == VIN_LENGTH:
        return
    if not vin:
        message = "VIN is empty; a VIN has exactly 17 characters"
    else:
        message = f"VIN {vin} is {len(vin)} characters long; a VIN has exactly 17"
    raise InvalidVin(message, reason="length", vin=vin, expected=VIN_LENGTH, found=len(vin))


def _describe(char: str) -> str:
    if char in FORBIDDEN_LETTERS:
        return f"the letter {char}"
    if char == " ":
        return "a space"
    return repr(char)


def _check_characters(vin: str) -> None:
    if ALLOWED.issuperset(vin):
        return  # the usual case, decided in one set operation (a loan tape checks 100,000)
    bad = [(i + 1, c) for i, c in enumerate(vin) if c not in ALLOWED]
    parts = [f"{_describe(c)} at position {pos}" for pos, c in bad]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if all(c in FORBIDDEN_LETTERS for _, c in bad):
        rule = "I, O and Q never appear in a VIN"
    else:
        rule = "a VIN uses only digits 0-9 and letters A-Z except I, O and Q"
    raise InvalidVin(
        f"VIN contains {listed}; {rule}",
        reason="character",
        vin=vin,
        position=bad[0][0],
        found=bad[0][1],
        positions=tuple(pos for pos, _ in bad),
        characters=tuple(c for _, c in bad),
    )


def _check_digit_of(vin: str) -> str:
    total = sum(TRANSLITERATION[c] * w for c, w in zip(vin, WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def compute_check_digit(vin: str) -> str:
    """The check digit ('0'-'9' or 'X') the other 16 characters of ``vin`` call for.

    The character at position 9 is ignored (its weight is 0), so any placeholder works.
    """
    vin = normalize_vin(vin)
    _check_length(vin)
    _check_characters(vin)
    return _check_digit_of(vin)


def validate_vin(vin: str, *, check_digit: bool | None = None) -> str:
    """Return the normalized VIN, or raise :class:`InvalidVin` saying what is wrong.

    ``check_digit``: True always checks position 9, False never does, None (default)
    checks it only for North American VINs, where it is mandatory.
    """
    vin = normalize_vin(vin)
    _check_length(vin)
    _check_characters(vin)
    if check_digit is None:
        check_digit = is_north_american(vin)
    if check_digit:
        expected = _check_digit_of(vin)
        found = vin[CHECK_POSITION - 1]
        if found != expected:
            raise InvalidVin(
                f"VIN {vin} fails its check digit: position 9 is {found!r} "
                f"but the other characters give {expected!r}",
                reason="check_digit",
                vin=vin,
                position=CHECK_POSITION,
                expected=expected,
                found=found,
            )
    return vin


def is_valid_vin(vin: str, *, check_digit: bool | None = None) -> bool:
    """True when :func:`validate_vin` accepts ``vin``."""
    try:
        validate_vin(vin, check_digit=check_digit)
    except InvalidVin:
        return False
    return True


def vin_to_bytes32(vin: str) -> bytes:
    """Validate ``vin`` and encode it as on chain: ASCII, left-aligned, zero-padded to 32."""
    return validate_vin(vin).encode("ascii").ljust(32, b"\x00")


def vin_from_bytes32(b: bytes) -> str:
    """Decode a ``bytes32`` VIN read from chain.

    Length and characters are checked; the check digit is not, so that whatever the chain
    holds can still be read back and shown.
    """
    if len(b) != 32:
        raise InvalidVin(
            f"an on-chain VIN is 32 bytes, got {len(b)}",
            reason="encoding",
            expected=32,
            found=len(b),
        )
    raw = bytes(b).rstrip(b"\x00")
    if b"\x00" in raw:
        raise InvalidVin(
            f"bytes32 VIN 0x{bytes(b).hex()} has a zero byte inside the VIN",
            reason="encoding",
            found="0x" + bytes(b).hex(),
        )
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise InvalidVin(
            f"bytes32 VIN 0x{bytes(b).hex()} is not ASCII",
            reason="encoding",
            found="0x" + bytes(b).hex(),
        ) from None
    if text != text.strip().upper():
        raise InvalidVin(
            f"bytes32 VIN {text!r} is not in normalized form (uppercase, no spaces)",
            reason="encoding",
            found=text,
        )
    return validate_vin(text, check_digit=False)


def model_year_code(year: int) -> str:
    """The position-10 code for a model year (1980 and later; the table repeats every 30)."""
    if year < 1980:
        raise InvalidVin(
            f"model year {year} predates the 17-character VIN (1981; codes start at 1980)",
            reason="model_year",
            found=year,
        )
    return MODEL_YEAR_CODES[(year - 1980) % 30]


def generate_vin(
    rng: random.Random, *, wmi: str | None = None, year_code: str | None = None
) -> str:
    """A realistic valid VIN: WMI, descriptor, check digit, model year, plant, serial.

    The check digit is always correct, whatever the region, so the VIN passes strict
    validation too.
    """
    if wmi is None:
        wmi = rng.choice(SAMPLE_WMIS)
    wmi = normalize_vin(wmi)
    if len(wmi) != 3 or any(c not in ALLOWED for c in wmi):
        raise InvalidVin(f"WMI {wmi!r} is not 3 VIN characters", reason="wmi", found=wmi)
    if year_code is None:
        year_code = rng.choice(MODEL_YEAR_CODES)
    year_code = normalize_vin(year_code)
    if len(year_code) != 1 or year_code not in MODEL_YEAR_CODES:
        raise InvalidVin(
            f"{year_code!r} is not a model-year code; codes are {MODEL_YEAR_CODES}",
            reason="model_year",
            found=year_code,
        )
    descriptor = "".join(rng.choice(_VDS_CHARS) for _ in range(5))
    plant = rng.choice(_VDS_CHARS)
    serial = f"{rng.randrange(1_000_000):06d}"
    draft = f"{wmi}{descriptor}0{year_code}{plant}{serial}"
    check = _check_digit_of(draft)
    return f"{wmi}{descriptor}{check}{year_code}{plant}{serial}"


UNKNOWN = "unknown"
#: Says where a :class:`VinDescription` comes from, on every answer that carries one.
DESCRIPTION_SOURCE = (
    "decoded from the VIN alone (vininfo): not part of the certificate, not proven by the chain"
)


@dataclass(frozen=True)
class VinDescription:
    """What a VIN's characters say about the vehicle: a reading aid, never registry data.

    ``model_years`` lists every year from 1980 to next year that the model-year code can
    stand for, newest first: the codes repeat every 30 years, so a VIN alone cannot always
    say which cycle it belongs to (``model_year_note`` says so in words).
    """

    wmi: str
    manufacturer: str  # UNKNOWN when the WMI is not in vininfo's table
    region: str
    country: str
    model_year_position: int  # 1-based; 10 by the standard, 11 for a few makers
    model_year_code: str
    model_years: tuple[int, ...]
    model_year_note: str
    source: str = DESCRIPTION_SOURCE

    def as_json(self) -> dict[str, Any]:
        return {
            "wmi": self.wmi,
            "manufacturer": self.manufacturer,
            "region": self.region,
            "country": self.country,
            "model_year_position": self.model_year_position,
            "model_year_code": self.model_year_code,
            "model_years": list(self.model_years),
            "model_year_note": self.model_year_note,
            "source": self.source,
        }


def _year_note(position: int, code: str, years: tuple[int, ...]) -> str:
    where = f"position {position} is {code!r}"
    if not years:
        return f"{where}, which is not a model-year code"
    if len(years) == 1:
        return (
            f"{where}: {years[0]}, the only year with this code from 1980 to next year "
            "(model-year codes repeat every 30 years)"
        )
    listed = ", ".join(str(y) for y in years[:-1]) + f" or {years[-1]}"
    return (
        f"{where}: {listed}; model-year codes repeat every 30 years "
        "and the VIN alone does not say which"
    )


def describe_vin(vin: str) -> VinDescription:
    """Decode ``vin``'s manufacturer, region, country and model year with vininfo.

    The check digit is not required (a description is shown for any VIN the registry
    holds). Makers vininfo does not know are ``"unknown"``: decoding never fails on a
    valid VIN.
    """
    # imported here: only the title check needs it, and the CLI starts faster without it
    from vininfo import Vin, VininfoException
    from vininfo.common import UnsupportedBrand

    v = validate_vin(vin, check_digit=False)
    try:
        decoded = Vin(v)
        assembler = decoded.assembler
        known = not isinstance(assembler, UnsupportedBrand)
        manufacturer = assembler.manufacturer if known else UNKNOWN
        region, country = decoded.region, decoded.country
        position = 10 + int(getattr(assembler, "year_position", 0))
        years = tuple(decoded.years)
    except VininfoException:  # vininfo's own validation: not expected for a valid VIN
        manufacturer, region, country, position, years = UNKNOWN, None, None, 10, ()
    code = v[position - 1]
    return VinDescription(
        wmi=v[:3],
        manufacturer=manufacturer or UNKNOWN,
        region=region or UNKNOWN,
        country=country or UNKNOWN,
        model_year_position=position,
        model_year_code=code,
        model_years=years,
        model_year_note=_year_note(position, code, years),
    )
