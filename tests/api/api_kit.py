"""Shared helpers of the API tests (``tests.api.api_kit``; fixtures live in conftest.py):
a book of vehicles in known states on a real chain, its SQL mirror, API keys per role."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import schemathesis
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from api.config import ApiSettings
from registry.auth import create_key
from registry.indexer import Indexer
from registry.indexer.handlers import HandlerRegistry
from registry.indexer.projections import core_handlers
from registry.vin import ALLOWED, compute_check_digit
from tests.registry_kit import CAST, Registry, fresh_vin

ZERO32 = b"\x00" * 32


def h32(n: int) -> bytes:
    return n.to_bytes(32, "big")


@dataclass
class Book:
    """The vehicles the API tests look at, each in a known state."""

    clean: str  # title, two odometer readings, nothing else
    liened: str  # two liens (lender first, lender2 second), a loan with a payment
    branded: str  # policy, claim, total loss (salvage) declared by the insurer
    floor_plan: str  # dealer stock under a floor-plan lien, sold out of trust
    released: str  # a lien registered then released: clean again
    unknown: str  # a valid VIN never titled
    lien_first: int
    lien_second: int
    loan_id: int


def make_book(reg: Registry) -> Book:
    c = CAST
    registrar, lender, lender2 = reg.registrar, reg.client(c.lender), reg.client(c.lender2)
    dealer, insurer = reg.client(c.dealer), reg.client(c.insurer)
    vins = [fresh_vin() for _ in range(6)]
    clean, liened, branded, floor_plan, released, unknown = vins
    for vin, owner in ((clean, c.owner), (liened, c.owner), (branded, c.owner),
                       (floor_plan, c.dealer), (released, c.owner)):  # fmt: skip
        registrar.issue_title(vin, owner.address, 1_000)
    dealer.record_odometer(clean, 12_500)
    dealer.record_odometer(clean, 18_200)
    first = lender.register_lien(liened).id
    second = lender2.register_lien(liened).id
    loan_id = lender.originate_loan(first, h32(1), h32(2), h32(3)).id
    lender.record_disbursement(loan_id, 2_000_000)
    lender.record_payment(loan_id, 45_000, h32(4))
    policy = insurer.record_policy(branded, c.lender.address, h32(5), 2_000_000_000).id
    claim = insurer.file_claim(policy, h32(6), 900_000).id
    insurer.declare_total_loss(claim)
    lender.register_lien(floor_plan, floor_plan=True)
    dealer.record_sale(floor_plan, c.buyer.address, h32(7))
    rel = lender.register_lien(released).id
    lender.release_lien(rel)
    return Book(clean, liened, branded, floor_plan, released, unknown, first, second, loan_id)


@dataclass
class Mirror:
    """The chain and its SQL mirror, with the settings an API instance needs."""

    reg: Registry
    engine: Engine
    db_url: str
    data_dir: Path
    book: Book

    def settings(self, **overrides: object) -> ApiSettings:
        values: dict[str, object] = {
            "data_dir": self.data_dir,
            "database_url": self.db_url,
            "rpc_url": self.reg.node.rpc_url,
            "deployments_file": self.data_dir / "deployments.json",
            "rate_limit_per_second": 0,
            "head_poll_interval": 0.2,
        }
        values.update(overrides)
        return ApiSettings(**values)  # type: ignore[arg-type]

    def index(self, registries: Sequence[HandlerRegistry] | None = None) -> None:
        """Brings the mirror up to the chain head (the core projections, unless given)."""
        Indexer(self.engine, self.reg.rpc, self.reg.deployment, confirmations=0,
                registries=registries or [core_handlers()]).run(until_head=True)  # fmt: skip

    def key(self, role: str, participant: str, label: str = "test") -> str:
        with Session(self.engine) as session:
            _, token = create_key(session, role, participant, label)
            session.commit()
        return token


@dataclass(frozen=True)
class Keys:
    """One API key per role, each bound to the cast member playing it."""

    registrar: str
    lender: str
    lender2: str
    dealer: str
    insurer: str
    auditor: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ---------------------------------------------------------------- schemathesis


def valid_vins() -> st.SearchStrategy[str]:
    """VINs ``validate_vin`` accepts: any allowed characters, the check digit right where it
    is mandatory (a North American maker), in any case."""

    def build(chars: str, lower: list[bool]) -> str:
        vin = chars[:8] + compute_check_digit(chars) + chars[9:] if chars[0] in "12345" else chars
        return "".join(c.lower() if low else c for c, low in zip(vin, lower, strict=True))

    alphabet = "".join(sorted(ALLOWED))
    return st.builds(
        build,
        st.text(alphabet, min_size=17, max_size=17),
        st.lists(st.booleans(), min_size=17, max_size=17),
    )


def register_formats(vins: list[str], addresses: list[str]) -> None:
    """Teaches schemathesis the API's own string formats (``api.types``), drawing often from
    values the mirror knows so that answers other than 404 get checked too."""
    schemathesis.openapi.format("vin", st.one_of(st.sampled_from(vins), valid_vins()))
    random_address = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    schemathesis.openapi.format(
        "evm-address", st.one_of(st.sampled_from(addresses), random_address)
    )
