"""Applying decoded events to the database: events, projections and hooks in one session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from registry.contracts import Deployment
from registry.events import DecodedEvent, shared_decoder
from registry.indexer.handlers import EventContext, HandlerRegistry, by_event
from registry.indexer.projections import ACTOR_ARG, core_handlers
from registry.indexer.state import (
    ARGS,
    BLOCK_TIME,
    CLAIM_ID,
    LIEN_ID,
    LOAN_ID,
    POLICY_ID,
    VIN,
    BatchState,
    LoadKeys,
    Row,
)


def contract_names(deployment: Deployment) -> dict[str, str]:
    """Contract name by lowercase address."""
    return {
        deployment.registry.lower(): "CollateralRegistry",
        deployment.loan_ledger.lower(): "LoanLedger",
        deployment.insurance_ledger.lower(): "InsuranceLedger",
    }


def base_row(ev: DecodedEvent, block_time: int, contract: str, args_json: str) -> Row:
    """The events-table row of ``ev`` from the event alone (EVENT_COLUMNS order): the VIN and
    ids as the event names them. :func:`needs_resolution` says whether the projections can
    fill in more."""
    a = ev.args
    arg = ACTOR_ARG.get(ev.name)
    actor = a.get(arg) if arg else None
    return (
        ev.block_number, ev.block_hash, block_time, ev.tx_hash, ev.log_index, contract, ev.name,
        actor if isinstance(actor, str) else None,
        a.get("vin"), a.get("lienId"), a.get("loanId"), a.get("policyId"), a.get("claimId"),
        args_json,
    )  # fmt: skip


def needs_resolution(row: Row) -> bool:
    """Whether :func:`resolve` may change ``row``: no VIN, or a loan without its lien, or a
    claim without its policy."""
    return (
        not row[VIN]
        or (row[LOAN_ID] is not None and row[LIEN_ID] is None)
        or (row[CLAIM_ID] is not None and row[POLICY_ID] is None)
    )


def resolve(row: Row, state: BatchState) -> Row:
    """``row`` with its VIN and ids resolved through the projections as they stand."""
    vin, lien_id, loan_id, policy_id, claim_id = row[VIN : CLAIM_ID + 1]
    if loan_id is not None and (loan := state.loans.get(loan_id)) is not None:
        vin = vin or loan["vin"]
        if lien_id is None:
            lien_id = loan["lien_id"]
    if claim_id is not None and (claim := state.claims.get(claim_id)) is not None:
        vin = vin or claim["vin"]
        if policy_id is None:
            policy_id = claim["policy_id"]
    if vin is None and policy_id is not None and (policy := state.policies.get(policy_id)):
        vin = policy["vin"]
    if vin is None and lien_id is not None and (lien := state.liens.get(lien_id)):
        vin = lien["vin"]
    return (*row[:VIN], vin, lien_id, loan_id, policy_id, claim_id, row[ARGS])


def apply_events(
    session: Session,
    events: Sequence[DecodedEvent],
    times: dict[int, int],
    contracts: dict[str, str],
    *,
    replay: bool = False,
    registries: Sequence[HandlerRegistry] | None = None,
    rows: Sequence[Row] | None = None,
    keys: LoadKeys | None = None,
) -> BatchState:
    """Runs every handler of ``registries`` (default: the core projections) over ``events``
    (chain order), writes the result in bulk, then runs their ``after_apply`` hooks.

    With ``replay`` the events are already in the events table (a rebuild after a reorg):
    only the projections are written. The events-table rows are tuples in
    :data:`registry.indexer.state.EVENT_COLUMNS` order (the VIN and ids resolved through the
    projections as they stand before the event); handlers see them as ``ctx.values``.
    ``rows`` are the events' :func:`base_row` when already built (by the read-ahead worker),
    ``keys`` their :func:`~registry.indexer.state.load_keys` (idem).
    """
    if registries is None:
        registries = (core_handlers(),)
    conn = session.connection()
    state = BatchState()
    state.batch = events
    state.load(conn, events, keys)
    if rows is None:
        encode = shared_decoder().args_json
        rows = [
            base_row(ev, times[ev.block_number], contracts.get(ev.address, ev.address),
                     "" if replay else encode(ev.name, ev.args))  # a replay writes no events
            for ev in events
        ]  # fmt: skip
    append = state.events.append
    get_handlers = by_event(registries).get
    for ev, row in zip(events, rows, strict=True):
        if (
            not row[VIN]
            or (row[LOAN_ID] is not None and row[LIEN_ID] is None)
            or (row[CLAIM_ID] is not None and row[POLICY_ID] is None)
        ):  # needs_resolution, inline
            row = resolve(row, state)
        if not replay:
            append(row)
        todo = get_handlers(ev.name)
        if todo:
            ctx = EventContext(ev, row[BLOCK_TIME], state, session, row, replay)
            for handler in todo:
                handler(ctx)
    state.flush(conn, write_events=not replay)
    for registry in registries:
        for hook in registry.after_apply_hooks:
            hook(session, state)
    return state
