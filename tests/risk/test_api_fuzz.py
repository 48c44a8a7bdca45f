"""Schemathesis over the risk routes: no input makes them answer 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.risk.risk_kit import Chain, Mirror, risk_app


@pytest.fixture(scope="module")
def keys_and_schema(
    chain: Chain, mirror: Mirror, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, str], Any]:
    app, keys = risk_app(chain, mirror, tmp_path_factory.mktemp("risk-fuzz"))
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
        response = case.call(headers={"Authorization": f"Bearer {key}"})
        case.validate_response(response, checks=[not_a_server_error])
