"""Title-check certificates: a point-in-time answer anyone can re-check against the chain alone.

A certificate body names the chain, the contracts and the block (number and hash) it reflects,
then states the title's owner, status, odometer, brands (with when and by whom), active liens in
priority order and any open total loss. Its id is the SHA-256 of the body's canonical JSON, so
changing any statement changes the id.

:func:`verify_certificate` re-reads every statement from the chain at that block (contract reads
with ``block=N``, receipts of the transactions it cites, ``eth_getBlockByNumber``) and says,
statement by statement, whether it holds.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from registry.client import RegistryClient
from registry.contracts import Deployment, brand_index
from registry.enums import LienStatus, TitleStatus
from registry.errors import InvalidInput, RegistryError
from registry.events import DecodedEvent
from registry.vin import vin_to_bytes32

CERTIFICATE_TYPE = "vehicle-title-certificate"
CERTIFICATE_VERSION = 1


def canonical_json(body: Any) -> bytes:
    """The one byte form a certificate body is hashed in: sorted keys, no spaces, UTF-8."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def certificate_id(body: dict[str, Any]) -> str:
    """``0x`` + SHA-256 of the body's canonical JSON."""
    return "0x" + hashlib.sha256(canonical_json(body)).hexdigest()


def seal(body: dict[str, Any]) -> dict[str, Any]:
    """A certificate document: the body and its id."""
    return {"certificate_id": certificate_id(body), "certificate": body}


def summarize(status: str, liens: list[Any], brands: list[Any], total_loss: Any) -> dict[str, Any]:
    """The at-a-glance verdict derived from the statements (part of the hashed body)."""
    if total_loss is not None or status == TitleStatus.TOTAL_LOSS:
        verdict = "total_loss"
    elif status != TitleStatus.ACTIVE:
        verdict = status.lower()
    elif brands:
        verdict = "branded"
    elif liens:
        verdict = "encumbered"
    else:
        verdict = "clean"
    return {
        "verdict": verdict,
        "clean": verdict == "clean",
        "encumbered": bool(liens),
        "branded": bool(brands),
        "total_loss": verdict == "total_loss",
    }


def load_certificate(path: Path) -> dict[str, Any]:
    """Reads a saved certificate (the API's whole answer, or just id + body)."""
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise InvalidInput(f"no certificate file at {path}", path=str(path)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not JSON: {exc}", path=str(path)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("certificate"), dict):
        raise InvalidInput(f"{path} holds no certificate (no 'certificate' object)")
    body = doc["certificate"]
    if body.get("type") != CERTIFICATE_TYPE:
        raise InvalidInput(f"{path}: not a {CERTIFICATE_TYPE} (type {body.get('type')!r})")
    return doc


@dataclass(frozen=True)
class Statement:
    """One claim of a certificate and whether the chain bears it out."""

    text: str
    held: bool
    found: str = ""  # what the chain says, when it differs


class _Checker:
    """Collects statements; a read that fails makes its statement fail, not the whole run."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []

    def check(self, text: str, probe: Callable[[], tuple[bool, str]]) -> None:
        try:
            held, found = probe()
        except RegistryError as exc:
            held, found = False, f"chain read failed: {exc.message}"
        self.statements.append(Statement(text, held, "" if held else found))


def _plain(value: Any) -> Any:
    """``value`` with enum members as their text, for messages."""
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _same(expected: Any, actual: Any) -> tuple[bool, str]:
    return expected == actual, f"chain says {_plain(actual)!r}"


def _addr(value: str | None) -> str:
    return to_checksum_address(value) if value else ""


class _Chain:
    """Chain reads the verifier needs beyond :class:`RegistryClient` (blocks, receipts)."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self._receipts: dict[str, list[DecodedEvent]] = {}
        self._blocks: dict[int, dict[str, Any]] = {}

    def block(self, number: int) -> dict[str, Any]:
        if number not in self._blocks:
            found = self.client.rpc.request("eth_getBlockByNumber", [hex(number), False])
            if found is None:
                raise InvalidInput(f"the chain has no block {number} yet")
            self._blocks[number] = found
        return self._blocks[number]

    def timestamp(self, number: int) -> int:
        return int(self.block(number)["timestamp"], 16)

    def events(self, tx_hash: str) -> list[DecodedEvent]:
        if tx_hash not in self._receipts:
            receipt = self.client.rpc.request("eth_getTransactionReceipt", [tx_hash])
            if receipt is None:
                raise InvalidInput(f"the chain has no transaction {tx_hash}")
            decoder = self.client.decoder
            self._receipts[tx_hash] = [
                ev for log in receipt["logs"] if (ev := decoder.decode(log)) is not None
            ]
        return self._receipts[tx_hash]

    def event_in(
        self, tx_hash: str, name: str, log_index: int | None = None, **args: Any
    ) -> DecodedEvent | None:
        for ev in self.events(tx_hash):
            if ev.name != name or (log_index is not None and ev.log_index != log_index):
                continue
            if all(str(ev.args.get(k)).lower() == str(v).lower() for k, v in args.items()):
                return ev
        return None

    def participant_name(self, account: str, until: int) -> str | None:
        """The latest name ``account`` was admitted under, up to block ``until``."""
        return self.client.participant_names([account], until)[to_checksum_address(account)]

    def total_losses_declared(self, vin: str, until: int) -> int:
        """How many times an insurer declared ``vin`` a total loss, up to block ``until``."""
        topic = self.client.decoder.topics_by_name["TotalLossDeclared"]
        vin_topic = "0x" + vin_to_bytes32(vin).hex()
        logs = self.client.rpc.request(
            "eth_getLogs",
            [
                {
                    "address": self.client.insurance.address,
                    "fromBlock": hex(self.client.deployment.block),
                    "toBlock": hex(until),
                    "topics": [topic, vin_topic],
                }
            ],
        )
        return len(logs)


def _cited_event(chain: _Chain, cite: dict[str, Any], name: str, **args: Any) -> tuple[bool, str]:
    tx_hash = cite.get("tx_hash")
    if not tx_hash:
        return False, "no transaction cited"
    ev = chain.event_in(tx_hash, name, cite.get("log_index"), **args)
    if ev is None:
        return False, f"transaction {tx_hash} emitted no matching {name}"
    if cite.get("block") is not None and ev.block_number != cite["block"]:
        return False, f"{name} is in block {ev.block_number}"
    time = cite.get("time")
    if time is not None and chain.timestamp(ev.block_number) != time:
        return False, f"block {ev.block_number} has timestamp {chain.timestamp(ev.block_number)}"
    return True, ""


def _statements(body: dict[str, Any], chain: _Chain, check: _Checker) -> Iterator[None]:
    client = chain.client
    vin: str = body["vin"]
    n: int = body["block"]["number"]
    block = body["block"]

    check.check(
        f"block {n} has hash {block['hash']}",
        lambda: _same(block["hash"], chain.block(n)["hash"]),
    )
    if block.get("timestamp") is not None:
        check.check(
            f"block {n} has timestamp {block['timestamp']}",
            lambda: _same(block["timestamp"], chain.timestamp(n)),
        )
    yield None
    title = client.title(vin, n)
    t = body["title"]
    check.check(f"at block {n}, {vin} has a title", lambda: (title.exists, "no title"))
    check.check(f"the owner is {t['owner']}", lambda: _same(_addr(t["owner"]), title.owner))
    check.check(f"the status is {t['status']}", lambda: _same(t["status"], title.status))
    odo = body["odometer"]
    check.check(
        f"the latest odometer reading is {odo['reading']}",
        lambda: _same(odo["reading"], title.odometer),
    )
    if odo.get("tx_hash"):
        check.check(
            f"reading {odo['reading']} was recorded in transaction {odo['tx_hash']}",
            lambda: _odometer_cited(chain, odo, vin),
        )
    yield None
    brands = [b["brand"] for b in body["brands"]]
    check.check(
        f"the brands are exactly {', '.join(brands) or 'none'}",
        lambda: _same(sorted(brands), sorted(title.brands)),
    )
    for b in body["brands"]:
        check.check(
            f"brand {b['brand']} was applied by {b['applied_by']} at block {b['block']}"
            f" (transaction {b['tx_hash']})",
            functools.partial(_brand_cited, chain, b, vin),
        )
    yield None
    liens = body["liens"]
    ids = [lien["lien_id"] for lien in liens]
    check.check(
        f"the active liens in priority order are {ids or 'none'}",
        lambda: _same(ids, client.active_liens(vin, n)),
    )
    for lien in liens:
        _lien_statements(chain, check, lien, vin, n)
    yield None
    loss = body.get("total_loss")
    if loss is None and t["status"] == "TOTAL_LOSS":
        # a salvage brand the registrar applied: a total loss, but no insurer's claim to cite
        check.check(
            f"no insurer has declared {vin} a total loss",
            lambda: _none_declared(chain.total_losses_declared(vin, n)),
        )
    elif loss is None:
        check.check(
            "there is no open total loss",
            lambda: (
                title.status is not TitleStatus.TOTAL_LOSS,
                f"the title status is {title.status}",
            ),
        )
    else:
        check.check(
            f"claim {loss['claim_id']} declared {vin} a total loss (transaction {loss['tx_hash']})",
            lambda: _total_loss_cited(chain, loss, vin, n),
        )
    check.check(
        f"the verdict is {body['summary']['verdict']}",
        lambda: _same(
            body["summary"],
            summarize(title.status, ids, list(title.brands), loss),
        ),
    )


def _none_declared(count: int) -> tuple[bool, str]:
    return count == 0, f"the chain holds {count} total-loss declaration(s) for it"


def _odometer_cited(chain: _Chain, odo: dict[str, Any], vin: str) -> tuple[bool, str]:
    for name, field in (("OdometerRecorded", "reading"), ("TitleIssued", "odometer")):
        ev = chain.event_in(odo["tx_hash"], name, odo.get("log_index"), vin=vin)
        if ev is not None and ev.args[field] == odo["reading"]:
            return _cited_event(chain, odo, name, vin=vin)
    return False, f"transaction {odo['tx_hash']} records no reading {odo['reading']} for {vin}"


def _brand_cited(chain: _Chain, b: dict[str, Any], vin: str) -> tuple[bool, str]:
    return _cited_event(
        chain, b, "BrandApplied", vin=vin, brand=brand_index(b["brand"]), actor=b["applied_by"]
    )


def _lien_statements(
    chain: _Chain, check: _Checker, lien: dict[str, Any], vin: str, n: int
) -> None:
    client = chain.client
    lid = lien["lien_id"]
    check.check(
        f"lien {lid} ranks {lien['priority']}, is held by {lien['holder']} and is "
        f"{'a floor-plan lien' if lien['floor_plan'] else 'not a floor-plan lien'}",
        lambda: _lien_matches(client, lien, vin, n),
    )
    reg = {
        "tx_hash": lien.get("tx_hash"),
        "log_index": lien.get("log_index"),
        "block": lien.get("registered_block"),
        "time": lien.get("registered_at"),
    }
    check.check(
        f"lien {lid} was registered at block {reg['block']} (transaction {reg['tx_hash']})",
        lambda: _cited_event(chain, reg, "LienRegistered", lienId=lid, vin=vin),
    )
    if lien.get("holder_name"):
        check.check(
            f"lienholder {lien['holder']} is named {lien['holder_name']!r}",
            lambda: _same(lien["holder_name"], chain.participant_name(lien["holder"], n)),
        )
    if "loan_id" in lien:  # certificates made before pledges existed do not say
        pledged = f"pledged to {lien['pledged_to']}" if lien.get("pledged_to") else "not pledged"
        check.check(
            f"lien {lid} secures loan {lien['loan_id'] or 'none'}, {pledged}",
            lambda: _pledge_matches(client, lien, n),
        )


def _pledge_matches(client: RegistryClient, lien: dict[str, Any], n: int) -> tuple[bool, str]:
    loan_id = client.loan_of_lien(lien["lien_id"], n)
    pledge = client.pledge_of(loan_id, n) if loan_id else None
    funder = pledge.funder if pledge else None
    stated = (lien["loan_id"] or 0, _addr(lien["pledged_to"]) if lien.get("pledged_to") else None)
    return stated == (loan_id, funder), (
        f"chain says lien {lien['lien_id']} secures loan {loan_id or 'none'}, "
        f"{'pledged to ' + funder if funder else 'not pledged'}"
    )


def _lien_matches(
    client: RegistryClient, lien: dict[str, Any], vin: str, n: int
) -> tuple[bool, str]:
    on_chain = client.lien(lien["lien_id"], n)
    stated = (vin, _addr(lien["holder"]), LienStatus.ACTIVE, lien["floor_plan"], lien["priority"])
    actual = (
        on_chain.vin,
        on_chain.holder,
        on_chain.status,
        on_chain.floor_plan,
        on_chain.priority,
    )
    return stated == actual, (
        f"chain says lien {on_chain.lien_id} on {on_chain.vin or '-'} is {on_chain.status}, "
        f"held by {on_chain.holder}, floor plan {on_chain.floor_plan}, rank {on_chain.priority}"
    )


def _total_loss_cited(chain: _Chain, loss: dict[str, Any], vin: str, n: int) -> tuple[bool, str]:
    claim = chain.client.claim(loss["claim_id"], n)
    if not claim.total_loss:
        return False, f"claim {claim.claim_id} is not a total loss at block {n}"
    if claim.policy_id != loss["policy_id"]:
        return False, f"claim {claim.claim_id} is on policy {claim.policy_id}"
    policy = chain.client.policy(claim.policy_id, n)
    if policy.vin != vin:
        return False, f"policy {policy.policy_id} covers {policy.vin or 'nothing'}"
    return _cited_event(chain, loss, "TotalLossDeclared", vin=vin, claimId=loss["claim_id"])


def verify_certificate(
    doc: dict[str, Any], client: RegistryClient, *, known: Deployment | None = None
) -> list[Statement]:
    """Every statement of ``doc`` checked against the chain ``client`` reads.

    ``client`` must point at the contracts the certificate names (see
    :func:`deployment_of`); ``known`` is the deployment the verifier trusts, if it has one.
    """
    body = doc["certificate"]
    check = _Checker()
    check.check(
        f"the certificate id {doc.get('certificate_id')} is the hash of its body",
        lambda: _same(doc.get("certificate_id"), certificate_id(body)),
    )
    check.check(
        f"the chain id is {body['chain_id']}",
        lambda: _same(body["chain_id"], client.tx.chain_id),
    )
    if known is not None:
        check.check(
            "the contracts are the registry's known deployment",
            lambda: _same(deployment_of(body), known),
        )
    try:
        for _ in _statements(body, _Chain(client), check):
            pass
    except (KeyError, TypeError) as exc:
        check.statements.append(Statement("the certificate is well-formed", False, repr(exc)))
    except RegistryError as exc:
        check.statements.append(Statement("the chain answered every read", False, exc.message))
    return check.statements


def deployment_of(body: dict[str, Any]) -> Deployment:
    """The contracts a certificate names, as a :class:`Deployment`."""
    c = body["contracts"]
    return Deployment(
        chain_id=int(body["chain_id"]),
        registry=_addr(c["registry"]),
        loan_ledger=_addr(c["loan_ledger"]),
        insurance_ledger=_addr(c["insurance_ledger"]),
        block=int(c.get("deployed_at_block", 0)),
    )
