"""Compiled artifacts and deployments: what the package needs to talk to the contracts.

The runtime needs no compiler: ABIs and bytecode are read from the committed
``registry/artifacts/*.json``; deployed addresses from the deployments file (per chain id).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from registry.config import ARTIFACTS_DIR
from registry.enums import Brand, Role
from registry.errors import ConfigurationError, InvalidInput

CONTRACT_NAMES = ("CollateralRegistry", "LoanLedger", "InsuranceLedger")

#: Role by its bytes32 id, to name the roles in events (``ParticipantAdmitted``, ``RoleGranted``).
ROLE_BY_HASH: dict[bytes, Role] = {role.id: role for role in Role}
_BRANDS = tuple(Brand)


def brand_names(mask: int) -> list[Brand]:
    """The brands set in a brands bitmask, in brand order."""
    return [brand for i, brand in enumerate(_BRANDS) if mask >> i & 1]


def brand_index(name: str) -> int:
    """The on-chain index of a brand given by name (case-insensitive, ``-`` or space for ``_``).

    Raises:
        InvalidInput: no such brand.
    """
    try:
        return Brand(name.strip().upper().replace("-", "_").replace(" ", "_")).chain_index
    except ValueError:
        raise InvalidInput(
            f"unknown brand {name!r}; known brands: {', '.join(b.lower() for b in _BRANDS)}",
            brand=name,
        ) from None


def brand_mask(names: Iterable[str]) -> int:
    """The bitmask of brands given by name (as :func:`brand_index` reads them).

    Raises:
        InvalidInput: an unknown brand.
    """
    mask = 0
    for name in names:
        mask |= 1 << brand_index(name)
    return mask


@cache
def load_artifact(name: str, directory: Path = ARTIFACTS_DIR) -> dict[str, Any]:
    """The compiled artifact (abi, bytecode, enums) of contract ``name``, from the committed
    artifacts unless another build's ``directory`` is given."""
    path = directory / f"{name}.json"
    if not path.exists():
        raise ConfigurationError(
            f"no compiled artifact for {name} at {path}: run `make compile`", contract=name
        )
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def abi(name: str) -> list[dict[str, Any]]:
    """The ABI of contract ``name``."""
    result: list[dict[str, Any]] = load_artifact(name)["abi"]
    return result


@dataclass(frozen=True)
class Deployment:
    """Where the registry's contracts live on one chain."""

    chain_id: int
    registry: str
    loan_ledger: str
    insurance_ledger: str
    block: int = 0  # block of the first deployment transaction: where indexing starts

    @property
    def addresses(self) -> list[str]:
        return [self.registry, self.loan_ledger, self.insurance_ledger]


def read_deployments(path: Path) -> dict[int, Deployment]:
    """Every deployment recorded in ``path``, keyed by chain id (empty if no file)."""
    if not path.exists():
        return {}
    raw = json.loads(path.read_text())
    return {
        int(chain_id): Deployment(
            chain_id=int(chain_id),
            registry=to_checksum_address(d["registry"]),
            loan_ledger=to_checksum_address(d["loan_ledger"]),
            insurance_ledger=to_checksum_address(d["insurance_ledger"]),
            block=int(d.get("block", 0)),
        )
        for chain_id, d in raw.items()
    }


def load_deployment(path: Path, chain_id: int) -> Deployment:
    """The deployment for ``chain_id``, or a clear error saying how to make one."""
    deployments = read_deployments(path)
    if chain_id not in deployments:
        raise ConfigurationError(
            f"the registry is not deployed on chain {chain_id} (no entry in {path}): "
            "run `registry deploy` (or `make run`) first",
            chain_id=chain_id,
            path=str(path),
        )
    return deployments[chain_id]


def write_deployment(path: Path, deployment: Deployment) -> None:
    """Records ``deployment`` in ``path``, keeping the other chains' entries (atomic write)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.loads(path.read_text()) if path.exists() else {}
    entry = asdict(deployment)
    del entry["chain_id"]
    raw[str(deployment.chain_id)] = entry
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
