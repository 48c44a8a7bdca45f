"""The API application: ``create_app(settings)`` builds it; ``app`` is what uvicorn serves."""

from __future__ import annotations

import gc
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from api.config import ApiSettings
from api.deps import Runtime
from api.errors import install_error_handlers
from api.routes import (
    digest,
    funders,
    imports,
    liens,
    loans,
    participants,
    risk,
    status,
    tapes,
    vehicles,
    watches,
    writes,
)
from api.schemas import ErrorResponse
from registry.enums import PAGE_ENUMS

STATIC_DIR = Path(__file__).resolve().parent / "static"

_ERRORS = {
    code: {"model": ErrorResponse, "description": what}
    for code, what in (
        (
            400,
            "the request body cannot be read (not JSON, or not UTF-8), or an as-of moment is "
            "before the registry's first block or in the future",
        ),
        (401, "no valid API key"),
        (
            403,
            "the key's role or participant may not do this (or a webhook URL resolves to a "
            "non-public address)",
        ),
        (404, "no such vehicle, lien, loan or participant"),
        (405, "the path does not serve this method (Allow names those it does)"),
        (409, "the chain's current state refuses the action"),
        (422, "invalid input (a VIN names what is wrong: length, character, check digit)"),
        (429, "rate limited (Retry-After says when to retry)"),
        (500, "the instance is not set up for this (e.g. a write without a signing key)"),
        (502, "the chain node answered with an error (not a contract's refusal)"),
        (503, "the chain node is unreachable (writes), or the mirror is not indexed yet"),
    )
}


def tune_gc_for_serving() -> None:
    """Requests allocate many short-lived objects: collect the young generation less often and
    keep the startup heap out of full collections (fewer latency spikes). Process-wide, so
    only a process that exists to serve does it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def create_app(settings: ApiSettings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """The API for one participant's instance (the process's GC is left alone unless
    ``settings.tune_gc``)."""
    settings = settings or ApiSettings()
    runtime = Runtime(settings, engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.watch.ensure_started()
        if settings.tune_gc:
            tune_gc_for_serving()
        yield
        runtime.watch.stop()

    app = FastAPI(
        title="Vehicle collateral registry",
        version="1",
        description="Title checks, histories, liens and loans: every answer names the block it "
        "reflects and how fresh it is.",
        lifespan=lifespan,
        responses=_ERRORS,  # type: ignore[arg-type]
    )
    app.state.runtime = runtime
    modules = (vehicles, liens, loans, participants, status, writes, risk, funders, tapes, watches)
    routers = [m.router for m in (*modules, digest, imports)]
    for router in routers:
        app.include_router(router)

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        return FileResponse(STATIC_DIR / "index.html")

    @app.get("/config.js", include_in_schema=False)
    async def page_config() -> Response:
        return Response(page_config_js(settings), media_type="application/javascript")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_handlers(app, [*app.router.routes, *(r for rt in routers for r in rt.routes)])
    return app


def page_config_js(settings: ApiSettings) -> str:
    """What ``/config.js`` serves: the page's settings and the vocabularies it shows (so the
    JavaScript holds no copy of them)."""
    config = {
        "txLinkBase": settings.tx_link_base,
        "enums": {name: [m.value for m in enum] for name, enum in PAGE_ENUMS.items()},
    }
    return f"window.REGISTRY_CONFIG = {json.dumps(config)};\n"


def app_from_env() -> FastAPI:
    """The uvicorn factory of ``registry serve`` (``uvicorn --factory api.main:app_from_env``):
    settings from the env, the GC tuned for serving unless ``REGISTRY_TUNE_GC`` says not."""
    settings = ApiSettings()
    if "tune_gc" not in settings.model_fields_set:
        settings = settings.model_copy(update={"tune_gc": True})
    return create_app(settings)
