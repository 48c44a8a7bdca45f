"""Schemathesis over the risk routes with every check on (as ``tests/api``'s run), over a
mirror with late loans and a double pledge, with a lender's and an auditor's key."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.kit.api import Keys, risk_app
from tests.kit.chain import CAST
from tests.kit.fuzz import register_formats
from tests.kit.mirror import Mirror


@pytest.fixture(scope="module")
def keys_and_schema(mirror: Mirror) -> tuple[Keys, Any]:
    app, keys = risk_app(mirror)
    register_formats(sorted({a["vin"] for a in mirror.alerts()}), [CAST.lender.address])
    return keys, schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module")
def api_schema(keys_and_schema: tuple[Keys, Any]) -> Any:
    return keys_and_schema[1]


schema = schemathesis.pytest.from_fixture("api_schema").include(
    path_regex=r"^/(alerts|lenders/\{address\}/(alerts|standing|portfolio|webhooks))"
)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)  # fmt: skip
def test_no_server_errors(case: Any, keys_and_schema: tuple[Keys, Any]) -> None:
    keys = keys_and_schema[0]
    for key in (keys.lender, keys.auditor):
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"})
