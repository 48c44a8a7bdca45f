"""Refusals name what matters, on a real chain: a title move refused for standing liens names
every lienholder (address and the name it was admitted under), and error details give a VIN as
its 17 characters, never as bytes32 hex (in the API's error body too)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from api.errors import registry_error_response
from registry.errors import InvalidInput, RejectedConflict, RejectedNotFound
from tests.kit.chain import CAST, Registry

FIRST, SECOND = "First Auto Bank", "Second Credit Union"  # as tests/kit/chain.py admits them


def _double_liened(registry: Registry, vin: str) -> tuple[int, int]:
    registry.registrar.issue_title(vin, CAST.owner.address, 100)
    first = registry.client(CAST.lender).register_lien(vin).id
    second = registry.client(CAST.lender2).register_lien(vin).id
    return first, second


def _body(error: Exception) -> dict[str, Any]:
    assert isinstance(error, RejectedConflict | RejectedNotFound)
    body: dict[str, Any] = json.loads(bytes(registry_error_response(error).body))["error"]
    return body


def test_a_transfer_refused_for_liens_names_each_lienholder(
    registry: Registry, new_vin: Any
) -> None:
    vin = new_vin()
    first, second = _double_liened(registry, vin)
    with pytest.raises(RejectedConflict) as info:
        registry.client(CAST.owner).transfer_title(vin, CAST.buyer.address)
    error = info.value
    assert error.error_name == "RegistryActiveLiens"
    for name, account in ((FIRST, CAST.lender), (SECOND, CAST.lender2)):
        assert f"{name} ({account.address})" in error.message
    expected = [
        {"lien_id": first, "address": CAST.lender.address, "name": FIRST},
        {"lien_id": second, "address": CAST.lender2.address, "name": SECOND},
    ]
    assert error.details["lienholders"] == expected
    body = _body(error)
    assert body["details"]["lienholders"] == expected
    assert body["details"]["vin"] == vin and body["details"]["arguments"]["vin"] == vin
    assert f"title of {vin}" in body["message"]


def test_a_missing_consent_names_the_holder_that_must_consent(
    registry: Registry, new_vin: Any
) -> None:
    vin = new_vin()
    first, second = _double_liened(registry, vin)
    consent = registry.client(CAST.lender).sign_transfer_consent(
        vin, first, CAST.owner.address, CAST.buyer.address, release=True,
        deadline=int(time.time()) + 3600,
    )  # fmt: skip
    with pytest.raises(RejectedConflict) as info:
        registry.client(CAST.owner).transfer_title_with_consent(vin, CAST.buyer.address, [consent])
    error = info.value
    assert (error.error_name, error.arguments["lienId"]) == ("RegistryConsentMissing", second)
    assert f"lien {second}: {SECOND} ({CAST.lender2.address})" in error.message
    assert error.details["vin"] == vin
    assert [x["name"] for x in error.details["lienholders"]] == [FIRST, SECOND]
    assert registry.registrar.title(vin).owner == CAST.owner.address  # nothing moved


def test_a_sale_refused_for_a_missing_consent_names_the_lienholders(
    registry: Registry, new_vin: Any
) -> None:
    vin = new_vin()
    registry.registrar.issue_title(vin, CAST.dealer.address, 10)
    first = registry.client(CAST.lender).register_lien(vin).id
    second = registry.client(CAST.lender2).register_lien(vin).id
    consent = registry.client(CAST.lender2).sign_transfer_consent(
        vin, second, CAST.dealer.address, CAST.buyer.address, release=True,
        deadline=int(time.time()) + 3600,
    )  # fmt: skip
    with pytest.raises(RejectedConflict) as info:
        registry.client(CAST.dealer).record_sale(vin, CAST.buyer.address, b"\x01" * 32, [consent])
    assert info.value.arguments["lienId"] == first
    assert f"{FIRST} ({CAST.lender.address})" in info.value.message


def test_error_details_give_a_vin_as_text(registry: Registry, new_vin: Any) -> None:
    vin = new_vin()
    with pytest.raises(RejectedNotFound) as info:
        registry.client(CAST.lender).register_lien(vin)
    assert info.value.error_name == "RegistryTitleNotFound"
    assert info.value.details["vin"] == vin and info.value.arguments["vin"] == vin
    assert _body(info.value)["details"]["vin"] == vin
    with pytest.raises(InvalidInput):  # and what is no VIN is refused before anything is sent
        registry.client(CAST.lender).register_lien("0x" + "00" * 32)
