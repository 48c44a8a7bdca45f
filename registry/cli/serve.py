"""`registry serve`: the traceability API and web page under uvicorn (production settings)."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default=None, help="default: REGISTRY_API_HOST (127.0.0.1)")
@click.option("--port", type=int, default=None, help="default: REGISTRY_API_PORT (8000)")
@click.option("--workers", type=int, default=None, help="default: REGISTRY_API_WORKERS (1)")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API and the web page (no reload, no access log).

    Settings come from REGISTRY_* variables (database, node, signing key for writes, rate
    limit); run the indexer beside it to keep the mirror fresh.
    """
    import uvicorn

    from api.config import ApiSettings

    settings = ApiSettings()
    host = host or settings.api_host
    port = port or settings.api_port
    workers = workers or settings.api_workers
    click.echo(f"registry API and web page: http://{host}:{port}/  (API docs: /docs)")
    uvicorn.run(
        "api.main:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=False,
        access_log=False,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
        date_header=False,
    )
