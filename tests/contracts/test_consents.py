"""Transfers while liens stand: every active lienholder's EIP-712 consent, or no transfer."""

from __future__ import annotations

import pytest

from registry.domain import LienConsent
from tests.contracts.chainkit import DeployedRegistry, World, release_reason, reverts, same


@pytest.fixture(scope="module")
def w(registry: DeployedRegistry) -> World:
    return World(registry)


def test_consent_with_release_pays_off_at_the_sale(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    consent = w.consent(w.lender, vin, lien_id, w.buyer, release=True)
    result = w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [consent])
    assert release_reason(result, lien_id) == "TRANSFER_CONSENT"
    names = [e.name for e in result.events]
    assert names.index("LienReleased") < names.index("TitleTransferred")
    title = w.reader.title(vin)
    assert same(title.owner, w.cast.buyer.address)
    assert (title.active_liens, title.transfers) == (0, 1)
    assert w.reader.lien(lien_id).status == "RELEASED"


def test_consent_without_release_keeps_the_lien(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    consent = w.consent(w.lender, vin, lien_id, w.buyer, release=False)
    result = w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [consent])
    assert result.all("LienReleased") == []
    assert same(w.reader.title(vin).owner, w.cast.buyer.address)
    lien = w.reader.lien(lien_id)
    assert (lien.status, lien.priority) == ("ACTIVE", 1)
    assert same(lien.holder, w.cast.lender.address)


def test_every_active_lienholder_consents(w: World) -> None:
    vin = w.title()
    first, second = w.lien(vin, w.lender), w.lien(vin, w.lender2)
    consents = [
        w.consent(w.lender2, vin, second, w.buyer, release=False),
        w.consent(w.lender, vin, first, w.buyer, release=True),
    ]  # any order: the client sorts by lien id
    w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, consents)
    assert same(w.reader.title(vin).owner, w.cast.buyer.address)
    assert w.reader.active_liens(vin) == [second]
    assert w.reader.lien(second).priority == 1


def test_released_liens_need_no_consent(w: World) -> None:
    vin = w.title()
    old, live = w.lien(vin, w.lender), w.lien(vin, w.lender2)
    w.lender.release_lien(old)
    consent = w.consent(w.lender2, vin, live, w.buyer, release=True)
    w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [consent])
    assert same(w.reader.title(vin).owner, w.cast.buyer.address)


def test_a_missing_consent_is_refused(w: World) -> None:
    vin = w.title()
    first, second = w.lien(vin, w.lender), w.lien(vin, w.lender2)
    only_first = [w.consent(w.lender, vin, first, w.buyer, release=True)]
    with reverts("RegistryConsentMissing", lienId=second):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, only_first)
    with reverts("RegistryConsentMissing"):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [])
    assert same(w.reader.title(vin).owner, w.cast.owner.address)
    assert w.reader.active_liens(vin) == [first, second]


def test_a_consent_from_the_wrong_signer_is_refused(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin, w.lender)
    forged = w.consent(w.lender2, vin, lien_id, w.buyer, release=True)
    with reverts("RegistryConsentInvalid", lienId=lien_id, lienholder=w.cast.lender.address):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [forged])
    by_owner = w.consent(w.owner, vin, lien_id, w.buyer, release=True)
    with reverts("RegistryConsentInvalid"):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [by_owner])


def test_a_consent_is_for_one_recipient_and_one_release_flag(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    to_buyer = w.consent(w.lender, vin, lien_id, w.buyer, release=False)
    with reverts("RegistryConsentInvalid"):
        w.owner.transfer_title_with_consent(vin, w.cast.outsider.address, [to_buyer])
    flipped = LienConsent(lien_id, True, to_buyer.deadline, to_buyer.signature)
    with reverts("RegistryConsentInvalid"):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [flipped])
    later = LienConsent(lien_id, False, to_buyer.deadline + 1, to_buyer.signature)
    with reverts("RegistryConsentInvalid"):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [later])


def test_an_expired_consent_is_refused(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    deadline = w.now() - 1
    stale = w.consent(w.lender, vin, lien_id, w.buyer, release=True, deadline=deadline)
    with reverts("RegistryConsentExpired", lienId=lien_id, deadline=deadline):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [stale])


def test_a_consent_cannot_be_replayed_after_the_transfer(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    there = w.consent(w.lender, vin, lien_id, w.buyer, release=False)
    w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [there])
    back = w.consent(w.lender, vin, lien_id, w.owner, release=False)
    w.buyer.transfer_title_with_consent(vin, w.cast.owner.address, [back])
    assert w.reader.title(vin).transfers == 2
    with reverts("RegistryConsentInvalid", lienId=lien_id):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [there])
    assert same(w.reader.title(vin).owner, w.cast.owner.address)


def test_a_consent_for_a_stale_nonce_is_refused(w: World) -> None:
    vin = w.title()
    w.owner.transfer_title(vin, w.cast.buyer.address)
    w.buyer.transfer_title(vin, w.cast.owner.address)
    lien_id = w.lien(vin)
    old_nonce = w.consent(w.lender, vin, lien_id, w.buyer, release=True, nonce=1)
    with reverts("RegistryConsentInvalid"):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [old_nonce])
    current = w.consent(w.lender, vin, lien_id, w.buyer, release=True, nonce=2)
    w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [current])


def test_after_assignment_the_new_holder_consents(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin, w.lender)
    old_holder = w.consent(w.lender, vin, lien_id, w.buyer, release=True)
    w.lender.assign_lien(lien_id, w.cast.lender2.address)
    with reverts("RegistryConsentInvalid", lienholder=w.cast.lender2.address):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [old_holder])
    new_holder = w.consent(w.lender2, vin, lien_id, w.buyer, release=True)
    w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [new_holder])
    assert same(w.reader.title(vin).owner, w.cast.buyer.address)


def test_a_surplus_consent_is_refused(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    consent = w.consent(w.lender, vin, lien_id, w.buyer, release=True)
    with reverts("RegistryConsentInvalid"):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [consent, consent])
    free = w.title()
    with reverts("RegistryConsentInvalid"):
        w.owner.transfer_title_with_consent(free, w.cast.buyer.address, [consent])


def test_with_no_lien_an_empty_consent_list_transfers(w: World) -> None:
    vin = w.title()
    w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [])
    assert same(w.reader.title(vin).owner, w.cast.buyer.address)


def test_consents_do_not_override_the_owner_or_a_theft(w: World) -> None:
    vin = w.title()
    lien_id = w.lien(vin)
    consent = w.consent(w.lender, vin, lien_id, w.buyer, release=True)
    with reverts("RegistryNotTitleOwner"):
        w.lender.transfer_title_with_consent(vin, w.cast.buyer.address, [consent])
    w.registrar.apply_brand(vin, "stolen")
    with reverts("RegistryTitleStatusForbids"):
        w.owner.transfer_title_with_consent(vin, w.cast.buyer.address, [consent])
