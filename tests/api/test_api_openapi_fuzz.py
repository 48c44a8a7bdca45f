"""Schemathesis over the OpenAPI schema: no input makes the API answer 5xx, and every answer
matches the schema the API documents.

The app is an instance that signs as the lender, called with the lender's key, so reads of
loan data and the lender's writes go all the way to SQL and the chain; other writes stop at
the role check. Examples are bounded so the whole run stays well under a minute.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.main import create_app
from tests.api.api_kit import Keys, Mirror, bearer


@pytest.fixture(scope="module")
def api_schema(mirror: Mirror) -> Any:
    app = create_app(mirror.settings(dev_account=1))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors(case: Any, keys: Keys) -> None:
    response = case.call(headers=bearer(keys.lender))
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
