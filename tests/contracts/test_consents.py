"""Transfers while liens stand: every active lienholder's EIP-712 consent, or no transfer."""

from __future__ import annotations

from registry.domain import LienConsent
from tests.kit.chain import Registry
from tests.kit.expect import release_reason, reverts, same


def test_consent_with_release_pays_off_at_the_sale(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    consent = registry.consent(registry.lender, vin, lien_id, registry.buyer, release=True)
    result = registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [consent])
    assert release_reason(result, lien_id) == "TRANSFER_CONSENT"
    names = [e.name for e in result.events]
    assert names.index("LienReleased") < names.index("TitleTransferred")
    title = registry.reader.title(vin)
    assert same(title.owner, registry.cast.buyer.address)
    assert (title.active_liens, title.transfers) == (0, 1)
    assert registry.reader.lien(lien_id).status == "RELEASED"


def test_consent_without_release_keeps_the_lien(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    consent = registry.consent(registry.lender, vin, lien_id, registry.buyer, release=False)
    result = registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [consent])
    assert result.all("LienReleased") == []
    assert same(registry.reader.title(vin).owner, registry.cast.buyer.address)
    lien = registry.reader.lien(lien_id)
    assert (lien.status, lien.priority) == ("ACTIVE", 1)
    assert same(lien.holder, registry.cast.lender.address)


def test_every_active_lienholder_consents(registry: Registry) -> None:
    vin = registry.title()
    first, second = registry.lien(vin, registry.lender), registry.lien(vin, registry.lender2)
    consents = [
        registry.consent(registry.lender2, vin, second, registry.buyer, release=False),
        registry.consent(registry.lender, vin, first, registry.buyer, release=True),
    ]  # any order: the client sorts by lien id
    registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, consents)
    assert same(registry.reader.title(vin).owner, registry.cast.buyer.address)
    assert registry.reader.active_liens(vin) == [second]
    assert registry.reader.lien(second).priority == 1


def test_released_liens_need_no_consent(registry: Registry) -> None:
    vin = registry.title()
    old, live = registry.lien(vin, registry.lender), registry.lien(vin, registry.lender2)
    registry.lender.release_lien(old)
    consent = registry.consent(registry.lender2, vin, live, registry.buyer, release=True)
    registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [consent])
    assert same(registry.reader.title(vin).owner, registry.cast.buyer.address)


def test_a_missing_consent_is_refused(registry: Registry) -> None:
    vin = registry.title()
    first, second = registry.lien(vin, registry.lender), registry.lien(vin, registry.lender2)
    only_first = [registry.consent(registry.lender, vin, first, registry.buyer, release=True)]
    with reverts("RegistryConsentMissing", lienId=second):
        registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, only_first)
    with reverts("RegistryConsentMissing"):
        registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [])
    assert same(registry.reader.title(vin).owner, registry.cast.owner.address)
    assert registry.reader.active_liens(vin) == [first, second]


def test_a_consent_from_the_wrong_signer_is_refused(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin, registry.lender)
    forged = registry.consent(registry.lender2, vin, lien_id, registry.buyer, release=True)
    with reverts("RegistryConsentInvalid", lienId=lien_id, lienholder=registry.cast.lender.address):
        registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [forged])
    by_owner = registry.consent(registry.owner, vin, lien_id, registry.buyer, release=True)
    with reverts("RegistryConsentInvalid"):
        registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [by_owner])


def test_a_consent_is_for_one_recipient_and_one_release_flag(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    to_buyer = registry.consent(registry.lender, vin, lien_id, registry.buyer, release=False)
    with reverts("RegistryConsentInvalid"):
        registry.owner.transfer_title_with_consent(vin, registry.cast.outsider.address, [to_buyer])
    flipped = LienConsent(lien_id, True, to_buyer.deadline, to_buyer.signature)
    with reverts("RegistryConsentInvalid"):
        registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [flipped])
    later = LienConsent(lien_id, False, to_buyer.deadline + 1, to_buyer.signature)
    with reverts("RegistryConsentInvalid"):
        registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [later])


def test_an_expired_consent_is_refused(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    deadline = registry.now() - 1
    stale = registry.consent(
        registry.lender, vin, lien_id, registry.buyer, release=True, deadline=deadline
    )
    with reverts("RegistryConsentExpired", lienId=lien_id, deadline=deadline):
        registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [stale])


def test_a_consent_cannot_be_replayed_after_the_transfer(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    there = registry.consent(registry.lender, vin, lien_id, registry.buyer, release=False)
    registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [there])
    back = registry.consent(registry.lender, vin, lien_id, registry.owner, release=False)
    registry.buyer.transfer_title_with_consent(vin, registry.cast.owner.address, [back])
    assert registry.reader.title(vin).transfers == 2
    with reverts("RegistryConsentInvalid", lienId=lien_id):
        registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [there])
    assert same(registry.reader.title(vin).owner, registry.cast.owner.address)


def test_a_consent_for_a_stale_nonce_is_refused(registry: Registry) -> None:
    vin = registry.title()
    registry.owner.transfer_title(vin, registry.cast.buyer.address)
    registry.buyer.transfer_title(vin, registry.cast.owner.address)
    lien_id = registry.lien(vin)
    old_nonce = registry.consent(
        registry.lender, vin, lien_id, registry.buyer, release=True, nonce=1
    )
    with reverts("RegistryConsentInvalid"):
        registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [old_nonce])
    current = registry.consent(registry.lender, vin, lien_id, registry.buyer, release=True, nonce=2)
    registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [current])


def test_after_assignment_the_new_holder_consents(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin, registry.lender)
    old_holder = registry.consent(registry.lender, vin, lien_id, registry.buyer, release=True)
    registry.lender.assign_lien(lien_id, registry.cast.lender2.address)
    with reverts("RegistryConsentInvalid", lienholder=registry.cast.lender2.address):
        registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [old_holder])
    new_holder = registry.consent(registry.lender2, vin, lien_id, registry.buyer, release=True)
    registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [new_holder])
    assert same(registry.reader.title(vin).owner, registry.cast.buyer.address)


def test_a_surplus_consent_is_refused(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    consent = registry.consent(registry.lender, vin, lien_id, registry.buyer, release=True)
    with reverts("RegistryConsentInvalid"):
        registry.owner.transfer_title_with_consent(
            vin, registry.cast.buyer.address, [consent, consent]
        )
    free = registry.title()
    with reverts("RegistryConsentInvalid"):
        registry.owner.transfer_title_with_consent(free, registry.cast.buyer.address, [consent])


def test_with_no_lien_an_empty_consent_list_transfers(registry: Registry) -> None:
    vin = registry.title()
    registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [])
    assert same(registry.reader.title(vin).owner, registry.cast.buyer.address)


def test_consents_do_not_override_the_owner_or_a_theft(registry: Registry) -> None:
    vin = registry.title()
    lien_id = registry.lien(vin)
    consent = registry.consent(registry.lender, vin, lien_id, registry.buyer, release=True)
    with reverts("RegistryNotTitleOwner"):
        registry.lender.transfer_title_with_consent(vin, registry.cast.buyer.address, [consent])
    registry.registrar.apply_brand(vin, "stolen")
    with reverts("RegistryTitleStatusForbids"):
        registry.owner.transfer_title_with_consent(vin, registry.cast.buyer.address, [consent])
