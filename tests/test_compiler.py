"""The build: committed artifacts match the sources, and staleness is detected."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from registry import compiler
from registry.config import ARTIFACTS_DIR, CONTRACTS_DIR, PROJECT_ROOT
from registry.errors import ConfigurationError

DEMO = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
interface IDemo { function value() external view returns (uint256); }
abstract contract DemoBase is IDemo { uint256 internal _value; }
contract Demo is DemoBase, Ownable {
    constructor() Ownable(msg.sender) {}
    function value() external view returns (uint256) { return _value; }
}
"""


def project_copy(tmp_path: Path, with_demo: bool = False) -> Path:
    """The contracts and toolchain pins of this project, in a scratch root."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(CONTRACTS_DIR, root / "contracts")
    shutil.copy(PROJECT_ROOT / "package.json", root / "package.json")
    if with_demo:
        (root / "contracts" / "Demo.sol").write_text(DEMO)
    return root


def scratch_project(tmp_path: Path, **sources: str) -> Path:
    """A root holding only the given ``contracts/<name>.sol`` files (fast to compile)."""
    root = tmp_path / "scratch"
    (root / "contracts").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "package.json", root / "package.json")
    for name, text in sources.items():
        (root / "contracts" / f"{name}.sol").write_text(text)
    return root


def test_committed_artifacts_are_fresh() -> None:
    assert compiler.artifacts_are_fresh(), (
        "registry/artifacts is stale against contracts/: run `make compile` and commit the result"
    )


def test_committed_artifacts_equal_a_fresh_compile() -> None:
    built = compiler.compile_contracts()
    committed = {p.stem for p in ARTIFACTS_DIR.glob("*.json") if p.name != compiler.INDEX_FILE}
    assert committed == set(built)
    for name, artifact in built.items():
        assert compiler.load_artifact(name) == artifact.to_json(), name


def test_sources_hash_follows_every_source_change(tmp_path: Path) -> None:
    root = project_copy(tmp_path, with_demo=True)
    demo = root / "contracts" / "Demo.sol"
    original = compiler.sources_hash(root)
    assert compiler.sources_hash(root) == original

    demo.write_text(DEMO.replace("return _value;", "return _value + 1;"))
    edited = compiler.sources_hash(root)
    assert edited != original

    demo.write_text(DEMO)
    assert compiler.sources_hash(root) == original

    demo.rename(root / "contracts" / "Demo2.sol")
    assert compiler.sources_hash(root) != original

    (root / "contracts" / "Demo2.sol").unlink()
    assert compiler.sources_hash(root) != original


def test_sources_hash_follows_the_toolchain_pins(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    before = compiler.sources_hash(root)
    package = json.loads((root / "package.json").read_text())
    package["dependencies"]["@openzeppelin/contracts"] = "0.0.0-other"
    (root / "package.json").write_text(json.dumps(package))
    assert compiler.sources_hash(root) != before


def test_build_writes_deployables_only_and_detects_staleness(tmp_path: Path) -> None:
    root = scratch_project(tmp_path, Demo=DEMO)
    out = tmp_path / "artifacts"
    out.mkdir()
    (out / "Vanished.json").write_text("{}")

    artifacts = compiler.compile_contracts(root)
    compiler.write_artifacts(artifacts, out, root)

    assert "Demo" in artifacts
    assert not {"IDemo", "DemoBase", "Ownable"} & set(artifacts)
    assert not (out / "Vanished.json").exists()
    demo = compiler.load_artifact("Demo", out)
    assert demo["contractName"] == "Demo"
    assert demo["bytecode"].startswith("0x60") and len(demo["deployedBytecode"]) > 2
    assert {e["name"] for e in demo["abi"] if e["type"] == "function"} >= {"value", "owner"}
    assert demo["compiler"].startswith(compiler.SOLC_VERSION)
    assert compiler.artifacts_are_fresh(root, out)

    (out / "Demo.json").unlink()
    assert not compiler.artifacts_are_fresh(root, out)
    compiler.write_artifacts(artifacts, out, root)
    assert compiler.artifacts_are_fresh(root, out)

    source = root / "contracts" / "Demo.sol"
    source.write_text(source.read_text() + "\n// edited\n")
    assert not compiler.artifacts_are_fresh(root, out)


def test_compile_errors_are_reported(tmp_path: Path) -> None:
    root = scratch_project(tmp_path, Broken="pragma solidity ^0.8.0; contract Broken {")
    with pytest.raises(ConfigurationError, match="do not compile"):
        compiler.compile_contracts(root)


def test_load_artifact_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="make compile"):
        compiler.load_artifact("NoSuchContract", tmp_path)


def test_shim_answers_like_native_solc() -> None:
    version = subprocess.run(
        [str(compiler.SHIM), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Version: 0\.8\.30\+commit\.\w+", version, re.MULTILINE)

    request = {
        "language": "Solidity",
        "sources": {"A.sol": {"content": 'import "@openzeppelin/contracts/utils/Context.sol";'}},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }
    result = subprocess.run(
        [str(compiler.SHIM), "--standard-json", "--base-path", str(PROJECT_ROOT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
    )
    output = json.loads(result.stdout)  # stdout is nothing but the JSON
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    assert "@openzeppelin/contracts/utils/Context.sol" in output["sources"]

    unknown = subprocess.run([str(compiler.SHIM), "--bogus"], capture_output=True, text=True)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("unrecognised option '--bogus'")
