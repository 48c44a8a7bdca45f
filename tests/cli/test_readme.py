"""README.md's command-line examples run as shown, in order, on the book `make run` builds.

`registry up` (what `make run` runs) starts a fresh managed chain in a scratch project
directory, deploys, builds the default demo book, indexes and serves it; once the mirror has
caught up it is stopped with Ctrl-C (SIGINT), as the README says. Then every `registry …`
line of the code blocks of "The command-line tool" runs as a real subprocess, in order, from
that directory. A trailing ``# exit N`` names the exit status the line must end with (else
0); ``# runs until Ctrl-C`` marks a long-running command: it must still run after a few
seconds once started (``serve`` answers HTTP, the others hold the mirror open) and stop
cleanly on SIGINT.

The other sections' `registry` lines are for another network (a keystore, a remote node) and
cannot run here: each must name a real command with real options.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from registry.chain import free_port
from registry.cli.main import cli
from registry.config import PROJECT_ROOT
from registry.rpc import connect
from tests.kit.cli import REGISTRY, registry_env, run_registry

README = PROJECT_ROOT / "README.md"
SECTION = "## The command-line tool"
STILL_RUNNING_AFTER = 3.0  # seconds a long-running example must survive
READY_TIMEOUT = 900.0  # `registry up`: deploy, a 2,000-vehicle book, its index, the API


@dataclass(frozen=True)
class Example:
    line: str
    args: list[str]  # after `registry`
    exit_code: int
    until_ctrl_c: bool


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^(## .+)$", text, flags=re.MULTILINE)
    return {title: body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def _examples(markdown: str) -> list[Example]:
    found = []
    for block in re.findall(r"^```sh\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            if line.startswith("registry "):
                expected = re.search(r"#\s*exit (\d+)", line)
                found.append(
                    Example(
                        line,
                        shlex.split(line, comments=True)[1:],
                        int(expected.group(1)) if expected else 0,
                        "# runs until Ctrl-C" in line,
                    )
                )
    return found


@dataclass(frozen=True)
class Project:
    """A scratch project directory where `make run` ran, and how to reach what it started."""

    root: Path
    env: dict[str, str]
    rpc_url: str
    api_url: str


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _caught_up(project: Project) -> bool:
    """The mirror has indexed the chain's head (and the book is built: the API answers)."""
    db = project.root / ".data" / "registry.sqlite"
    if not _answers(project.api_url) or not db.exists():
        return False
    head = int(connect(project.rpc_url, retries=0).request("eth_blockNumber"), 16)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            (indexed,) = conn.execute("SELECT max(indexed_block) FROM indexer_state").fetchone()
        except sqlite3.OperationalError:  # not migrated yet
            return False
    return indexed is not None and indexed >= head


def _wait_for(ready: Callable[[], bool], proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"exited with {proc.returncode} before it was ready"
        assert time.monotonic() < deadline, f"not ready after {timeout:g} s"
        time.sleep(1)


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """Ctrl-C, as a user would; the process group is killed if it does not stop."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(90)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the process group of our own child (started with start_new_session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _start(args: list[str], project: Project, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(REGISTRY), *args],
            env=project.env,
            cwd=project.root,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.fixture
def after_make_run(tmp_path: Path) -> Iterator[Project]:
    chain_port, api_port = free_port(), free_port()
    env = registry_env(data_dir=tmp_path / ".data", chain_port=chain_port, api_port=api_port,
                       webhook_private_urls="true")  # the story's `export` of it  # fmt: skip
    project = Project(
        tmp_path, env, f"http://127.0.0.1:{chain_port}", f"http://127.0.0.1:{api_port}/"
    )
    log = tmp_path / "up.log"
    up = _start(["up"], project, log)
    try:
        _wait_for(lambda: _caught_up(project), up, READY_TIMEOUT)
        assert _stop(up) == 0, log.read_text()[-3000:]
        yield project
    finally:
        if up.poll() is None:
            _kill_group(up)
        run_registry("chain", "down", env=env, cwd=tmp_path)


#: What each long-running example holds open once started (its Ctrl-C handler set by then).
HELD_OPEN_WHEN_STARTED = {"index": "registry.sqlite.indexer.lock", "webhooks": "registry.sqlite"}


def _holds_open(pid: int, name: str) -> bool:
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(fd).endswith(name):
                return True
    return False


def _started(example: Example, project: Project, proc: subprocess.Popen[bytes]) -> bool:
    if example.args == ["serve"]:
        return _answers(project.api_url)
    return _holds_open(proc.pid, HELD_OPEN_WHEN_STARTED[example.args[0]])


def _run_until_ctrl_c(example: Example, project: Project) -> None:
    log = project.root / f"{example.args[0]}.log"
    proc = _start(example.args, project, log)
    try:
        _wait_for(lambda: _started(example, project, proc), proc, 120)
        time.sleep(STILL_RUNNING_AFTER)
        assert proc.poll() is None, f"{example.line!r} stopped by itself: {log.read_text()}"
        assert _stop(proc) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            _kill_group(proc)


def test_the_command_line_examples_run_as_shown(after_make_run: Project) -> None:
    examples = _examples(_sections(README.read_text())[SECTION])
    assert len(examples) > 30 and any(e.until_ctrl_c for e in examples)
    for example in examples:
        if example.until_ctrl_c:
            _run_until_ctrl_c(example, after_make_run)
            continue
        done = run_registry(
            *example.args, env=after_make_run.env, cwd=after_make_run.root, timeout=900
        )
        said = done.stdout + done.stderr
        assert done.returncode == example.exit_code, f"{example.line}\n{said[-3000:]}"
        assert "Traceback" not in said, f"{example.line}\n{said[-3000:]}"
        if example.exit_code == 1:
            assert done.stderr.startswith("error: "), f"{example.line}\n{said}"


def test_the_other_examples_name_real_commands_and_options() -> None:
    others = [
        e
        for title, body in _sections(README.read_text()).items()
        if title != SECTION
        for e in _examples(body)
    ]
    assert others  # the keystore and deploy lines of "Another network, another key"
    for example in others:
        command: click.Command = cli
        words = list(example.args)
        while isinstance(command, click.Group) and words:
            sub = command.get_command(click.Context(command), words[0])
            if sub is None:
                break
            command, words = sub, words[1:]
        assert not isinstance(command, click.Group), f"not a command: {example.line}"
        options = {opt for param in command.params for opt in param.opts}
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"no {word} in {example.line}"
