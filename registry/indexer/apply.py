"""Applying decoded events to the database: events, projections and hooks in one session."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlmodel import Session

from registry.contracts import Deployment
from registry.events import DecodedEvent
from registry.indexer.handlers import EventContext, Handler, HandlerRegistry, extensions
from registry.indexer.projections import actor_args, core
from registry.indexer.state import BatchState


def contract_names(deployment: Deployment) -> dict[str, str]:
    """Contract name by lowercase address."""
    return {
        deployment.registry.lower(): "CollateralRegistry",
        deployment.loan_ledger.lower(): "LoanLedger",
        deployment.insurance_ledger.lower(): "InsuranceLedger",
    }


def apply_events(
    session: Session,
    events: Sequence[DecodedEvent],
    times: dict[int, int],
    contracts: dict[str, str],
    *,
    replay: bool = False,
    registries: Sequence[HandlerRegistry] = (core, extensions),
    args_json: Sequence[str] | None = None,
) -> BatchState:
    """Runs every handler over ``events`` (chain order) and writes the result in bulk.

    With ``replay`` the events are already in the events table (a rebuild after a reorg):
    only the projections are written. The events-table rows are tuples in
    :data:`registry.indexer.state.EVENT_COLUMNS` order (the VIN and ids resolved through the
    projections as they stand before the event); handlers see them as ``ctx.row``.
    """
    conn = session.connection()
    state = BatchState()
    state.load(conn, events)
    by_name: dict[str, list[Handler]] = {}
    for registry in registries:  # core handlers first, then the extensions'
        for name, handlers in registry.handlers.items():
            if handlers:
                by_name.setdefault(name, []).extend(handlers)
    actors = actor_args()
    loans, claims, policies, liens = state.loans, state.claims, state.policies, state.liens
    append = state.events.append
    dumps = json.dumps
    for i, ev in enumerate(events):
        a = ev.args
        name = ev.name
        block_time = times[ev.block_number]
        vin = a.get("vin")
        lien_id = a.get("lienId")
        loan_id = a.get("loanId")
        policy_id = a.get("policyId")
        claim_id = a.get("claimId")
        if loan_id is not None and (loan := loans.get(loan_id)) is not None:
            vin = vin or loan["vin"]
            if lien_id is None:
                lien_id = loan["lien_id"]
        if claim_id is not None and (claim := claims.get(claim_id)) is not None:
            vin = vin or claim["vin"]
            if policy_id is None:
                policy_id = claim["policy_id"]
        if vin is None:
            if policy_id is not None and (policy := policies.get(policy_id)):
                vin = policy["vin"]
            if vin is None and lien_id is not None and (lien := liens.get(lien_id)):
                vin = lien["vin"]
        arg = actors.get(name)
        if arg is None:
            arg = actors[name] = "lender" if name.startswith("Loan") else "insurer"
        actor = a.get(arg) if arg else None
        row = (
            ev.block_number, ev.block_hash, block_time, ev.tx_hash, ev.log_index,
            contracts.get(ev.address, ev.address), name,
            actor if isinstance(actor, str) else None,
            vin, lien_id, loan_id, policy_id, claim_id,
            args_json[i] if args_json is not None else dumps(a),
        )  # fmt: skip
        if not replay:
            append(row)
        todo = by_name.get(name)
        if todo:
            ctx = EventContext(ev, block_time, state, session, row, replay)
            for handler in todo:
                handler(ctx)
    state.flush(conn, write_events=not replay)
    return state
