"""How fresh the mirror is: chain head, indexed block, lag, confirmations."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import RuntimeDep, json_response
from api.freshness import freshness
from api.schemas import Status
from registry.errors import MirrorNotReady

router = APIRouter(tags=["status"])


@router.get("/status", response_model=Status)
def status(runtime: RuntimeDep) -> Response:
    """Never rate-limited; answers even before the indexer's first run."""
    try:
        _, state = runtime.read(lambda conn, s: None)
    except MirrorNotReady:
        fresh = freshness(
            runtime.watch, None, runtime.settings.confirmations, runtime.settings.stale_after_blocks
        )
        body = {
            "chain_id": None,
            "registry": None,
            "indexed_block": None,
            "indexed_hash": None,
            "finalized_block": None,
            "head": fresh["head"],
            "lag": None,
            "confirmations": runtime.settings.confirmations,
            "chain_reachable": fresh["chain_reachable"],
            "stale": True,
            "indexer_updated_at": None,
            "freshness": fresh | {"finalized_block": None},
        }
        return json_response(body, None, runtime)
    fresh = runtime.freshness(state)
    body = {
        "chain_id": state.chain_id,
        "registry": state.registry_address,
        "indexed_block": state.indexed_block,
        "indexed_hash": state.indexed_hash,
        "finalized_block": state.finalized_block,
        "head": fresh["head"],
        "lag": fresh["lag"],
        "confirmations": fresh["confirmations"],
        "chain_reachable": fresh["chain_reachable"],
        "stale": fresh["stale"],
        "indexer_updated_at": state.updated_at,
    }
    return json_response(body, state, runtime)
