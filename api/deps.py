"""What routes depend on: the runtime (engine, chain watch, cache, signer), callers' keys.

Routes that touch the database are plain ``def`` functions: FastAPI runs them in its thread
pool, so SQL never blocks the event loop. Everything here is safe to call from those threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from cachetools import LRUCache
from eth_account.signers.local import LocalAccount
from fastapi import Depends, Path, Request, Security
from fastapi.responses import Response
from fastapi.security import APIKeyHeader, HTTPBearer
from sqlalchemy import Connection, Engine, event

from api.config import ApiSettings
from api.freshness import ChainWatch, freshness
from api.ratelimit import TokenBuckets
from api.types import JSON_INT_MAX
from registry.accounts import signer_from_settings
from registry.auth import Principal, authenticate
from registry.client import RegistryClient
from registry.contracts import Deployment, load_deployment, read_deployments
from registry.db import make_engine
from registry.errors import ConfigurationError, MirrorNotReady, Unauthenticated, Unauthorized
from registry.queries import (
    MirrorState,
    Reader,
    mirror_state,
    read_snapshot,
    snapshot_connection,
)
from registry.rpc import connect

if TYPE_CHECKING:
    from registry.imports.jobs import ImportJobs

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
        self.cache: LRUCache[tuple[Any, ...], bytes] | None = (
            LRUCache(settings.cache_entries) if settings.cache_entries > 0 else None
        )
        self._cache_lock = threading.Lock()
        self._deployments: dict[int, Deployment] | None = None
        self._client: RegistryClient | None = None
        self._client_lock = threading.Lock()
        self._imports: ImportJobs | None = None

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
        with read_snapshot(self.engine) as reader:
            state = _state(reader)
            return fn(reader, state), state

    def read_sql(self, fn: Callable[[Connection, MirrorState], T]) -> tuple[T, MirrorState]:
        """As :meth:`read`, for code written against a SQLAlchemy connection (the risk reads)."""
        with snapshot_connection(self.engine) as conn:
            state = _state(Reader.of(conn))
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
        if self.cache is None:
            return None
        with self._cache_lock:
            return self.cache.get(key)

    def remember(self, key: tuple[Any, ...], value: bytes) -> None:
        if self.cache is None:
            return
        with self._cache_lock:
            self.cache[key] = value

    def principal(self, token: str | None) -> Principal | None:
        """Who ``token`` speaks for (None without a token; 401 for a bad one)."""
        if token is None:
            return None
        from sqlmodel import Session

        with Session(self.engine) as session:
            return authenticate(session, token)

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

    @property
    def imports(self) -> ImportJobs:
        """This instance's import jobs (``POST /imports``)."""
        with self._client_lock:
            if self._imports is None:
                from registry.imports.jobs import ImportJobs

                self._imports = ImportJobs(self.settings.data_dir)
            return self._imports

    def signer(self) -> LocalAccount:
        account = self.client().account
        assert account is not None
        return account


def _state(reader: Reader) -> MirrorState:
    state = mirror_state(reader)
    if state is None:
        raise MirrorNotReady(
            "the SQL mirror is empty: the indexer has not run yet (`registry index`)"
        )
    return state


def _sqlite_mmap(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA mmap_size=1073741824")


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
IdPath = Annotated[int, Path(ge=0, le=JSON_INT_MAX, description="an id the chain assigned")]

# ------------------------------------------------------------------- API keys


BEARER = HTTPBearer(
    scheme_name="bearerKey",
    bearerFormat="vcr_<key id>_<secret>",
    description="an API key (`registry keys create`): `Authorization: Bearer <key>`",
    auto_error=False,
)
KEY_HEADER = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKeyHeader",
    description="the same API key in an `X-API-Key` header",
    auto_error=False,
)
_EITHER_KEY: list[dict[str, list[str]]] = [{BEARER.scheme_name: []}, {KEY_HEADER.scheme_name: []}]

#: ``openapi_extra`` of the routes a key is optional for (it shows more, or spares the caller
#: the public rate limit): either scheme, or OpenAPI's empty requirement. Those routes read
#: the key themselves (:func:`public_caller`) rather than solve the schemes per request.
KEY_OPTIONAL: dict[str, Any] = {"security": [*_EITHER_KEY, {}]}


def request_key(request: Request) -> str | None:
    """The caller's API key: ``Authorization: Bearer <key>``, else ``X-API-Key``; an
    Authorization header of another scheme is a 401."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <API key>'")
        return value.strip()
    return request.headers.get(KEY_HEADER.model.name) or None


async def api_key(
    request: Request,
    _bearer: Annotated[Any, Security(BEARER)],
    _header: Annotated[Any, Security(KEY_HEADER)],
) -> str | None:
    """The key of a route that needs one (the two schemes declare it in the document)."""
    return request_key(request)


ApiKeyDep = Annotated[str | None, Depends(api_key)]


def public_caller(request: Request, runtime: Runtime) -> Principal | None:
    """The caller's principal when it sends a key; anonymous callers spend a rate-limit token.

    Called by the routes a key is optional for, in their body (in the thread pool), not as a
    dependency: a sync dependency would cost each request one more trip to a thread.
    """
    principal = runtime.principal(request_key(request))
    if principal is None and runtime.buckets.enabled:
        runtime.buckets.take(request.client.host if request.client else "unknown")
    return principal


def instance_client(runtime: Runtime, principal: Principal) -> RegistryClient:
    """The instance's signing client, for a key issued to the participant it signs as."""
    client = runtime.client()
    if principal.participant != client.address.lower():
        raise Unauthorized(
            f"this instance signs as {client.address}; the API key is for {principal.participant}",
            instance=client.address,
            key_participant=principal.participant,
        )
    return client


def require_roles(*roles: str) -> Callable[..., Principal]:
    """A dependency admitting only keys of ``roles``."""

    def dependency(
        runtime: RuntimeDep, token: Annotated[str | None, Depends(api_key)]
    ) -> Principal:
        principal = runtime.principal(token)
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
