"""A vehicle's title check (the certificate body) and its history, from the SQL mirror."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, bindparam, or_, select

from registry.certificates import CERTIFICATE_TYPE, CERTIFICATE_VERSION, summarize
from registry.contracts import Deployment, brand_names
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


def title_certificate(
    reader: Reader, vin: str, state: MirrorState, deployment: Deployment
) -> dict[str, Any]:
    """The certificate body for ``vin`` at the mirror's block (:class:`NotFound` if no title).

    ``vin`` must already be validated.
    """
    title = reader.first(_TITLE, vin=vin)
    if title is None:
        raise NotFound(f"VIN {vin} has no title in the registry", vin=vin)
    owner, status, mask, odometer, _active = title
    current = set(brand_names(mask))
    brands: list[dict[str, Any]] = []
    # the title row says whether there is anything to look up: most titles have no brand
    for brand, actor, blk, time, tx, li in reader.rows(_BRANDS, vin=vin) if mask else ():
        if brand in current:
            current.discard(brand)
            brands.append({"brand": brand, "applied_by": actor, **_cite(blk, time, tx, li)})
    odo = reader.first(_ODOMETER, vin=vin)
    odometer_entry: dict[str, Any] = {"reading": odometer, "not_actual": False}
    if odo is not None and odo[0] == odometer:
        odometer_entry = {"reading": odometer, "not_actual": bool(odo[1]), **_cite(*odo[2:])}
    liens = [
        {
            "lien_id": lid,
            "priority": prio,
            "holder": holder,
            "holder_name": name or None,
            "floor_plan": bool(fp),
            "registered_block": blk,
            "registered_at": at,
            "tx_hash": tx,
            "log_index": None,
            "loan_id": loan_id,
            "pledged_to": funder,
        }
        for lid, prio, holder, name, fp, blk, at, tx, loan_id, funder in reader.rows(
            _ACTIVE_LIENS, vin=vin
        )
    ]
    total_loss = None
    if status == TitleStatus.TOTAL_LOSS:
        loss = reader.first(_LOSS, vin=vin)
        if loss is not None:
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
        "block": {
            "number": state.indexed_block,
            "hash": state.indexed_hash,
            "timestamp": block_time(reader, state.indexed_block),
        },
        "title": {"owner": owner, "status": status},
        "odometer": odometer_entry,
        "brands": brands,
        "liens": liens,
        "total_loss": total_loss,
        "summary": summarize(status, liens, brands, total_loss),
    }


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
_HISTORY = Query(
    select(*HISTORY_COLUMNS)
    .where(
        EVENTS.c.vin == bindparam("vin"),
        or_(
            EVENTS.c.block_number > bindparam("after_block"),
            and_(
                EVENTS.c.block_number == bindparam("after_block"),
                EVENTS.c.log_index > bindparam("after_log"),
            ),
        ),
    )
    .order_by(EVENTS.c.block_number, EVENTS.c.log_index)
    .limit(bindparam("limit"))
)
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
    reader: Reader, vin: str, *, cursor: str | None = None, limit: int = 100
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``vin``'s events in chain order, and the cursor of the next page (or None).

    Raises :class:`NotFound` when the mirror knows nothing of ``vin``.
    """
    after_block, after_log = parse_cursor(cursor)
    params = {"vin": vin, "after_block": after_block, "after_log": after_log, "limit": limit + 1}
    rows = reader.rows(_HISTORY, **params)
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


_ODOMETER_SERIES = Query(
    select(
        ODOMETER.c.reading,
        ODOMETER.c.not_actual,
        ODOMETER.c.block_number,
        ODOMETER.c.block_time,
        ODOMETER.c.tx_hash,
    )
    .where(ODOMETER.c.vin == bindparam("vin"))
    .order_by(ODOMETER.c.block_number, ODOMETER.c.log_index)
)


def odometer_series(reader: Reader, vin: str) -> list[dict[str, Any]]:
    """Every odometer reading of ``vin`` in chain order (for the page's chart).

    Raises :class:`NotFound` when ``vin`` has no title.
    """
    readings = [
        {"reading": r, "not_actual": bool(na), "block": b, "time": t, "tx_hash": tx}
        for r, na, b, t, tx in reader.rows(_ODOMETER_SERIES, vin=vin)
    ]
    if not readings and reader.first(_HAS_TITLE, vin=vin) is None:
        raise NotFound(f"VIN {vin} has no title in the registry", vin=vin)
    return readings
