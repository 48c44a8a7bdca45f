"""A vehicle's title check (the certificate body) and its history, from the SQL mirror."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, or_, select

from registry.certificates import CERTIFICATE_TYPE, CERTIFICATE_VERSION, summarize
from registry.contracts import CONTRACT_NAMES, Deployment, abi, brand_names
from registry.db.models import (
    BrandRecord,
    Event,
    Lien,
    Loan,
    OdometerReading,
    Participant,
    Title,
    TotalLoss,
)
from registry.db.pledges import Pledge
from registry.enums import EventKind, LienStatus, Role, TitleStatus
from registry.errors import InvalidInput, NotFound
from registry.queries import MirrorState, Query, Reader, as_json, block_time, table

TITLES = table(Title)
BRANDS = table(BrandRecord)
ODOMETER = table(OdometerReading)
LIENS = table(Lien)
PARTICIPANTS = table(Participant)
LOSSES = table(TotalLoss)
EVENTS = table(Event)
LOANS = table(Loan)
PLEDGES = table(Pledge)

_TITLE = Query(
    select(
        TITLES.c.owner, TITLES.c.status, TITLES.c.brands, TITLES.c.odometer, TITLES.c.active_liens
    ).where(TITLES.c.vin == bindparam("vin"))
)
_BRANDS = Query(
    select(
        BRANDS.c.brand,
        BRANDS.c.actor,
        BRANDS.c.block_number,
        BRANDS.c.block_time,
        BRANDS.c.tx_hash,
        BRANDS.c.log_index,
    )
    .where(BRANDS.c.vin == bindparam("vin"))
    .order_by(BRANDS.c.block_number, BRANDS.c.log_index)
)
_ODOMETER = Query(
    select(
        ODOMETER.c.reading,
        ODOMETER.c.not_actual,
        ODOMETER.c.block_number,
        ODOMETER.c.block_time,
        ODOMETER.c.tx_hash,
        ODOMETER.c.log_index,
    )
    .where(ODOMETER.c.vin == bindparam("vin"))
    .order_by(ODOMETER.c.block_number.desc(), ODOMETER.c.log_index.desc())
    .limit(1)
)
_NAME = (
    select(PARTICIPANTS.c.name)
    .where(PARTICIPANTS.c.address == LIENS.c.holder, PARTICIPANTS.c.role == Role.LENDER)
    .limit(1)
    .scalar_subquery()
)
#: The log index of a lien's LienRegistered event (in the transaction the lien row names).
_REGISTERED_LOG = (
    select(EVENTS.c.log_index)
    .where(
        EVENTS.c.tx_hash == LIENS.c.registered_tx,
        EVENTS.c.lien_id == LIENS.c.lien_id,
        EVENTS.c.event == "LienRegistered",
    )
    .limit(1)
    .scalar_subquery()
)
_LOAN = select(LOANS.c.loan_id).where(LOANS.c.lien_id == LIENS.c.lien_id).scalar_subquery()
_PLEDGED_TO = (
    select(PLEDGES.c.funder)
    .where(PLEDGES.c.lien_id == LIENS.c.lien_id, PLEDGES.c.active.is_(True))
    .limit(1)
    .scalar_subquery()
)
_ACTIVE_LIENS = Query(
    select(
        LIENS.c.lien_id,
        LIENS.c.priority,
        LIENS.c.holder,
        _NAME,
        LIENS.c.floor_plan,
        LIENS.c.registered_block,
        LIENS.c.registered_at,
        LIENS.c.registered_tx,
        _REGISTERED_LOG,
        _LOAN,
        _PLEDGED_TO,
    )
    .where(LIENS.c.vin == bindparam("vin"), LIENS.c.status == LienStatus.ACTIVE)
    .order_by(LIENS.c.priority, LIENS.c.lien_id)
)
_LOSS = Query(
    select(
        LOSSES.c.claim_id,
        LOSSES.c.policy_id,
        LOSSES.c.insurer,
        LOSSES.c.loss_payee,
        LOSSES.c.flood,
        LOSSES.c.block_number,
        LOSSES.c.block_time,
        LOSSES.c.tx_hash,
        LOSSES.c.log_index,
    )
    .where(LOSSES.c.vin == bindparam("vin"))
    .order_by(LOSSES.c.block_number.desc(), LOSSES.c.log_index.desc())
    .limit(1)
)


def _cite(block: int, time: int, tx_hash: str, log_index: int | None) -> dict[str, Any]:
    return {"block": block, "time": time, "tx_hash": tx_hash, "log_index": log_index}


#: A brand record, an odometer reading and a total loss as the certificate cites them:
#: (brand, actor, block, time, tx, log index), (reading, not actual, block, time, tx, log
#: index), (claim, policy, insurer, loss payee, flood, block, time, tx, log index).
Row = Sequence[Any]


def certificate_body(
    vin: str,
    deployment: Deployment,
    block: dict[str, Any],
    title: Row,
    brand_records: Iterable[Row],
    last_reading: Row | None,
    liens: list[dict[str, Any]],
    loss: Row | None,
) -> dict[str, Any]:
    """A certificate body from the facts of a title at ``block`` ({number, hash, timestamp}):
    ``title`` is (owner, status, brands mask, odometer), ``brand_records`` every brand
    applied in chain order, ``last_reading`` the latest odometer reading, ``liens`` the
    active liens in priority order (certificate entries), ``loss`` the latest total loss."""
    owner, status, mask, odometer = title
    current = set(brand_names(mask))
    brands: list[dict[str, Any]] = []
    for brand, actor, blk, time, tx, li in brand_records if mask else ():
        if brand in current:
            current.discard(brand)
            brands.append({"brand": brand, "applied_by": actor, **_cite(blk, time, tx, li)})
    odometer_entry: dict[str, Any] = {"reading": odometer, "not_actual": False}
    if last_reading is not None and last_reading[0] == odometer:
        odometer_entry = {
            "reading": odometer,
            "not_actual": bool(last_reading[1]),
            **_cite(*last_reading[2:]),
        }
    total_loss = None
    if status == TitleStatus.TOTAL_LOSS and loss is not None:
        claim, policy, insurer, payee, flood, blk, time, tx, li = loss
        total_loss = {
            "claim_id": claim,
            "policy_id": policy,
            "insurer": insurer,
            "loss_payee": payee,
            "flood": bool(flood),
            **_cite(blk, time, tx, li),
        }
    return {
        "type": CERTIFICATE_TYPE,
        "version": CERTIFICATE_VERSION,
        "vin": vin,
        "chain_id": deployment.chain_id,
        "contracts": {
            "registry": deployment.registry.lower(),
            "loan_ledger": deployment.loan_ledger.lower(),
            "insurance_ledger": deployment.insurance_ledger.lower(),
            "deployed_at_block": deployment.block,
        },
        "block": block,
        "title": {"owner": owner, "status": status},
        "odometer": odometer_entry,
        "brands": brands,
        "liens": liens,
        "total_loss": total_loss,
        "summary": summarize(status, liens, brands, total_loss),
    }


def lien_entry(
    lien_id: int,
    priority: int,
    holder: str,
    name: str | None,
    floor_plan: Any,
    block: int,
    at: int,
    tx: str,
    log_index: int | None,
    loan_id: int | None,
    pledged_to: str | None,
) -> dict[str, Any]:
    """An active lien as a certificate states it (with the loan it secures, if any, and the
    funder that loan is pledged to, if any)."""
    return {
        "lien_id": lien_id,
        "priority": priority,
        "holder": holder,
        "holder_name": name or None,
        "floor_plan": bool(floor_plan),
        "registered_block": block,
        "registered_at": at,
        "tx_hash": tx,
        "log_index": log_index,
        "loan_id": loan_id,
        "pledged_to": pledged_to,
    }


def title_certificate(
    reader: Reader, vin: str, state: MirrorState, deployment: Deployment
) -> dict[str, Any]:
    """The certificate body for ``vin`` at the mirror's block (:class:`NotFound` if no title).

    ``vin`` must already be validated.
    """
    title = reader.first(_TITLE, vin=vin)
    if title is None:
        raise NotFound(f"VIN {vin} has no title in the registry", vin=vin)
    # the title row says whether there is anything to look up: most titles have no brand
    brand_records = reader.rows(_BRANDS, vin=vin) if title[2] else []
    liens = [lien_entry(*row) for row in reader.rows(_ACTIVE_LIENS, vin=vin)]
    loss = reader.first(_LOSS, vin=vin) if title[1] == TitleStatus.TOTAL_LOSS else None
    block = {
        "number": state.indexed_block,
        "hash": state.indexed_hash,
        "timestamp": block_time(reader, state.indexed_block),
    }
    return certificate_body(
        vin, deployment, block, title[:4], brand_records, reader.first(_ODOMETER, vin=vin),
        liens, loss,
    )  # fmt: skip


# ------------------------------------------------------------------------------ history

_KIND_BY_CONTRACT = {"LoanLedger": EventKind.LOAN, "InsuranceLedger": EventKind.INSURANCE}


def event_kind(contract: str, event: str) -> EventKind:
    """What the event ``event`` of ``contract`` is about, as the history shows it."""
    if contract in _KIND_BY_CONTRACT:
        return _KIND_BY_CONTRACT[contract]
    if event.startswith("Lien"):
        return EventKind.LIEN
    if event == "SaleRecorded":
        return EventKind.SALE
    if event.startswith("Participant") or event == "LoanLedgerSet":
        return EventKind.PARTICIPANT
    return EventKind.TITLE


HISTORY_COLUMNS = (
    EVENTS.c.block_number,
    EVENTS.c.log_index,
    EVENTS.c.block_hash,
    EVENTS.c.block_time,
    EVENTS.c.tx_hash,
    EVENTS.c.contract,
    EVENTS.c.event,
    EVENTS.c.actor,
    EVENTS.c.lien_id,
    EVENTS.c.loan_id,
    EVENTS.c.policy_id,
    EVENTS.c.claim_id,
    EVENTS.c.args,
)
#: No upper bound on the block (the history as the mirror holds it now).
LATEST = 2**62


def _history_query(kinds: frozenset[EventKind]) -> Query:
    stmt = select(*HISTORY_COLUMNS).where(
        EVENTS.c.vin == bindparam("vin"),
        EVENTS.c.block_number <= bindparam("until"),
        or_(
            EVENTS.c.block_number > bindparam("after_block"),
            and_(
                EVENTS.c.block_number == bindparam("after_block"),
                EVENTS.c.log_index > bindparam("after_log"),
            ),
        ),
    )
    if kinds:  # one equality per event (an IN list would be expanded at execution)
        names = _events_of_kinds(kinds)
        stmt = stmt.where(
            or_(
                *(
                    and_(EVENTS.c.contract == contract, EVENTS.c.event == name)
                    for contract, events in sorted(names.items())
                    for name in sorted(events)
                )
            )
        )
    return Query(stmt.order_by(EVENTS.c.block_number, EVENTS.c.log_index).limit(bindparam("limit")))


def _events_of_kinds(kinds: frozenset[EventKind]) -> dict[str, set[str]]:
    """The ABI events of ``kinds``, by contract name (an event no ABI knows has no kind)."""
    out: dict[str, set[str]] = {c: set() for c in CONTRACT_NAMES}
    for contract in CONTRACT_NAMES:
        for entry in abi(contract):
            if entry["type"] == "event" and event_kind(contract, entry["name"]) in kinds:
                out[contract].add(entry["name"])
    return {c: n for c, n in out.items() if n}


_HISTORY: dict[frozenset[EventKind], Query] = {}
_HAS_TITLE = Query(select(TITLES.c.vin).where(TITLES.c.vin == bindparam("vin")))
_HAS_EVENTS = Query(select(EVENTS.c.id).where(EVENTS.c.vin == bindparam("vin")).limit(1))


#: A history cursor: ``"<block>-<log index>"`` of the last event seen (``next_cursor``);
#: empty starts from the beginning.
CURSOR_PATTERN = "^([0-9]{1,18}-[0-9]{1,9})?$"


def parse_cursor(cursor: str | None) -> tuple[int, int]:
    """The (block, log index) of a :data:`CURSOR_PATTERN`; None or empty: the beginning."""
    if not cursor:
        return -1, -1
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        raise InvalidInput(
            f"cursor {cursor!r} is not '<block>-<log index>' (use next_cursor of a page)",
            cursor=cursor,
        )
    block, log = cursor.split("-")
    return int(block), int(log)


def event_row(row: Any) -> dict[str, Any]:
    """An ``events`` row as the API shows it."""
    blk, li, bh, time, tx, contract, name, actor, lien, loan, policy, claim, args = row
    return {
        "kind": event_kind(contract, name),
        "event": name,
        "contract": contract,
        "block": blk,
        "log_index": li,
        "block_hash": bh,
        "time": time,
        "tx_hash": tx,
        "actor": actor,
        "lien_id": lien,
        "loan_id": loan,
        "policy_id": policy,
        "claim_id": claim,
        "args": as_json(args),
    }


def history(
    reader: Reader,
    vin: str,
    *,
    cursor: str | None = None,
    limit: int = 100,
    until: int = LATEST,
    kinds: Iterable[EventKind] = (),
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``vin``'s events in chain order up to block ``until`` (of ``kinds`` only,
    when given), and the cursor of the next page (or None).

    Raises :class:`NotFound` when the mirror knows nothing of ``vin``.
    """
    after_block, after_log = parse_cursor(cursor)
    wanted = frozenset(kinds)
    query = _HISTORY.get(wanted)
    if query is None:
        query = _HISTORY.setdefault(wanted, _history_query(wanted))
    params = {"vin": vin, "after_block": after_block, "after_log": after_log,
              "limit": limit + 1, "until": until}  # fmt: skip
    rows = reader.rows(query, **params)
    if (
        not rows
        and cursor is None
        and reader.first(_HAS_TITLE, vin=vin) is None
        and reader.first(_HAS_EVENTS, vin=vin) is None
    ):
        raise NotFound(f"VIN {vin} has no title and no events in the registry", vin=vin)
    items = [event_row(r) for r in rows[:limit]]
    next_cursor = f"{items[-1]['block']}-{items[-1]['log_index']}" if len(rows) > limit else None
    return items, next_cursor


def full_history(
    reader: Reader, vin: str, *, until: int = LATEST, kinds: Iterable[EventKind] = ()
) -> list[dict[str, Any]]:
    """Every event of ``vin`` up to block ``until`` (of ``kinds`` only, when given), read page
    by page (the downloads).

    Raises :class:`NotFound` when the mirror knows nothing of ``vin``.
    """
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page, cursor = history(reader, vin, cursor=cursor, limit=500, until=until, kinds=kinds)
        items += page
        if cursor is None:
            return items


_ODOMETER_SERIES = Query(
    select(
        ODOMETER.c.reading,
        ODOMETER.c.not_actual,
        ODOMETER.c.block_number,
        ODOMETER.c.block_time,
        ODOMETER.c.tx_hash,
    )
    .where(ODOMETER.c.vin == bindparam("vin"), ODOMETER.c.block_number <= bindparam("until"))
    .order_by(ODOMETER.c.block_number, ODOMETER.c.log_index)
)


def odometer_series(reader: Reader, vin: str, *, until: int = LATEST) -> list[dict[str, Any]]:
    """Every odometer reading of ``vin`` in chain order, up to block ``until`` (for the
    page's chart).

    Raises :class:`NotFound` when ``vin`` has no title.
    """
    readings = [
        {"reading": r, "not_actual": bool(na), "block": b, "time": t, "tx_hash": tx}
        for r, na, b, t, tx in reader.rows(_ODOMETER_SERIES, vin=vin, until=until)
    ]
    if not readings and reader.first(_HAS_TITLE, vin=vin) is None:
        raise NotFound(f"VIN {vin} has no title in the registry", vin=vin)
    return readings
