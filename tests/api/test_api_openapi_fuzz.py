"""Schemathesis over the OpenAPI document with every check it has: no input makes the API
answer 5xx, every answer matches the schema the document declares (status, content type,
headers, body: ``additionalProperties: false`` throughout), input the document calls valid
is accepted and input it calls invalid refused, keyed routes refuse a missing or bad key,
and a method a path does not serve gets a 405 naming the methods it does.

The instance is a chain of its own (fuzzed writes go all the way to it) with the API tests'
book of vehicles, indexed with the risk hooks as ``registry index`` runs them, and the API
signing as the lender, called with the lender's key: so reads of loan and risk data and the
lender's writes reach SQL and the chain; other writes stop at the role check. The key goes
through schemathesis's auth mechanism, so a case whose negative data is the credentials
keeps its broken header (overriding the headers would turn it into a valid request).

One refusal of schema-valid input is part of the contract: an as-of moment (``?at=``, or the
``block`` of a digest) shaped right but before the registry's first block or in the future is
a 400 ``out_of_range`` (which moments the register knows is data, not schema); every other
check still applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.main import create_app
from tests.kit.api import api_settings
from tests.kit.books import make_book
from tests.kit.chain import CAST, private_registry
from tests.kit.fuzz import authorize, register_formats
from tests.kit.mirror import Mirror


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with private_registry() as reg:
        book = make_book(reg)
        mirror = Mirror.create(reg, tmp_path_factory.mktemp("api-fuzz"), risk=True)
        mirror.index()
        register_formats(book.titled, [a.address for a in vars(CAST).values()])
        app = create_app(api_settings(mirror, dev_account=1))
        loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
        authorize(loaded, mirror.key("lender", CAST.lender.address))
        yield loaded


schema = schemathesis.pytest.from_fixture("api_schema")


def accepts_valid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's positive-data check, but for a moment the register does not hold."""
    if response.status_code == 400:
        error = response.json().get("error", {})
        if error.get("code") == "out_of_range" and {"at", "block"} & set(case.query or {}):
            return None
    result: bool | None = positive_data_acceptance(ctx, response, case)
    return result


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)  # fmt: skip
def test_the_api_is_what_its_document_says(case: Any) -> None:
    case.call_and_validate(
        excluded_checks=[positive_data_acceptance], additional_checks=[accepts_valid_data]
    )
