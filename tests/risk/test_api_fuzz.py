"""Schemathesis over the risk routes with every check on (as ``tests/api``'s run), over a
mirror with late loans and a double pledge, with a lender's and an auditor's key."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.api_kit import register_formats
from tests.risk.risk_kit import CAST, Chain, Mirror, risk_app


@pytest.fixture(scope="module")
def keys_and_schema(
    chain: Chain, mirror: Mirror, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, str], Any]:
    app, keys = risk_app(chain, mirror, tmp_path_factory.mktemp("risk-fuzz"))
    register_formats(sorted({a["vin"] for a in mirror.alerts()}), [CAST.lender.address])
    return keys, schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module")
def api_schema(keys_and_schema: tuple[dict[str, str], Any]) -> Any:
    return keys_and_schema[1]


schema = schemathesis.pytest.from_fixture("api_schema").include(
    path_regex=r"^/(alerts|lenders/\{address\}/(alerts|standing|portfolio|webhooks))"
)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)  # fmt: skip
def test_no_server_errors(case: Any, keys_and_schema: tuple[dict[str, str], Any]) -> None:
    keys = keys_and_schema[0]
    for key in (keys["lender"], keys["auditor"]):
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"})
