"""What schemathesis needs to know about the API's own string formats (``api.types``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import schemathesis
from hypothesis import strategies as st

from registry.vin import ALLOWED, compute_check_digit


def valid_vins() -> st.SearchStrategy[str]:
    """VINs ``validate_vin`` accepts: any allowed characters, the check digit right where it
    is mandatory (a North American maker), in any case."""

    def build(chars: str, lower: list[bool]) -> str:
        vin = chars[:8] + compute_check_digit(chars) + chars[9:] if chars[0] in "12345" else chars
        return "".join(c.lower() if low else c for c, low in zip(vin, lower, strict=True))

    alphabet = "".join(sorted(ALLOWED))
    return st.builds(
        build,
        st.text(alphabet, min_size=17, max_size=17),
        st.lists(st.booleans(), min_size=17, max_size=17),
    )


def loan_tapes(vins: Sequence[str]) -> st.SearchStrategy[str]:
    """CSV loan tapes ``registry.tapes.parse_tape`` reads: a header, rows of small loan ids,
    VINs (often the mirror's), balances and days past due."""
    row = st.tuples(
        st.integers(0, 50),
        st.one_of(st.sampled_from(list(vins)), valid_vins()),
        st.integers(0, 10**9),
        st.integers(0, 999),
    ).map(lambda r: f"{r[0]},{r[1]},{r[2] // 100}.{r[2] % 100:02d},{r[3]}")
    return st.lists(row, max_size=5).map(lambda rows: "\n".join(["loan_id,vin,balance,dpd", *rows]))


def register_formats(vins: Sequence[str], addresses: Sequence[str]) -> None:
    """Teaches schemathesis the ``vin``, ``vin-file``, ``evm-address`` and ``loan-tape``
    formats, drawing often from values the mirror knows so that answers other than 404 get
    checked too."""
    schemathesis.openapi.format("loan-tape", loan_tapes(vins))
    schemathesis.openapi.format("vin", st.one_of(st.sampled_from(list(vins)), valid_vins()))
    vin_files = st.lists(valid_vins(), min_size=1, max_size=5).map(
        lambda vs: "vin\n" + "\n".join(vs) + "\n"
    )
    schemathesis.openapi.format("vin-file", vin_files)
    random_address = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    schemathesis.openapi.format(
        "evm-address", st.one_of(st.sampled_from(list(addresses)), random_address)
    )


def authorize(schema: Any, token: str) -> None:
    """Gives schemathesis ``token`` as the API key through its auth mechanism: it sends it with
    every case except those whose negative data breaks the credentials on purpose (they keep
    their broken header, so the refusal schemathesis expects is the API's to give)."""

    class BearerKey:
        def get(self, case: Any, context: Any) -> str:
            return token

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    schema.auth(refresh_interval=None)(BearerKey)
