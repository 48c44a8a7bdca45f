"""Insurance: policies naming the lienholder as loss payee, claims, total losses that brand."""

from __future__ import annotations

import pytest

from tests.contracts.chainkit import ZERO_ADDRESS, DeployedRegistry, World, ref, reverts, same

YEAR = 365 * 24 * 3600


@pytest.fixture(scope="module")
def w(registry: DeployedRegistry) -> World:
    return World(registry)


def _policy(w: World, vin: str, payee: str | None = None) -> int:
    return w.insurer.record_policy(
        vin, payee or w.cast.lender.address, ref("pol"), w.now() + YEAR
    ).id


def _claim(w: World, vin: str | None = None) -> tuple[str, int, int]:
    vin = vin or w.title()
    policy_id = _policy(w, vin)
    return vin, policy_id, w.insurer.file_claim(policy_id, ref("claim"), 800_000).id


def test_policy_names_the_loss_payee(w: World) -> None:
    vin = w.title()
    w.lien(vin)
    expires = w.now() + YEAR
    result = w.insurer.record_policy(vin, w.cast.lender.address, ref(), expires)
    event = result.event("PolicyRecorded")
    assert same(event.args["lossPayee"], w.cast.lender.address)
    assert event.args["vin"] == vin
    policy = w.reader.policy(event.args["policyId"])
    assert (policy.vin, policy.status, policy.expires_at) == (vin, "ACTIVE", expires)
    assert same(policy.insurer, w.cast.insurer.address)


def test_a_policy_without_loss_payee(w: World) -> None:
    policy_id = w.insurer.record_policy(w.title(), None, ref(), w.now() + YEAR).id
    assert w.reader.policy(policy_id).loss_payee == ZERO_ADDRESS


@pytest.mark.parametrize("who", ["registrar", "lender", "dealer", "owner", "outsider"])
def test_only_an_insurer_records_a_policy(w: World, who: str) -> None:
    vin = w.title()
    with reverts("InsuranceUnauthorizedAccount"):
        w.everyone[who].record_policy(vin, w.cast.lender.address, ref(), w.now() + YEAR)


def test_a_policy_needs_a_title(w: World) -> None:
    with reverts("InsuranceTitleNotFound"):
        _policy(w, w.new_vin())


def test_change_loss_payee_and_cancel(w: World) -> None:
    policy_id = _policy(w, w.title())
    result = w.insurer.change_loss_payee(policy_id, w.cast.lender2.address)
    assert same(result.event("LossPayeeChanged").args["lossPayee"], w.cast.lender2.address)
    assert same(w.reader.policy(policy_id).loss_payee, w.cast.lender2.address)
    w.insurer.cancel_policy(policy_id)
    assert w.reader.policy(policy_id).status == "CANCELLED"
    with reverts("InsurancePolicyNotActive", policyId=policy_id, status=2):
        w.insurer.file_claim(policy_id, ref(), 1)
    with reverts("InsurancePolicyNotActive"):
        w.insurer.cancel_policy(policy_id)
    with reverts("InsurancePolicyNotActive"):
        w.insurer.change_loss_payee(policy_id, w.cast.lender.address)


def test_unknown_policy_and_claim(w: World) -> None:
    with reverts("InsurancePolicyNotFound"):
        w.insurer.file_claim(10**9, ref(), 1)
    with reverts("InsuranceClaimNotFound"):
        w.insurer.settle_claim(10**9, 1)


def test_claim_settled_pays_the_loss_payee(w: World) -> None:
    vin, policy_id, claim_id = _claim(w)
    claim = w.reader.claim(claim_id)
    assert (claim.policy_id, claim.status, claim.total_loss) == (policy_id, "OPEN", False)
    result = w.insurer.settle_claim(claim_id, 750_000)
    event = result.event("ClaimSettled")
    assert same(event.args["lossPayee"], w.cast.lender.address)
    assert event.args["amount"] == 750_000
    assert w.reader.claim(claim_id).status == "SETTLED"
    with reverts("InsuranceClaimNotOpen", claimId=claim_id, status=2):
        w.insurer.settle_claim(claim_id, 1)
    with reverts("InsuranceClaimNotOpen"):
        w.insurer.declare_total_loss(claim_id)
    assert w.reader.title(vin).brands == ()


def test_claim_denied(w: World) -> None:
    _, _, claim_id = _claim(w)
    w.insurer.deny_claim(claim_id)
    assert w.reader.claim(claim_id).status == "DENIED"
    with reverts("InsuranceClaimNotOpen", status=3):
        w.insurer.deny_claim(claim_id)


def test_total_loss_brands_salvage_and_tells_the_loss_payee(w: World) -> None:
    vin, policy_id, claim_id = _claim(w)
    result = w.insurer.declare_total_loss(claim_id)
    event = result.event("TotalLossDeclared")
    assert (event.args["vin"], event.args["claimId"], event.args["policyId"]) == (
        vin,
        claim_id,
        policy_id,
    )
    assert same(event.args["lossPayee"], w.cast.lender.address)
    assert event.args["flood"] is False
    assert same(result.event("BrandApplied").args["actor"], w.cast.insurer.address)
    title = w.reader.title(vin)
    assert (title.status, title.brands) == ("TOTAL_LOSS", ("SALVAGE",))
    assert w.reader.claim(claim_id).total_loss is True
    with reverts("InsuranceTotalLossAlreadyDeclared", claimId=claim_id):
        w.insurer.declare_total_loss(claim_id)
    w.insurer.settle_claim(claim_id, 900_000)  # the claim stays open until settled


def test_flood_total_loss_brands_flood_too(w: World) -> None:
    vin, _, claim_id = _claim(w)
    w.insurer.declare_total_loss(claim_id, flood=True)
    title = w.reader.title(vin)
    assert (title.status, title.brands) == ("TOTAL_LOSS", ("SALVAGE", "FLOOD"))


def test_a_rebuilt_vehicle_totalled_again(w: World) -> None:
    vin, _, claim_id = _claim(w)
    w.insurer.declare_total_loss(claim_id)
    w.registrar.apply_brand(vin, "rebuilt")
    assert w.reader.title(vin).status == "ACTIVE"
    _, _, second = _claim(w, vin)
    result = w.insurer.declare_total_loss(second, flood=True)
    assert result.event("TitleStatusChanged").args["status"] == 2  # TotalLoss
    title = w.reader.title(vin)
    assert (title.status, title.brands) == ("TOTAL_LOSS", ("SALVAGE", "REBUILT", "FLOOD"))


def test_a_stolen_vehicle_totalled_stays_stolen_until_recovered(w: World) -> None:
    vin, _, claim_id = _claim(w)
    w.registrar.apply_brand(vin, "stolen")
    w.insurer.declare_total_loss(claim_id)
    title = w.reader.title(vin)
    assert (title.status, title.brands) == ("STOLEN", ("SALVAGE", "STOLEN"))
    with reverts("RegistryTitleStatusForbids"):
        w.owner.transfer_title(vin, w.cast.insurer.address)
    w.registrar.apply_brand(vin, "recovered-theft")
    assert w.reader.title(vin).status == "TOTAL_LOSS"


def test_a_scrapped_vehicle_stays_scrapped(w: World) -> None:
    vin, _, claim_id = _claim(w)
    w.registrar.apply_brand(vin, "junk")
    w.insurer.declare_total_loss(claim_id)
    title = w.reader.title(vin)
    assert (title.status, title.brands) == ("SCRAPPED", ("SALVAGE", "JUNK"))


@pytest.mark.parametrize("who", ["lender", "registrar", "owner"])
def test_only_the_policys_insurer_acts_on_it(w: World, who: str) -> None:
    _, policy_id, claim_id = _claim(w)
    other = w.everyone[who]
    for action in (
        lambda: other.change_loss_payee(policy_id, other.address),
        lambda: other.cancel_policy(policy_id),
        lambda: other.file_claim(policy_id, ref(), 1).id,
        lambda: other.settle_claim(claim_id, 1),
        lambda: other.deny_claim(claim_id),
        lambda: other.declare_total_loss(claim_id),
    ):
        with reverts("InsuranceNotInsurer", insurer=w.cast.insurer.address):
            action()
