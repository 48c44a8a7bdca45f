"""Static analysis: Slither finds no High or Medium issue that is not triaged.

The triage (``slither.triage.json`` at the project root) explains each accepted finding in
one line, keyed by detector check + contract + function.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRIAGE = ROOT / "slither.triage.json"
SLITHER = Path(sys.executable).parent / "slither"
SEVERE = ("High", "Medium")

Key = tuple[str, str, str]


@pytest.fixture(scope="module")
def findings() -> list[dict[str, Any]]:
    """Slither's High and Medium detector results on ``contracts/``."""
    if not SLITHER.exists():
        pytest.fail(f"slither is not installed at {SLITHER}: pip install -e '.[dev]'")
    command = [
        str(SLITHER),
        "contracts",
        "--solc", "scripts/solc-shim.js",
        "--solc-standard-json",
        "--solc-remaps", "@openzeppelin/=node_modules/@openzeppelin/",
        "--exclude-dependencies",
        "--exclude-informational",
        "--exclude-low",
        "--exclude-optimization",
        "--json", "-",
    ]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"slither gave no JSON (exit {run.returncode}):\n{run.stderr[-3000:]}")
    assert report["success"], report.get("error")
    detectors: list[dict[str, Any]] = report["results"].get("detectors", [])
    return [r for r in detectors if r["impact"] in SEVERE]


def _key(result: dict[str, Any]) -> Key:
    """(check, contract, function) of a finding, from its first element."""
    element = result["elements"][0]
    parent = element.get("type_specific_fields", {}).get("parent", {})
    if element["type"] == "function":
        return result["check"], parent.get("name", ""), element["name"]
    if element["type"] == "contract":
        return result["check"], element["name"], ""
    if parent.get("type") == "function":
        grandparent = parent.get("type_specific_fields", {}).get("parent", {})
        return result["check"], grandparent.get("name", ""), parent["name"]
    return result["check"], parent.get("name", ""), ""


def _triage() -> dict[Key, dict[str, Any]]:
    entries = json.loads(TRIAGE.read_text())["findings"]
    return {(e["check"], e["contract"], e["function"]): e for e in entries}


def test_triage_entries_are_explained() -> None:
    for key, entry in _triage().items():
        reason = entry.get("reason", "")
        assert reason.strip() and "\n" not in reason, f"{key} needs a one-line reason"
        assert entry["impact"] in SEVERE, key


def test_no_untriaged_high_or_medium_finding(findings: list[dict[str, Any]]) -> None:
    triaged = _triage()
    untriaged = [
        f"{r['impact']} {r['check']}: {r['description'].strip().splitlines()[0]}"
        for r in findings
        if _key(r) not in triaged
    ]
    assert untriaged == [], "fix these or explain them in slither.triage.json:\n" + "\n".join(
        untriaged
    )


def test_every_triage_entry_still_matches_a_finding(findings: list[dict[str, Any]]) -> None:
    """A finding that went away (fixed, or the code moved) takes its triage entry with it."""
    current = {_key(r) for r in findings}
    stale = sorted(key for key in _triage() if key not in current)
    assert stale == [], f"remove these entries from slither.triage.json: {stale}"


def test_our_own_contracts_have_no_high_finding(findings: list[dict[str, Any]]) -> None:
    ours = [
        r
        for r in findings
        if r["impact"] == "High"
        and any(
            e.get("source_mapping", {}).get("filename_relative", "").startswith("contracts/")
            for e in r["elements"]
        )
    ]
    assert ours == []
