"""Alerts to funders (``registry.risk.funders``): each raised by its scenario on a real chain,
indexed by the real indexer, and not raised by its near miss."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.risk.webhooks import add_webhook, outbox
from tests.kit.api import api_settings, bearer, make_keys
from tests.kit.chain import CAST, HOUR, Registry, ref
from tests.kit.mirror import Mirror

FUNDER = CAST.funder.address.lower()


def _told(mirror: Mirror, vin: str) -> list[str]:
    """The kinds of the funder alerts about ``vin``, sorted."""
    return sorted(k for k in mirror.kinds(vin) if k.startswith("pledged_"))


def _one(mirror: Mirror, vin: str, kind: str) -> dict[str, Any]:
    [alert] = [a for a in mirror.alerts(vin=vin) if a["kind"] == kind]
    return alert


def _released_pledge(chain: Registry) -> tuple[str, int, int]:
    """A loan pledged, then released by its funder: (vin, lien, loan)."""
    vin, lien, loan, _ = chain.pledged_loan()
    chain.funder.release_pledge(loan, "repurchase")
    return vin, lien, loan


def _total_loss(chain: Registry, vin: str) -> None:
    policy = chain.insurer.record_policy(vin, CAST.lender.address, ref(), chain.now() + 10**7).id
    claim = chain.insurer.file_claim(policy, ref(), 2_000_000).id
    chain.insurer.declare_total_loss(claim)


def test_total_loss_of_a_pledged_vehicle(chain: Registry, mirror: Mirror) -> None:
    vin, lien, loan, pledge = chain.pledged_loan()
    unpledged, _, _ = chain.active_loan()
    released, _, _ = _released_pledge(chain)
    for v in (vin, unpledged, released):
        _total_loss(chain, v)
    mirror.index()
    assert _told(mirror, vin) == ["pledged_total_loss"]  # the salvage brand is part of it
    alert = _one(mirror, vin, "pledged_total_loss")
    assert alert["lenders"] == [FUNDER] and alert["severity"] == "critical"
    assert (alert["loan_id"], alert["lien_id"], alert["details"]["pledge_id"]) == (
        loan,
        lien,
        pledge,
    )
    assert mirror.alerts(lender=FUNDER, kind="pledged_total_loss")
    assert _told(mirror, unpledged) == [] and _told(mirror, released) == []


def test_brand_on_a_pledged_vehicle(chain: Registry, mirror: Mirror) -> None:
    vin, _, _, _ = chain.pledged_loan()
    released, _, _ = _released_pledge(chain)
    chain.registrar.apply_brand(vin, "flood")
    chain.registrar.apply_brand(vin, "hail")
    chain.registrar.apply_brand(released, "flood")
    mirror.index()
    assert _told(mirror, vin) == ["pledged_brand", "pledged_brand"]
    assert sorted(a["severity"] for a in mirror.alerts(vin=vin, kind="pledged_brand")) == [
        "high",
        "warning",
    ]
    assert _told(mirror, released) == []


def test_repossession_of_a_pledged_loan(chain: Registry, mirror: Mirror) -> None:
    vin, _, loan, _ = chain.pledged_loan()
    unpledged, _, other = chain.active_loan()
    for lender_loan in (loan, other):
        chain.lender.declare_default(lender_loan)
        chain.lender.repossess(lender_loan)
    mirror.index()
    assert _told(mirror, vin) == ["pledged_repossession"]  # not also "lien released"
    assert _told(mirror, unpledged) == []


def test_another_lender_s_lien_on_a_pledged_vehicle(chain: Registry, mirror: Mirror) -> None:
    vin, _, _, _ = chain.pledged_loan()
    mirror.index()  # the pledge is in the database when the other lien comes
    other = chain.lender2.register_lien(vin).id
    mirror.index()
    alert = _one(mirror, vin, "pledged_other_lien")
    assert alert["details"]["other_lien"] == other
    assert alert["details"]["other_holder"] == CAST.lender2.address.lower()


def test_a_pledge_made_while_another_lender_s_lien_stands(chain: Registry, mirror: Mirror) -> None:
    vin = chain.title()
    chain.lender2.register_lien(vin)
    loan = chain.loan(chain.lien(vin))
    chain.lender.record_disbursement(loan, 1_000_000)
    chain.lender.pledge_loan(loan, CAST.funder.address)
    mirror.index()
    assert _told(mirror, vin) == ["pledged_other_lien"]


def test_no_other_lien_alert_for_the_same_lender_or_a_released_lien(
    chain: Registry, mirror: Mirror
) -> None:
    vin, _, _, _ = chain.pledged_loan()
    chain.lender.register_lien(vin)  # a second lien by the same lender
    released = chain.title()  # another lender's lien released before the pledge
    gone = chain.lender2.register_lien(released).id
    chain.lender2.release_lien(gone)
    loan = chain.loan(chain.lien(released))
    chain.lender.record_disbursement(loan, 1_000_000)
    chain.lender.pledge_loan(loan, CAST.funder.address)
    mirror.index()
    assert _told(mirror, vin) == [] and _told(mirror, released) == []


def test_lien_released_or_assigned_while_pledged(chain: Registry, mirror: Mirror) -> None:
    released, lien, _, _ = chain.pledged_loan()
    sibling = chain.lien(released)  # near miss: another lien on the same vehicle
    chain.lender.release_lien(sibling)
    chain.lender.release_lien(lien)
    assigned, lien2, loan2, _ = chain.pledged_loan()
    to = CAST.lender2.address
    consent = chain.funder.sign_pledge_consent(loan2, to, deadline=chain.now() + HOUR)
    chain.lender.assign_lien(lien2, to, consent)
    free, free_lien, _ = _released_pledge(chain)
    chain.lender.release_lien(free_lien)
    mirror.index()
    assert _told(mirror, released) == ["pledged_lien_released"]
    assert _one(mirror, released, "pledged_lien_released")["details"]["reason"] == "VOLUNTARY"
    alert = _one(mirror, assigned, "pledged_lien_assigned")
    assert alert["details"]["assigned_to"] == to.lower()
    assert _told(mirror, free) == []


def test_a_payoff_not_remitted_within_the_configured_days(chain: Registry, tmp_path: Path) -> None:
    mirror = Mirror.create(chain, tmp_path, risk=True, payoff_days=10)
    late, _, late_loan, pledge = chain.pledged_loan()
    remitted, _, remitted_loan, _ = chain.pledged_loan()
    for loan in (late_loan, remitted_loan):
        chain.lender.pay_off(loan)
    mirror.index()
    assert _told(mirror, late) == ["pledged_lien_released"]  # the payoff released the lien
    chain.advance(9)
    chain.funder.release_pledge(remitted_loan, "remittance")  # near miss: remitted in time
    mirror.index()
    assert "pledged_payoff_unremitted" not in _told(mirror, late)  # 9 days: not yet
    chain.advance(1.1)
    mirror.index()
    alert = _one(mirror, late, "pledged_payoff_unremitted")
    assert alert["details"]["pledge_id"] == pledge and alert["details"]["days"] == 10
    assert alert["lenders"] == [FUNDER]
    assert "pledged_payoff_unremitted" not in _told(mirror, remitted)
    mirror.index()  # indexing on raises it once
    assert _told(mirror, late).count("pledged_payoff_unremitted") == 1


@pytest.mark.parametrize("kind", ["pledged_lien_released"])
def test_funder_alerts_go_to_the_funder_s_webhooks(
    chain: Registry, fresh_mirror: Mirror, kind: str
) -> None:
    with fresh_mirror.engine.begin() as conn:
        hook = add_webhook(conn, FUNDER, "http://127.0.0.1:9/funder")
    vin, lien, _, _ = chain.pledged_loan()
    chain.lender.release_lien(lien)
    fresh_mirror.index()
    alert = _one(fresh_mirror, vin, kind)
    with fresh_mirror.engine.connect() as conn:
        queued = [d for d in outbox(conn, limit=10_000) if d["alert_key"] == alert["key"]]
    assert [d["webhook_id"] for d in queued] == [hook["id"]]


def test_the_funder_reads_its_alerts_through_the_api(chain: Registry, mirror: Mirror) -> None:
    vin, lien, _, _ = chain.pledged_loan()
    chain.lender.release_lien(lien)
    mirror.index()
    keys = make_keys(mirror, "funder-alerts")
    with TestClient(create_app(api_settings(mirror))) as client:
        url = f"/funders/{CAST.funder.address}/alerts?kind=pledged_lien_released"
        r = client.get(url, headers=bearer(keys.funder))
        assert r.status_code == 200, r.text
        assert vin in [a["vin"] for a in r.json()["items"]]
        assert "pledged_payoff_unremitted" in r.json()["kinds"]
        assert client.get(url, headers=bearer(keys.funder2)).status_code == 403
        lender_view = client.get(
            f"/lenders/{CAST.lender.address}/alerts?kind=pledged_lien_released",
            headers=bearer(keys.lender),
        )
        assert lender_view.json()["items"] == []  # told to the funder, not the lender


def test_a_reorg_takes_back_a_funder_alert(chain: Registry, fresh_mirror: Mirror) -> None:
    vin, lien, _, _ = chain.pledged_loan()
    fresh_mirror.index()
    chain.lender.release_lien(lien)  # the block the reorg replaces
    fresh_mirror.index()
    assert _told(fresh_mirror, vin) == ["pledged_lien_released"]
    chain.rpc.request("anvil_reorg", [1, []])
    chain.rpc.request("evm_mine", [])
    fresh_mirror.index()
    assert _told(fresh_mirror, vin) == []
    assert chain.reader.lien(lien).status == "ACTIVE"
