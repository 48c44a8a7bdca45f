"""A certificate's verdict and flags for each kind of title, against a table written by hand.

The table below is the oracle: it is not computed by :func:`summarize`. It is checked twice:
on :func:`summarize` alone, and through the real title check (the API over an indexer
mirror of a real anvil holding one vehicle of each kind), whose certificates must also
verify against the chain. The VIN description beside the certificate is checked here too.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.certificates import certificate_id, summarize, verify_certificate
from registry.vin import DESCRIPTION_SOURCE, generate_vin
from tests.kit.api import api_settings
from tests.kit.books import make_book
from tests.kit.chain import CAST, Registry, private_registry
from tests.kit.mirror import Mirror
from tests.kit.vins import fresh_vin


@dataclass(frozen=True)
class Row:
    """One kind of title: what the chain holds, and the summary a certificate must give."""

    kind: str
    status: str
    liens: int  # active liens
    brands: tuple[str, ...]  # in the order applied
    insurer_loss: bool  # an insurer declared a total loss (the certificate cites it)
    verdict: str
    clean: bool
    encumbered: bool
    branded: bool
    total_loss: bool

    def summary(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "clean": self.clean,
            "encumbered": self.encumbered,
            "branded": self.branded,
            "total_loss": self.total_loss,
        }


T, F = True, False
S, R, ST, RT = "SALVAGE", "REBUILT", "STOLEN", "RECOVERED_THEFT"
# fmt: off
TABLE = [
    # kind                      status    liens brands    insurer verdict   clean enc. brand. loss
    Row("clean",                "ACTIVE",     0, (),         F, "clean",      T, F, F, F),
    Row("released_lien",        "ACTIVE",     0, (),         F, "clean",      T, F, F, F),
    Row("one_lien",             "ACTIVE",     1, (),         F, "encumbered", F, T, F, F),
    Row("two_liens",            "ACTIVE",     2, (),         F, "encumbered", F, T, F, F),
    Row("floor_plan_sold",      "ACTIVE",     1, (),         F, "encumbered", F, T, F, F),
    Row("flood",                "ACTIVE",     0, ("FLOOD",), F, "branded",    F, F, T, F),
    Row("fire",                 "ACTIVE",     0, ("FIRE",),  F, "branded",    F, F, T, F),
    Row("hail",                 "ACTIVE",     0, ("HAIL",),  F, "branded",    F, F, T, F),
    Row("lemon",                "ACTIVE",     0, ("LEMON",), F, "branded",    F, F, T, F),
    Row("odometer_not_actual",  "ACTIVE",     0, ("ODOMETER_NOT_ACTUAL",),
                                                             F, "branded",    F, F, T, F),
    Row("flood_with_lien",      "ACTIVE",     1, ("FLOOD",), F, "branded",    F, T, T, F),
    Row("rebuilt_after_salvage", "ACTIVE",    0, (S, R),     F, "branded",    F, F, T, F),
    Row("recovered_theft",      "ACTIVE",     0, (ST, RT),   F, "branded",    F, F, T, F),
    Row("salvage",              "TOTAL_LOSS", 0, (S,),       F, "total_loss", F, F, T, T),
    Row("salvage_with_lien",    "TOTAL_LOSS", 1, (S,),       F, "total_loss", F, T, T, T),
    Row("insurer_total_loss",   "TOTAL_LOSS", 0, (S,),       T, "total_loss", F, F, T, T),
    Row("stolen",               "STOLEN",     0, (ST,),      F, "stolen",     F, F, T, F),
    Row("stolen_with_lien",     "STOLEN",     1, (ST,),      F, "stolen",     F, T, T, F),
    Row("scrapped",             "SCRAPPED",   0, ("JUNK",),  F, "scrapped",   F, F, T, F),
]
# fmt: on
BY_KIND = {row.kind: row for row in TABLE}


@pytest.mark.parametrize("row", TABLE, ids=[row.kind for row in TABLE])
def test_summarize_gives_the_flags_of_the_table(row: Row) -> None:
    liens = [{"lien_id": n + 1, "priority": n + 1} for n in range(row.liens)]
    brands = [{"brand": b} for b in row.brands]
    loss = {"claim_id": 1, "policy_id": 1} if row.insurer_loss else None
    assert summarize(row.status, liens, brands, loss) == row.summary()


# --- the real title check on an indexed chain -----------------------------------------------


@dataclass
class Checked:
    reg: Registry
    http: TestClient
    vins: dict[str, str]  # kind -> VIN


def _build(reg: Registry) -> dict[str, str]:
    """One vehicle per kind of the table; the API tests' book supplies five of them."""
    book = make_book(reg)
    registrar, lender = reg.registrar, reg.lender
    vins = {
        "clean": book.clean,
        "released_lien": book.released,
        "two_liens": book.liened,
        "floor_plan_sold": book.floor_plan,
        "insurer_total_loss": book.branded,
    }
    for row in TABLE:
        if row.kind in vins:
            continue
        vin = vins[row.kind] = fresh_vin()
        registrar.issue_title(vin, CAST.owner.address, 100)
        for _ in range(row.liens):  # before the brands: a stolen title takes no new lien
            lender.register_lien(vin)
        for brand in row.brands:
            registrar.apply_brand(vin, brand)
    return vins


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    with private_registry() as reg:
        vins = _build(reg)
        for name, wmi in (("honda_2010", "1HG"), ("unknown_maker", "10Z")):
            vins[name] = generate_vin(random.Random(name), wmi=wmi, year_code="A")
            reg.registrar.issue_title(vins[name], CAST.owner.address, 5)
        mirror = Mirror.create(reg, tmp_path_factory.mktemp("certificates"))
        mirror.index()
        with TestClient(create_app(api_settings(mirror))) as http:
            yield Checked(reg, http, vins)


def _title_check(checked: Checked, vin: str) -> dict[str, Any]:
    r = checked.http.get(f"/vehicles/{vin}/title-check")
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


@pytest.mark.parametrize("row", TABLE, ids=[row.kind for row in TABLE])
def test_title_check_gives_the_flags_of_the_table(checked: Checked, row: Row) -> None:
    doc = _title_check(checked, checked.vins[row.kind])
    cert = doc["certificate"]
    assert cert["title"]["status"] == row.status
    assert len(cert["liens"]) == row.liens
    assert tuple(b["brand"] for b in cert["brands"]) == row.brands
    assert (cert["total_loss"] is not None) == row.insurer_loss
    assert cert["summary"] == row.summary()
    failed = [s for s in verify_certificate(doc, checked.reg.client(None)) if not s.held]
    assert not failed, failed


def test_an_omitted_insurer_total_loss_does_not_verify(checked: Checked) -> None:
    """A registrar's salvage brand has no claim to cite; an insurer's total loss must be cited."""
    doc = _title_check(checked, checked.vins["insurer_total_loss"])
    body = {**doc["certificate"], "total_loss": None}
    forged = {"certificate_id": certificate_id(body), "certificate": body}
    failed = [s.text for s in verify_certificate(forged, checked.reg.client(None)) if not s.held]
    assert failed == [f"no insurer has declared {body['vin']} a total loss"]


def test_vin_description_sits_beside_the_certificate(checked: Checked) -> None:
    doc = _title_check(checked, checked.vins["honda_2010"])
    assert "vehicle" not in doc["certificate"]
    assert doc["certificate_id"] == certificate_id(doc["certificate"])  # the body alone
    assert doc["vehicle"] == {
        "wmi": "1HG",
        "manufacturer": "Honda",
        "region": "North America",
        "country": "United States",
        "model_year_position": 10,
        "model_year_code": "A",
        "model_years": [2010, 1980],
        "model_year_note": "position 10 is 'A': 2010 or 1980; model-year codes repeat every "
        "30 years and the VIN alone does not say which",
        "source": DESCRIPTION_SOURCE,
    }
    assert "not proven by the chain" in doc["vehicle"]["source"]


def test_unknown_maker_still_gets_its_title_check(checked: Checked) -> None:
    doc = _title_check(checked, checked.vins["unknown_maker"])
    assert doc["certificate"]["summary"]["verdict"] == "clean"
    vehicle = doc["vehicle"]
    assert (vehicle["wmi"], vehicle["manufacturer"]) == ("10Z", "unknown")
    assert (vehicle["region"], vehicle["country"]) == ("North America", "United States")
