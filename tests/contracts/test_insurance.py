"""Insurance: policies naming the lienholder as loss payee, claims, total losses that brand."""

from __future__ import annotations

import pytest

from tests.kit.chain import ZERO_ADDRESS, Registry, ref
from tests.kit.expect import reverts, same
from tests.kit.vins import fresh_vin

YEAR = 365 * 24 * 3600


def _policy(registry: Registry, vin: str, payee: str | None = None) -> int:
    return registry.insurer.record_policy(
        vin, payee or registry.cast.lender.address, ref("pol"), registry.now() + YEAR
    ).id


def _claim(registry: Registry, vin: str | None = None) -> tuple[str, int, int]:
    vin = vin or registry.title()
    policy_id = _policy(registry, vin)
    return vin, policy_id, registry.insurer.file_claim(policy_id, ref("claim"), 800_000).id


def test_policy_names_the_loss_payee(registry: Registry) -> None:
    vin = registry.title()
    registry.lien(vin)
    expires = registry.now() + YEAR
    result = registry.insurer.record_policy(vin, registry.cast.lender.address, ref(), expires)
    event = result.event("PolicyRecorded")
    assert same(event.args["lossPayee"], registry.cast.lender.address)
    assert event.args["vin"] == vin
    policy = registry.reader.policy(event.args["policyId"])
    assert (policy.vin, policy.status, policy.expires_at) == (vin, "ACTIVE", expires)
    assert same(policy.insurer, registry.cast.insurer.address)


def test_a_policy_without_loss_payee(registry: Registry) -> None:
    policy_id = registry.insurer.record_policy(
        registry.title(), None, ref(), registry.now() + YEAR
    ).id
    assert registry.reader.policy(policy_id).loss_payee == ZERO_ADDRESS


@pytest.mark.parametrize("who", ["registrar", "lender", "dealer", "owner", "outsider"])
def test_only_an_insurer_records_a_policy(registry: Registry, who: str) -> None:
    vin = registry.title()
    with reverts("InsuranceUnauthorizedAccount"):
        registry.everyone[who].record_policy(
            vin, registry.cast.lender.address, ref(), registry.now() + YEAR
        )


def test_a_policy_needs_a_title(registry: Registry) -> None:
    with reverts("InsuranceTitleNotFound"):
        _policy(registry, fresh_vin())


def test_change_loss_payee_and_cancel(registry: Registry) -> None:
    policy_id = _policy(registry, registry.title())
    result = registry.insurer.change_loss_payee(policy_id, registry.cast.lender2.address)
    assert same(result.event("LossPayeeChanged").args["lossPayee"], registry.cast.lender2.address)
    assert same(registry.reader.policy(policy_id).loss_payee, registry.cast.lender2.address)
    registry.insurer.cancel_policy(policy_id)
    assert registry.reader.policy(policy_id).status == "CANCELLED"
    with reverts("InsurancePolicyNotActive", policyId=policy_id, status=2):
        registry.insurer.file_claim(policy_id, ref(), 1)
    with reverts("InsurancePolicyNotActive"):
        registry.insurer.cancel_policy(policy_id)
    with reverts("InsurancePolicyNotActive"):
        registry.insurer.change_loss_payee(policy_id, registry.cast.lender.address)


def test_unknown_policy_and_claim(registry: Registry) -> None:
    with reverts("InsurancePolicyNotFound"):
        registry.insurer.file_claim(10**9, ref(), 1)
    with reverts("InsuranceClaimNotFound"):
        registry.insurer.settle_claim(10**9, 1)


def test_claim_settled_pays_the_loss_payee(registry: Registry) -> None:
    vin, policy_id, claim_id = _claim(registry)
    claim = registry.reader.claim(claim_id)
    assert (claim.policy_id, claim.status, claim.total_loss) == (policy_id, "OPEN", False)
    result = registry.insurer.settle_claim(claim_id, 750_000)
    event = result.event("ClaimSettled")
    assert same(event.args["lossPayee"], registry.cast.lender.address)
    assert event.args["amount"] == 750_000
    assert registry.reader.claim(claim_id).status == "SETTLED"
    with reverts("InsuranceClaimNotOpen", claimId=claim_id, status=2):
        registry.insurer.settle_claim(claim_id, 1)
    with reverts("InsuranceClaimNotOpen"):
        registry.insurer.declare_total_loss(claim_id)
    assert registry.reader.title(vin).brands == ()


def test_claim_denied(registry: Registry) -> None:
    _, _, claim_id = _claim(registry)
    registry.insurer.deny_claim(claim_id)
    assert registry.reader.claim(claim_id).status == "DENIED"
    with reverts("InsuranceClaimNotOpen", status=3):
        registry.insurer.deny_claim(claim_id)


def test_total_loss_brands_salvage_and_tells_the_loss_payee(registry: Registry) -> None:
    vin, policy_id, claim_id = _claim(registry)
    result = registry.insurer.declare_total_loss(claim_id)
    event = result.event("TotalLossDeclared")
    assert (event.args["vin"], event.args["claimId"], event.args["policyId"]) == (
        vin,
        claim_id,
        policy_id,
    )
    assert same(event.args["lossPayee"], registry.cast.lender.address)
    assert event.args["flood"] is False
    assert same(result.event("BrandApplied").args["actor"], registry.cast.insurer.address)
    title = registry.reader.title(vin)
    assert (title.status, title.brands) == ("TOTAL_LOSS", ("SALVAGE",))
    assert registry.reader.claim(claim_id).total_loss is True
    with reverts("InsuranceTotalLossAlreadyDeclared", claimId=claim_id):
        registry.insurer.declare_total_loss(claim_id)
    registry.insurer.settle_claim(claim_id, 900_000)  # the claim stays open until settled


def test_flood_total_loss_brands_flood_too(registry: Registry) -> None:
    vin, _, claim_id = _claim(registry)
    registry.insurer.declare_total_loss(claim_id, flood=True)
    title = registry.reader.title(vin)
    assert (title.status, title.brands) == ("TOTAL_LOSS", ("SALVAGE", "FLOOD"))


def test_a_rebuilt_vehicle_totalled_again(registry: Registry) -> None:
    vin, _, claim_id = _claim(registry)
    registry.insurer.declare_total_loss(claim_id)
    registry.registrar.apply_brand(vin, "rebuilt")
    assert registry.reader.title(vin).status == "ACTIVE"
    _, _, second = _claim(registry, vin)
    result = registry.insurer.declare_total_loss(second, flood=True)
    assert result.event("TitleStatusChanged").args["status"] == 2  # TotalLoss
    title = registry.reader.title(vin)
    assert (title.status, title.brands) == ("TOTAL_LOSS", ("SALVAGE", "REBUILT", "FLOOD"))


def test_a_stolen_vehicle_totalled_stays_stolen_until_recovered(registry: Registry) -> None:
    vin, _, claim_id = _claim(registry)
    registry.registrar.apply_brand(vin, "stolen")
    registry.insurer.declare_total_loss(claim_id)
    title = registry.reader.title(vin)
    assert (title.status, title.brands) == ("STOLEN", ("SALVAGE", "STOLEN"))
    with reverts("RegistryTitleStatusForbids"):
        registry.owner.transfer_title(vin, registry.cast.insurer.address)
    registry.registrar.apply_brand(vin, "recovered-theft")
    assert registry.reader.title(vin).status == "TOTAL_LOSS"


def test_a_scrapped_vehicle_stays_scrapped(registry: Registry) -> None:
    vin, _, claim_id = _claim(registry)
    registry.registrar.apply_brand(vin, "junk")
    registry.insurer.declare_total_loss(claim_id)
    title = registry.reader.title(vin)
    assert (title.status, title.brands) == ("SCRAPPED", ("SALVAGE", "JUNK"))


@pytest.mark.parametrize("who", ["lender", "registrar", "owner"])
def test_only_the_policys_insurer_acts_on_it(registry: Registry, who: str) -> None:
    _, policy_id, claim_id = _claim(registry)
    other = registry.everyone[who]
    for action in (
        lambda: other.change_loss_payee(policy_id, other.address),
        lambda: other.cancel_policy(policy_id),
        lambda: other.file_claim(policy_id, ref(), 1).id,
        lambda: other.settle_claim(claim_id, 1),
        lambda: other.deny_claim(claim_id),
        lambda: other.declare_total_loss(claim_id),
    ):
        with reverts("InsuranceNotInsurer", insurer=registry.cast.insurer.address):
            action()
