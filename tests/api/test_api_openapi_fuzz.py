"""Schemathesis over the OpenAPI document with every check it has: no input makes the API
answer 5xx, every answer matches the schema the document declares (status, content type,
headers, body: ``additionalProperties: false`` throughout), input the document calls valid
is accepted and input it calls invalid refused, keyed routes refuse a missing or bad key,
and a method a path does not serve gets a 405 naming the methods it does.

The instance is a chain of its own (fuzzed writes go all the way to it) with the API tests'
book of vehicles, indexed with the risk hooks as ``registry index`` runs them, and the API
signing as the lender, called with the lender's key: so reads of loan and risk data and the
lender's writes reach SQL and the chain; other writes stop at the role check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.main import create_app
from registry.chain import ephemeral_anvil
from registry.contracts import write_deployment
from registry.db import make_engine, migrate
from registry.indexer.projections import core_handlers
from registry.risk.hooks import RiskSettings, risk_handlers
from tests.api.api_kit import CAST, Mirror, bearer, make_book, register_formats
from tests.registry_kit import deploy_registry


@dataclass
class Instance:
    schema: Any
    lender_key: str


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    data_dir = tmp_path_factory.mktemp("api-fuzz")
    with ephemeral_anvil() as node:
        reg = deploy_registry(node)
        write_deployment(data_dir / "deployments.json", reg.deployment)
        db_url = f"sqlite:///{data_dir / 'registry.sqlite'}"
        migrate(db_url)
        mirror = Mirror(reg, make_engine(db_url), db_url, data_dir, make_book(reg))
        mirror.index([core_handlers(), risk_handlers(RiskSettings(data_dir / "loans"))])
        book = mirror.book
        vins = [book.clean, book.liened, book.branded, book.floor_plan, book.released]
        register_formats(vins, [a.address for a in vars(CAST).values()])
        app = create_app(mirror.settings(dev_account=1))
        yield Instance(
            schemathesis.openapi.from_asgi("/openapi.json", app),
            mirror.key("lender", CAST.lender.address),
        )


@pytest.fixture(scope="module")
def api_schema(instance: Instance) -> Any:
    return instance.schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck),
          derandomize=True)  # fmt: skip
def test_the_api_is_what_its_document_says(case: Any, instance: Instance) -> None:
    case.call_and_validate(headers=bearer(instance.lender_key))
