"""Compile ``contracts/`` offline and keep the ABI/bytecode artifacts the runtime loads.

Compiling needs node and the npm ``solc`` module (driven through ``scripts/solc-shim.js``,
which stands in for a native ``solc``); loading an artifact needs neither: it only reads
``registry/artifacts/<Name>.json``. Each artifact records ``sourcesHash``, a digest of every
contract source, the pinned npm toolchain and the compiler settings (the target EVM version
included, also recorded as ``evmVersion``), so a stale build is detected without compiling
(:func:`artifacts_are_fresh`, ``python -m registry.compiler --check``). It also records the
Solidity enums the contract sees (member names, in order, read from the compiler's AST) and its
numeric constants (``BRAND_*``), which ``tests/test_enums.py`` holds the Python enums to.

The target EVM is a build setting (``--evm-version``, ``make compile EVM_VERSION=shanghai``):
the committed artifacts are built for :data:`DEFAULT_EVM_VERSION`, whose code runs only on
nodes that support that hardfork (cancun adds MCOPY, which an older node refuses with
"invalid opcode").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.config import ARTIFACTS_DIR, CONTRACTS_DIR, PROJECT_ROOT
from registry.errors import ConfigurationError

SOLC_VERSION = "0.8.30"
SHIM = PROJECT_ROOT / "scripts" / "solc-shim.js"
NODE_MODULES = PROJECT_ROOT / "node_modules"
REMAPPINGS = ["@openzeppelin/=node_modules/@openzeppelin/"]
OUTPUTS = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]
#: The EVM hardfork the committed artifacts target.
DEFAULT_EVM_VERSION = "cancun"
#: Targets solc 0.8.30 accepts, oldest first.
EVM_VERSIONS = ("homestead", "tangerineWhistle", "spuriousDragon", "byzantium",
                "constantinople", "petersburg", "istanbul", "berlin", "london", "paris",
                "shanghai", "cancun", "prague", "osaka")  # fmt: skip
#: Everything in the standard-JSON settings except the EVM version and the output selection.
COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "remappings": REMAPPINGS,
}
#: npm packages whose version changes the bytecode (read from package.json).
_PINNED_PACKAGES = ("solc", "@openzeppelin/contracts")
#: Written beside the artifacts: the build's digest and the deployables it produced.
INDEX_FILE = "_index.json"


@dataclass(frozen=True)
class Artifact:
    """One deployable contract: what the runtime needs to deploy and call it."""

    contract_name: str
    source_path: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler: str
    sources_hash: str
    evm_version: str = DEFAULT_EVM_VERSION
    #: Solidity enum name -> member names in order (their on-chain values 0, 1, ...)
    enums: dict[str, list[str]] = field(default_factory=dict)
    #: numeric constants (name -> value), e.g. ``BRAND_SALVAGE``
    constants: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "contractName": self.contract_name,
            "sourcePath": self.source_path,
            "abi": self.abi,
            "bytecode": self.bytecode,
            "deployedBytecode": self.deployed_bytecode,
            "compiler": self.compiler,
            "evmVersion": self.evm_version,
            "sourcesHash": self.sources_hash,
            "enums": self.enums,
            "constants": self.constants,
        }


def source_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """Every ``.sol`` file under ``root/contracts``, sorted by path."""
    contracts = root / CONTRACTS_DIR.relative_to(PROJECT_ROOT)
    return sorted(contracts.rglob("*.sol")) if contracts.is_dir() else []


def _pinned_versions(root: Path) -> dict[str, str]:
    package_json = root / "package.json"
    if not package_json.is_file():
        return {}
    deps = json.loads(package_json.read_text()).get("dependencies", {})
    return {name: str(deps.get(name, "")) for name in _PINNED_PACKAGES}


def _settings(evm_version: str) -> dict[str, Any]:
    if evm_version not in EVM_VERSIONS:
        raise ConfigurationError(
            f"unknown EVM version {evm_version!r}: one of {', '.join(EVM_VERSIONS)}"
        )
    return {**COMPILER_SETTINGS, "evmVersion": evm_version}


def sources_hash(root: Path = PROJECT_ROOT, evm_version: str = DEFAULT_EVM_VERSION) -> str:
    """sha256 over the contract sources (paths and contents), toolchain pins and settings.

    Any edit, addition, removal or rename of a ``.sol`` file, a settings change (the target
    EVM version included), or a bump of ``solc``/OpenZeppelin in package.json changes it.
    """
    digest = hashlib.sha256()
    header = {
        "solc": SOLC_VERSION,
        "settings": _settings(evm_version),
        "outputs": OUTPUTS,
        "packages": _pinned_versions(root),
        "recorded": ["enums", "constants"],
    }
    digest.update(json.dumps(header, sort_keys=True).encode())
    for path in source_files(root):
        digest.update(b"\0" + path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def standard_input(
    root: Path = PROJECT_ROOT, evm_version: str = DEFAULT_EVM_VERSION
) -> dict[str, Any]:
    """The standard-JSON input for every contract under ``root/contracts``."""
    sources: dict[str, dict[str, str]] = {}
    for path in source_files(root):
        sources[path.relative_to(root).as_posix()] = {"content": path.read_text()}
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            **_settings(evm_version),
            # Code generation (and the AST, for enums and constants) only for our files;
            # imported OpenZeppelin units are still type-checked but not assembled.
            "outputSelection": {name: {"*": OUTPUTS, "": ["ast"]} for name in sources},
        },
    }


def _check_toolchain() -> None:
    if shutil.which("node") is None:
        raise ConfigurationError("node not found: install Node.js 20+ to compile the contracts")
    if not (NODE_MODULES / "solc").is_dir():
        raise ConfigurationError("npm package solc not found: run `make setup` (npm ci)")
    if not os.access(SHIM, os.X_OK):
        raise ConfigurationError(f"{SHIM} is missing or not executable")


def compile_contracts(
    root: Path = PROJECT_ROOT, evm_version: str = DEFAULT_EVM_VERSION
) -> dict[str, Artifact]:
    """Compile every contract under ``root/contracts`` for ``evm_version``; return the
    deployables by name.

    Interfaces and abstract contracts (no bytecode) are left out.

    Raises:
        ConfigurationError: node, the npm ``solc`` module or the shim is missing, the
            sources do not compile, or two deployable contracts share a name.
    """
    import solcx
    from solcx.exceptions import SolcError
    from solcx.wrapper import get_solc_version

    _check_toolchain()
    input_json = standard_input(root, evm_version)
    if not input_json["sources"]:
        return {}
    try:
        output = solcx.compile_standard(
            input_json,
            solc_binary=SHIM,
            base_path=root,
            allow_paths=[root, NODE_MODULES],
        )
    except SolcError as err:
        raise ConfigurationError(f"contracts do not compile:\n{err.message}") from err
    version = str(get_solc_version(SHIM, with_commit_hash=True))
    digest = sources_hash(root, evm_version)
    declared = _Declarations(output.get("sources", {}))
    artifacts: dict[str, Artifact] = {}
    for source_path, contracts in sorted(output.get("contracts", {}).items()):
        for name, out in sorted(contracts.items()):
            bytecode = out["evm"]["bytecode"]["object"]
            if not bytecode:
                continue
            if name in artifacts:
                raise ConfigurationError(
                    f"two deployable contracts are named {name}: "
                    f"{artifacts[name].source_path} and {source_path}"
                )
            artifacts[name] = Artifact(
                contract_name=name,
                source_path=source_path,
                abi=out["abi"],
                bytecode="0x" + bytecode,
                deployed_bytecode="0x" + out["evm"]["deployedBytecode"]["object"],
                compiler=version,
                sources_hash=digest,
                evm_version=evm_version,
                **declared.seen_by(source_path, name),
            )
    return artifacts


class _Declarations:
    """The enums and numeric constants each contract of our sources declares (from the AST)."""

    def __init__(self, sources: dict[str, Any]) -> None:
        self.contracts: dict[int, dict[str, Any]] = {}  # AST id -> ContractDefinition
        self.by_name: dict[tuple[str, str], int] = {}  # (source path, name) -> AST id
        for path, unit in sources.items():
            for node in unit.get("ast", {}).get("nodes", []):
                if node.get("nodeType") == "ContractDefinition":
                    self.contracts[node["id"]] = node
                    self.by_name[(path, node["name"])] = node["id"]

    def seen_by(self, source_path: str, name: str) -> dict[str, Any]:
        """``enums`` and ``constants`` of the contract and every base declared in our
        sources (most derived first, as Solidity resolves names)."""
        enums: dict[str, list[str]] = {}
        constants: dict[str, int] = {}
        own = self.by_name.get((source_path, name))
        bases = self.contracts[own]["linearizedBaseContracts"] if own is not None else []
        for base in bases:
            for node in self.contracts.get(base, {}).get("nodes", []):
                if node.get("nodeType") == "EnumDefinition":
                    enums.setdefault(node["name"], [m["name"] for m in node["members"]])
                value = node.get("value") or {}
                if (
                    node.get("nodeType") == "VariableDeclaration"
                    and node.get("constant")
                    and value.get("nodeType") == "Literal"
                    and value.get("kind") == "number"
                ):
                    constants.setdefault(node["name"], int(value["value"], 0))
        return {"enums": dict(sorted(enums.items())), "constants": dict(sorted(constants.items()))}


def write_artifacts(
    artifacts: dict[str, Artifact] | None = None,
    out_dir: Path = ARTIFACTS_DIR,
    root: Path = PROJECT_ROOT,
    evm_version: str = DEFAULT_EVM_VERSION,
) -> list[Path]:
    """Write one ``<Name>.json`` per artifact plus the index; delete vanished contracts'.

    ``artifacts`` (compiled for ``evm_version`` when not given) must all target one EVM.
    """
    if artifacts is None:
        artifacts = compile_contracts(root, evm_version)
    targets = {a.evm_version for a in artifacts.values()} or {evm_version}
    if len(targets) != 1:
        raise ConfigurationError(f"artifacts built for several EVM versions: {sorted(targets)}")
    (evm_version,) = targets
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, artifact in sorted(artifacts.items()):
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(artifact.to_json(), indent=2) + "\n")
        written.append(path)
    for old in _artifact_files(out_dir):
        if old.stem not in artifacts:
            old.unlink()
    index = {
        "sourcesHash": sources_hash(root, evm_version),
        "evmVersion": evm_version,
        "contracts": {name: a.source_path for name, a in sorted(artifacts.items())},
    }
    (out_dir / INDEX_FILE).write_text(json.dumps(index, indent=2) + "\n")
    return written


def _artifact_files(out_dir: Path) -> list[Path]:
    if not out_dir.is_dir():
        return []
    return sorted(p for p in out_dir.glob("*.json") if p.name != INDEX_FILE)


def built_for(out_dir: Path = ARTIFACTS_DIR) -> str | None:
    """The EVM version the artifacts in ``out_dir`` were built for (None: no build there)."""
    index_path = out_dir / INDEX_FILE
    if not index_path.is_file():
        return None
    found: str | None = json.loads(index_path.read_text()).get("evmVersion")
    return found


def artifacts_are_fresh(
    root: Path = PROJECT_ROOT,
    out_dir: Path = ARTIFACTS_DIR,
    evm_version: str = DEFAULT_EVM_VERSION,
) -> bool:
    """True when the artifacts were built from the current sources and settings, for
    ``evm_version``.

    The index records the build's digest and the deployables it produced, so an added,
    edited or deleted source, another target EVM, and a missing or leftover artifact file,
    all count as stale.
    """
    index_path = out_dir / INDEX_FILE
    if not index_path.is_file():
        return False
    index = json.loads(index_path.read_text())
    expected = sources_hash(root, evm_version)
    if index.get("sourcesHash") != expected:
        return False
    files = _artifact_files(out_dir)
    if {f.stem for f in files} != set(index.get("contracts", {})):
        return False
    return all(json.loads(f.read_text()).get("sourcesHash") == expected for f in files)


def load_artifact(name: str, out_dir: Path = ARTIFACTS_DIR) -> dict[str, Any]:
    """The artifact JSON of contract ``name`` (no node or solc needed).

    Raises:
        ConfigurationError: there is no artifact of that name.
    """
    path = out_dir / f"{name}.json"
    if not path.is_file():
        known = ", ".join(f.stem for f in _artifact_files(out_dir)) or "none"
        raise ConfigurationError(
            f"no compiled artifact for contract {name!r} (known: {known}): run `make compile`",
            contract=name,
        )
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def install_shim_for_ape(folder: Path | None = None) -> Path:
    """Expose the shim as ``solc-v<version>`` where py-solc-x (and so ape) finds compilers.

    ``folder`` defaults to py-solc-x's install folder (``$SOLCX_BINARY_PATH`` or
    ``~/.solcx``). An existing symlink is replaced; a real binary of that name is kept.
    """
    import solcx

    target = Path(folder) if folder else solcx.get_solcx_install_folder()
    target.mkdir(parents=True, exist_ok=True)
    SHIM.chmod(SHIM.stat().st_mode | 0o111)
    link = target / f"solc-v{SOLC_VERSION}"
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        return link
    link.symlink_to(SHIM)
    return link


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m registry.compiler [--evm-version V] [--out DIR] [--check] [--install-shim]``."""
    parser = argparse.ArgumentParser(prog="python -m registry.compiler", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when artifacts are stale")
    parser.add_argument(
        "--evm-version", default=DEFAULT_EVM_VERSION, choices=EVM_VERSIONS, metavar="VERSION",
        help=f"the EVM hardfork to build for (default {DEFAULT_EVM_VERSION}): the oldest one "
        "every node of the network runs",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=ARTIFACTS_DIR, help=f"artifacts directory ({ARTIFACTS_DIR})"
    )
    parser.add_argument(
        "--install-shim", action="store_true", help="expose the solc shim to py-solc-x/ape"
    )
    args = parser.parse_args(argv)
    if args.install_shim:
        print(f"solc shim installed at {install_shim_for_ape()}")
        return 0
    if args.check:
        if artifacts_are_fresh(out_dir=args.out, evm_version=args.evm_version):
            print(f"artifacts are fresh (EVM {args.evm_version})")
            return 0
        built = built_for(args.out)
        why = f" (built for {built}, the target is {args.evm_version})" if built else ""
        print(f"artifacts are stale{why}: run `make compile`", file=sys.stderr)
        return 1
    try:
        written = write_artifacts(out_dir=args.out, evm_version=args.evm_version)
    except ConfigurationError as err:
        print(err, file=sys.stderr)
        return 1
    rel = ", ".join(p.stem for p in written) or "nothing (no deployable contracts)"
    print(f"compiled {len(written)} artifact(s) for EVM {args.evm_version} into {args.out}: {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
