"""The target EVM is a build setting: a shanghai build runs on a shanghai node, the committed
cancun build does not (its MCOPY is not activated there), and staleness follows the target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry import compiler
from registry.chain import ephemeral_anvil
from registry.client import RegistryClient
from registry.config import ARTIFACTS_DIR
from registry.contracts import CONTRACT_NAMES
from registry.deploy import deploy
from registry.errors import NodeError
from registry.rpc import connect
from tests.kit.chain import CAST, admit_cast
from tests.kit.vins import fresh_vin


@pytest.fixture(scope="module")
def shanghai_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shanghai")
    built = compiler.compile_contracts(evm_version="shanghai")
    compiler.write_artifacts(built, out, evm_version="shanghai")
    return out


def test_the_build_records_its_target_and_staleness_follows_it(shanghai_build: Path) -> None:
    for name in CONTRACT_NAMES:
        assert json.loads((shanghai_build / f"{name}.json").read_text())["evmVersion"] == "shanghai"
    assert compiler.built_for(shanghai_build) == "shanghai"
    assert compiler.built_for(ARTIFACTS_DIR) == compiler.DEFAULT_EVM_VERSION == "cancun"
    assert compiler.artifacts_are_fresh(out_dir=shanghai_build, evm_version="shanghai")
    assert not compiler.artifacts_are_fresh(out_dir=shanghai_build)  # the target is cancun
    assert not compiler.artifacts_are_fresh(evm_version="shanghai")  # committed: cancun
    assert compiler.main(["--check", "--out", str(shanghai_build)]) == 1
    assert (
        compiler.main(["--check", "--out", str(shanghai_build), "--evm-version", "shanghai"]) == 0
    )


def test_a_consented_transfer_on_a_shanghai_node(shanghai_build: Path) -> None:
    with ephemeral_anvil(hardfork="shanghai") as node:
        rpc = connect(node.rpc_url)

        cancun = RegistryClient(rpc, deploy(rpc, CAST.registrar))
        with pytest.raises(NodeError, match=r"NotActivated|invalid opcode"):
            cancun.eip712_domain()  # the committed build needs a cancun node

        deployment = deploy(rpc, CAST.registrar, artifacts=shanghai_build)
        registrar = RegistryClient(rpc, deployment, CAST.registrar)
        assert registrar.eip712_domain() == {
            "name": "CollateralRegistry",
            "version": "1",
            "chainId": 31337,
            "verifyingContract": deployment.registry,
        }
        admit_cast(registrar)
        vin = fresh_vin()
        registrar.issue_title(vin, CAST.owner.address, 1_000)
        lender, owner = registrar.as_(CAST.lender), registrar.as_(CAST.owner)
        lien_id = lender.register_lien(vin).id
        now = int(rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        consent = lender.sign_transfer_consent(
            vin, lien_id, CAST.owner.address, CAST.buyer.address, release=True, deadline=now + 600
        )
        owner.transfer_title_with_consent(vin, CAST.buyer.address, [consent])
        title = registrar.title(vin)
        assert (title.owner, title.active_liens) == (CAST.buyer.address, 0)
