"""Schemathesis over the risk routes with every check on (as ``tests/api``'s run), over a
mirror with late loans and a double pledge, once with a lender's key and once with an
auditor's (given through schemathesis's auth mechanism, so negative cases keep the broken
credentials they were generated with)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from tests.kit.api import Keys, risk_app
from tests.kit.chain import CAST
from tests.kit.fuzz import authorize, register_formats
from tests.kit.mirror import Mirror

RISK_ROUTES = r"^/(alerts|lenders/\{address\}/(alerts|standing|portfolio|webhooks))"


@pytest.fixture(scope="module")
def instance(mirror: Mirror) -> tuple[FastAPI, Keys]:
    app, keys = risk_app(mirror)
    register_formats(sorted({a["vin"] for a in mirror.alerts()}), [CAST.lender.address])
    return app, keys


def _schema(app: FastAPI, token: str) -> Any:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    authorize(loaded, token)
    return loaded


@pytest.fixture(scope="module")
def lender_schema(instance: tuple[FastAPI, Keys]) -> Any:
    return _schema(instance[0], instance[1].lender)


@pytest.fixture(scope="module")
def auditor_schema(instance: tuple[FastAPI, Keys]) -> Any:
    return _schema(instance[0], instance[1].auditor)


as_lender = schemathesis.pytest.from_fixture("lender_schema").include(path_regex=RISK_ROUTES)
as_auditor = schemathesis.pytest.from_fixture("auditor_schema").include(path_regex=RISK_ROUTES)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck),
                derandomize=True)  # fmt: skip


@as_lender.parametrize()
@FUZZ
def test_no_server_errors_as_a_lender(case: Any) -> None:
    case.call_and_validate()


@as_auditor.parametrize()
@FUZZ
def test_no_server_errors_as_an_auditor(case: Any) -> None:
    case.call_and_validate()
