"""What routes depend on: the runtime (engine, chain watch, cache, signer), callers' keys."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from eth_account.signers.local import LocalAccount
from fastapi import Depends, Path, Request
from fastapi.responses import Response
from sqlalchemy import Engine, event

from api.config import ApiSettings
from api.freshness import ChainWatch, freshness
from api.ratelimit import TokenBuckets
from registry.accounts import signer_from_settings
from registry.auth import Principal, authenticate
from registry.client import RegistryClient
from registry.contracts import Deployment, load_deployment, read_deployments
from registry.db import make_engine
from registry.errors import ConfigurationError, MirrorNotReady, Unauthenticated, Unauthorized
from registry.queries import MirrorState, Reader, mirror_state, read_snapshot
from registry.rpc import connect

T = TypeVar("T")


class Runtime:
    """Per-process state of one API instance (one per uvicorn worker)."""

    def __init__(self, settings: ApiSettings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.db_url)
        if self.engine.dialect.name == "sqlite":
            # reads map the file instead of copying pages through read() calls
            event.listen(self.engine, "connect", _sqlite_mmap)
        self.watch = ChainWatch(settings.rpc_url, settings.head_poll_interval)
        self.buckets = TokenBuckets(settings.rate_limit_per_second, settings.rate_limit_burst)
        self.cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._deployments: dict[int, Deployment] | None = None
        self._client: RegistryClient | None = None
        self._client_lock = threading.Lock()

    # ------------------------------------------------------------------ reads

    def deployment(self, chain_id: int, registry: str | None = None) -> Deployment:
        """The deployment on ``chain_id`` (checked against the mirror's ``registry``, if given)."""
        if self._deployments is None or chain_id not in self._deployments:
            self._deployments = read_deployments(self.settings.deployments_path)
        if chain_id not in self._deployments:
            return load_deployment(self.settings.deployments_path, chain_id)  # raises, clearly
        found = self._deployments[chain_id]
        if registry is not None and found.registry.lower() != registry.lower():
            raise ConfigurationError(
                f"the mirror indexes the registry at {registry} but "
                f"{self.settings.deployments_path} names {found.registry} on chain {chain_id}",
                mirror=registry,
                deployment=found.registry,
            )
        return found

    def read(self, fn: Callable[[Reader, MirrorState], T]) -> tuple[T, MirrorState]:
        """Runs ``fn`` on one database snapshot, with the mirror state of that snapshot."""
        with read_snapshot(self.engine) as conn:
            state = mirror_state(conn)
            if state is None:
                raise MirrorNotReady(
                    "the SQL mirror is empty: the indexer has not run yet (`registry index`)"
                )
            return fn(conn, state), state

    def freshness(self, state: MirrorState) -> dict[str, Any]:
        return freshness(
            self.watch,
            state.indexed_block,
            state.confirmations,
            self.settings.stale_after_blocks,
        ) | {"finalized_block": state.finalized_block}

    def cached(self, key: tuple[Any, ...]) -> bytes | None:
        """A prepared answer (keys carry the indexed block, so a new block misses)."""
        found = self.cache.get(key)
        if found is not None:
            self.cache.move_to_end(key)
        return found

    def remember(self, key: tuple[Any, ...], value: bytes) -> None:
        if self.settings.cache_entries <= 0:
            return
        self.cache[key] = value
        if len(self.cache) > self.settings.cache_entries:
            self.cache.popitem(last=False)

    # ----------------------------------------------------------------- writes

    def client(self) -> RegistryClient:
        """The registry client that signs with this instance's key (built on first write)."""
        with self._client_lock:
            if self._client is None:
                rpc = connect(self.settings.rpc_url, timeout=10.0)  # shared by every thread
                chain_id = rpc.chain_id()  # ChainUnavailable if down
                account = signer_from_settings(self.settings, chain_id)
                self._client = RegistryClient(rpc, self.deployment(chain_id), account)
            return self._client

    def signer(self) -> LocalAccount:
        account = self.client().account
        assert account is not None
        return account


def _sqlite_mmap(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA mmap_size=1073741824")


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
IdPath = Annotated[int, Path(ge=0, lt=2**63, description="an id the chain assigned")]


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <API key>'")
        return value.strip()
    return request.headers.get("x-api-key") or None


def _principal(runtime: Runtime, request: Request) -> Principal | None:
    token = _token(request)
    if token is None:
        return None
    from sqlmodel import Session

    with Session(runtime.engine) as session:
        return authenticate(session, token)


def public_caller(request: Request, runtime: Runtime) -> Principal | None:
    """The caller's principal when it sends a key; anonymous callers spend a rate-limit token.

    Called directly by the hottest routes (no dependency solving), through :data:`CallerDep`
    by the others.
    """
    principal = _principal(runtime, request)
    if principal is None and runtime.buckets.enabled:
        runtime.buckets.take(request.client.host if request.client else "unknown")
    return principal


async def caller(request: Request, runtime: RuntimeDep) -> Principal | None:
    return public_caller(request, runtime)


CallerDep = Annotated[Principal | None, Depends(caller)]


def require_roles(*roles: str) -> Callable[..., Any]:
    """A dependency admitting only keys of ``roles``."""

    async def dependency(request: Request, runtime: RuntimeDep) -> Principal:
        principal = _principal(runtime, request)
        if principal is None:
            raise Unauthenticated(
                f"this endpoint needs an API key of role {' or '.join(roles)} "
                "(Authorization: Bearer <key>)"
            )
        if principal.role not in roles:
            raise Unauthorized(
                f"a {principal.role} key may not do this: it needs role {' or '.join(roles)}",
                role=principal.role,
                needed=list(roles),
            )
        return principal

    return dependency


def json_response(
    body: dict[str, Any], state: MirrorState | None, runtime: Runtime, status: int = 200
) -> Response:
    """A JSON answer carrying its freshness (in the body and as headers)."""
    headers: dict[str, str] = {}
    if state is not None:
        fresh = runtime.freshness(state)
        body["freshness"] = fresh
        headers = freshness_headers(fresh)
    return Response(
        json.dumps(body, separators=(",", ":"), default=str),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def freshness_headers(fresh: dict[str, Any]) -> dict[str, str]:
    return {
        "X-Indexed-Block": str(fresh["indexed_block"]),
        "X-Chain-Head": str(fresh["head"]),
        "X-Stale": "true" if fresh["stale"] else "false",
    }
