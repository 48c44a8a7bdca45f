"""Deploying the registry's three contracts and wiring them together."""

from __future__ import annotations

from pathlib import Path

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from registry.codec import Contract
from registry.config import ARTIFACTS_DIR
from registry.contracts import Deployment, load_artifact, write_deployment
from registry.enums import Role
from registry.rpc import Transport
from registry.transactor import Transactor


def _creation_code(name: str, artifacts: Path, *args: str) -> str:
    code = load_artifact(name, artifacts)["bytecode"]
    code = code if code.startswith("0x") else "0x" + code
    if args:
        code += abi_encode(["address"] * len(args), list(args)).hex()
    return code


def deploy(
    rpc: Transport,
    deployer: LocalAccount,
    *,
    registrar: str | None = None,
    record_in: Path | None = None,
    artifacts: Path = ARTIFACTS_DIR,
) -> Deployment:
    """Deploys CollateralRegistry, LoanLedger and InsuranceLedger; grants the ledgers the module
    role and tells the registry its loan ledger. ``registrar`` (default: the deployer) becomes
    the registrar. Records the addresses in ``record_in`` when given. ``artifacts`` is the
    build to deploy (another directory: code built for another EVM version).
    """
    tx = Transactor(rpc, deployer)
    registrar = to_checksum_address(registrar or deployer.address)
    first = tx.send(
        None, _creation_code("CollateralRegistry", artifacts, deployer.address), action="deploying"
    )
    registry = to_checksum_address(str(first.contract_address))
    loans = tx.send(
        None, _creation_code("LoanLedger", artifacts, registry), action="deploying LoanLedger"
    )
    insurance = tx.send(
        None,
        _creation_code("InsuranceLedger", artifacts, registry),
        action="deploying InsuranceLedger",
    )
    loan_ledger = to_checksum_address(str(loans.contract_address))
    insurance_ledger = to_checksum_address(str(insurance.contract_address))

    contract = Contract("CollateralRegistry", registry)
    for module in (loan_ledger, insurance_ledger):
        data = contract.encode("grantRole", Role.MODULE.id, module)
        tx.send(registry, data, action="granting the module role")
    tx.send(registry, contract.encode("setLoanLedger", loan_ledger), action="wiring")
    if registrar != to_checksum_address(deployer.address):
        grant = contract.encode("grantRole", Role.REGISTRAR.id, registrar)
        tx.send(registry, grant, action="granting the registrar role")
        renounce = contract.encode("renounceRole", Role.REGISTRAR.id, deployer.address)
        tx.send(registry, renounce, action="handing over the registrar role")

    deployment = Deployment(
        chain_id=tx.chain_id,
        registry=registry,
        loan_ledger=loan_ledger,
        insurance_ledger=insurance_ledger,
        block=first.block_number,
    )
    if record_in is not None:
        write_deployment(record_in, deployment)
    return deployment
