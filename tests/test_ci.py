"""CI runs what the README promises: `.ci/run` is `make test`, and `make test` lints (ruff
check, the formatter check, mypy) before it runs the tests, so a lint failure fails CI."""

from __future__ import annotations

import shutil
import subprocess

from registry.config import PROJECT_ROOT


def test_ci_runs_make_test() -> None:
    script = (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
    assert script[-1] == "make test"


def test_make_test_lints_first() -> None:
    make = shutil.which("make")
    assert make is not None, "GNU make is needed (the README's commands are make targets)"
    dry = subprocess.run(
        [make, "-n", "test"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    steps = ["ruff check .", "ruff format --check .", "mypy registry api scripts tests", "pytest"]
    where = [next((i for i, line in enumerate(dry) if step in line), -1) for step in steps]
    assert -1 not in where, dict(zip(steps, where, strict=True))
    assert where == sorted(where), dict(zip(steps, where, strict=True))
