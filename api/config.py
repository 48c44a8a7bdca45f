"""API settings: the registry's :class:`Settings` plus what only the HTTP server needs."""

from __future__ import annotations

from pydantic import Field

from registry.config import Settings


class ApiSettings(Settings):
    """Every field is read from a ``REGISTRY_*`` env var, like the rest of the settings."""

    rate_limit_per_second: float = Field(
        20.0, ge=0, description="public endpoints: sustained requests/s per client IP (0 = off)"
    )
    rate_limit_burst: int = Field(60, ge=1, description="public endpoints: bucket size per IP")
    tx_link_base: str = Field(
        "#tx/", description="web page: transaction links are this prefix + tx hash"
    )
    head_poll_interval: float = Field(1.0, gt=0, description="seconds between chain-head polls")
    stale_after_blocks: int = Field(
        10,
        ge=0,
        description="answers are stale when the mirror lags more than this beyond "
        "the confirmations",
    )
    api_workers: int = Field(1, ge=1, description="uvicorn worker processes for `registry serve`")
    cache_entries: int = Field(20_000, ge=0, description="read cache size per worker")
    tune_gc: bool = Field(
        False,
        description="tune the process's garbage collector for serving (fewer young "
        "collections, the startup heap frozen); `registry serve` turns it on",
    )
