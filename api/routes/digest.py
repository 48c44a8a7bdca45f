"""``GET /status/digest``: the mirror's state at a block, digested, for comparing mirrors
(``registry audit compare OTHER`` bisects on it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from api.deps import KEY_OPTIONAL, Runtime, json_response, public_caller
from api.schemas.digest import DigestOut
from api.types import JSON_INT_MAX, documented
from registry.digest import TABLES, digest_of, written_at
from registry.errors import InvalidInput, Unauthenticated, Unauthorized
from registry.queries import MirrorState

router = APIRouter(tags=["status"])

_NAMES = "|".join(TABLES)
Tables = Annotated[
    str,
    documented({
        "pattern": f"^({_NAMES})(,({_NAMES}))*$",
        "description": f"only these tables, comma-separated: {', '.join(TABLES)}",
    }),
]  # fmt: skip


def _tables(text: str | None) -> tuple[str, ...]:
    if text is None:
        return TABLES
    names = tuple(t.strip() for t in text.split(","))
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise InvalidInput(f"no digested table {', '.join(unknown)}: one of {', '.join(TABLES)}")
    return names


@router.get("/status/digest", response_model=DigestOut, openapi_extra=KEY_OPTIONAL)
def mirror_digest(
    request: Request,
    block: Annotated[int | None, Query(ge=0, le=JSON_INT_MAX)] = None,
    tables: Annotated[Tables | None, Query(max_length=400)] = None,
    rows: Annotated[
        bool,
        Query(description="also the rows the block wrote (an auditor's or the registrar's key)"),
    ] = False,
) -> Response:
    """The digest of the mirror's events and projections at ``block`` (default: the block it
    indexed), the same on every correct mirror of the chain; 400 past the indexed block.

    ``rows=true`` adds the rows the block wrote, loans and loan events included: for an
    auditor's or the registrar's key only (loan data is theirs and its lender's to see).
    """
    runtime: Runtime = request.app.state.runtime
    caller = public_caller(request, runtime)
    if rows and caller is None:
        raise Unauthenticated("rows=true needs an auditor's or the registrar's API key")
    if rows and caller is not None and caller.role not in ("auditor", "registrar"):
        raise Unauthorized(
            f"a {caller.role} key may not read every row: rows=true needs an auditor's or the "
            "registrar's key",
            role=caller.role,
        )
    names = _tables(tables)

    def build(conn: Connection, _state: MirrorState) -> dict[str, Any]:
        found = digest_of(conn, block, names)
        body = found.as_json()
        if rows:
            body["written"] = written_at(conn, found.block, names)
        return body

    body, state = runtime.read_sql(build)
    return json_response(body, state, runtime)
