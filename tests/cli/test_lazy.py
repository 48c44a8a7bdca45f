"""The CLI starts light: help without the heavy imports, and never `api` or FastAPI."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import click
import pytest

from registry.cli.main import COMMANDS, cli
from tests.kit.cli import REGISTRY, registry_env, run_registry

#: What starting the CLI must not import: the API, and the libraries that cost seconds.
NEVER_AT_START = ("api", "fastapi", "starlette", "uvicorn")
NOT_FOR_HELP = (*NEVER_AT_START, "web3", "eth_account", "sqlalchemy", "sqlmodel", "pydantic")


def _top_level_modules(importtime_stderr: str) -> set[str]:
    """The top-level packages a `python -X importtime` run imported."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                names.add(name.split(".")[0])
    return names


def _imported_by(*args: str, tmp_path: Path) -> set[str]:
    """Top-level modules imported by the real `registry ARGS…`, which must exit 0."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(REGISTRY), *args],
        env=registry_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = _top_level_modules(done.stderr)
    assert "click" in modules and "registry" in modules  # the parse saw the imports
    return modules


def _first_line(command: click.Command) -> str:
    """The first paragraph of a command's docstring, as one line."""
    return " ".join(inspect.cleandoc(command.help or "").split("\n\n")[0].split())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_the_commands_own_first_line(name: str) -> None:
    command = COMMANDS[name].load()
    assert command.name == name
    assert COMMANDS[name].summary == _first_line(command)


def test_top_level_help_lists_every_command_and_the_exit_codes(tmp_path: Path) -> None:
    shown = run_registry("--help", env=registry_env(), cwd=tmp_path)
    assert shown.returncode == 0
    listed = shown.stdout.split("Commands:")[1]
    flat = " ".join(listed.split())
    for name, lazy in COMMANDS.items():
        assert f"{name} {lazy.summary}" in flat
    assert set(cli.list_commands(click.Context(cli))) == set(COMMANDS)
    for code, meaning in (("0", "success"), ("1", "refused"), ("2", "usage"), ("3", "unreachable")):
        assert any(
            line.strip().startswith(code) and meaning in line for line in listed.splitlines()
        ), f"exit {code} ({meaning}) is not documented in `registry --help`"


def test_import_registry_imports_neither_api_nor_fastapi(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import registry"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = _top_level_modules(done.stderr)
    assert "registry" in modules
    assert not modules & set(NEVER_AT_START)


@pytest.mark.parametrize("args", [("--help",), ("title", "show", "--help"), ("title", "--help")])
def test_help_imports_nothing_heavy(args: tuple[str, ...], tmp_path: Path) -> None:
    imported = _imported_by(*args, tmp_path=tmp_path)
    assert not imported & set(NOT_FOR_HELP), sorted(imported & set(NOT_FOR_HELP))


def test_a_command_that_runs_still_leaves_the_api_alone(tmp_path: Path) -> None:
    imported = _imported_by("certificate", "verify", "--help", tmp_path=tmp_path)
    assert not imported & set(NEVER_AT_START)
    # a real command run loads what it needs, and only that
    missing = subprocess.run(
        [sys.executable, "-X", "importtime", str(REGISTRY), "keys", "list"],
        env=registry_env(data_dir=tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 0, missing.stderr[-2000:]
    used = _top_level_modules(missing.stderr)
    assert "sqlalchemy" in used and not used & set(NEVER_AT_START)
