"""Python, Solidity and the page's JavaScript agree on every domain vocabulary.

Solidity's side is what the compiler recorded in the committed artifacts (each contract's
enums, member names in order, and its ``BRAND_*`` constants, read from the AST); the page's is
what ``/config.js`` serves it, and the page's scripts hold no copy of their own.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum

from api.config import ApiSettings
from api.main import STATIC_DIR, page_config_js
from registry.contracts import CONTRACT_NAMES, abi, load_artifact
from registry.enums import (
    PAGE_ENUMS,
    PARTICIPANT_ROLES,
    SOLIDITY_ENUMS,
    Brand,
    Bucket,
    EventKind,
    Role,
    StandingBucket,
)
from registry.queries.vehicles import event_kind


def _served_config() -> dict[str, object]:
    js = page_config_js(ApiSettings(_env_file=None))
    found = re.fullmatch(r"window\.REGISTRY_CONFIG = (.*);\n", js, re.DOTALL)
    assert found, js
    config: dict[str, object] = json.loads(found.group(1))
    return config


def test_python_solidity_and_javascript_agree() -> None:
    # Solidity enums: the same members in the same order (so the same on-chain values)
    declared = {
        (contract, name): members
        for contract in CONTRACT_NAMES
        for name, members in load_artifact(contract)["enums"].items()
    }
    for enum, where in SOLIDITY_ENUMS.items():
        assert where in declared, f"{where} is not an enum of the compiled contracts"
        assert [m.solidity_name for m in enum] == declared[where], enum.__name__
        assert [m.chain_index for m in enum] == list(range(len(declared[where])))
    unmirrored = sorted(set(declared) - set(SOLIDITY_ENUMS.values()))
    assert unmirrored == [], "Solidity enums without a Python twin in registry/enums.py"

    # Brands: the BRAND_* constants, value for value, and nothing beyond them
    constants = load_artifact("CollateralRegistry")["constants"]
    brands = {k: v for k, v in constants.items() if k.startswith("BRAND_")}
    assert brands == {b.solidity_name: b.chain_index for b in Brand}
    assert constants["_BRAND_COUNT"] == len(Brand)

    # The page: /config.js serves each vocabulary the scripts show, in the Python order...
    served = _served_config()["enums"]
    assert served == {name: [m.value for m in enum] for name, enum in PAGE_ENUMS.items()}
    # ... and no script keeps a copy (two or more values of one vocabulary as literals)
    for script in sorted(STATIC_DIR.glob("*.js")):
        literals = set(re.findall(r"""["']([^"'\n]+)["']""", script.read_text()))
        for name, vocabulary in PAGE_ENUMS.items():
            copied = sorted(literals & {m.value for m in vocabulary})
            assert len(copied) < 2, f"{script.name} copies {name}: {copied}; use cfg.enums"


def test_each_vocabulary_is_a_str_enum_of_todays_strings() -> None:
    for enum in (*SOLIDITY_ENUMS, *PAGE_ENUMS.values()):
        assert issubclass(enum, StrEnum)
        assert all(isinstance(m, str) and m == m.value for m in enum)
    assert Brand.from_chain(4) is Brand.ODOMETER_NOT_ACTUAL


def test_a_standing_bucket_is_a_delinquency_bucket_or_closed() -> None:
    assert [m.value for m in StandingBucket] == [*(b.value for b in Bucket), "closed"]
    assert [m.name for m in StandingBucket][:-1] == [b.name for b in Bucket]


def test_every_event_of_the_contracts_has_one_kind_and_every_kind_an_event() -> None:
    kinds = {
        (contract, entry["name"]): event_kind(contract, entry["name"])
        for contract in CONTRACT_NAMES
        for entry in abi(contract)
        if entry["type"] == "event"
    }
    assert all(isinstance(kind, EventKind) for kind in kinds.values())
    assert set(kinds.values()) == set(EventKind)  # no kind the history never shows
    assert kinds["CollateralRegistry", "SaleRecorded"] is EventKind.SALE
    assert kinds["CollateralRegistry", "LienReleased"] is EventKind.LIEN
    assert kinds["LoanLedger", "LoanPaidOff"] is EventKind.LOAN
    assert kinds["InsuranceLedger", "TotalLossDeclared"] is EventKind.INSURANCE


def test_every_role_is_a_role_constant_of_the_contracts() -> None:
    constants = {
        entry["name"]
        for contract in CONTRACT_NAMES
        for entry in abi(contract)
        if entry["type"] == "function" and entry["name"].endswith("_ROLE") and not entry["inputs"]
    }
    assert constants == {r.solidity_name for r in Role}  # FUNDER_ROLE included
    assert set(PARTICIPANT_ROLES) == set(Role) - {Role.MODULE, Role.DEFAULT_ADMIN}
