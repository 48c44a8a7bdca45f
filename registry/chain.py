"""The local chain: an anvil node from node_modules, persisted under ``data_dir/chain/``.

:func:`start`, :func:`stop` and :func:`status` manage the long-lived node behind
``registry chain up|stop|status``: it runs detached, its pid is in ``chain/anvil.pid``,
its output in ``chain/anvil.log``, and its whole chain (blocks, transactions, logs) in
``chain/state.json`` (anvil ``--state``: loaded at start, written on SIGTERM and every
:data:`STATE_INTERVAL` seconds), so a stop/start cycle keeps every block.

:class:`AnvilNode` is the process wrapper both use; :func:`ephemeral_anvil` gives tests a
throwaway node on a free port that they may stop and restart.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from registry.config import DEV_MNEMONIC, PROJECT_ROOT, Settings
from registry.errors import ChainUnavailable, ConfigurationError, NodeError
from registry.rpc import connect

CHAIN_ID = 31337
ACCOUNTS = 12
#: Seconds between periodic state dumps, bounding what a crash (SIGKILL) can lose.
STATE_INTERVAL = 10
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
_LOG_TAIL_LINES = 15


def anvil_binary() -> Path:
    """The anvil executable: the native binary npm installed, else ``anvil`` on PATH.

    The native binary is preferred over ``node_modules/.bin/anvil`` (a node wrapper) so
    that the pid we record and signal is anvil itself.

    Raises:
        ConfigurationError: no anvil anywhere.
    """
    scope = PROJECT_ROOT / "node_modules" / "@foundry-rs"
    for candidate in sorted(scope.glob("anvil-*/bin/anvil")):
        if os.access(candidate, os.X_OK):
            return candidate
    wrapper, on_path = PROJECT_ROOT / "node_modules" / ".bin" / "anvil", shutil.which("anvil")
    if os.access(wrapper, os.X_OK):
        return wrapper
    if on_path:
        return Path(on_path)
    raise ConfigurationError("anvil not found: run `make setup` (npm ci)")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(host: str, port: int) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else host
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((target, port)) == 0


def _log_tail(log_file: Path | None, lines: int = _LOG_TAIL_LINES) -> str:
    if log_file is None or not log_file.is_file():
        return "(no log)"
    text = log_file.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:]) or "(log is empty)"


def _pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (reaps it first if it is our exited child)."""
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_anvil(pid: int) -> bool:
    """Best effort: does ``pid`` run anvil (guards against a recycled pid)?"""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return _pid_alive(pid)  # no procfs (macOS): trust the pid file
    try:
        return b"anvil" in cmdline.read_bytes()
    except OSError:
        return False


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM (anvil then writes its state), wait, SIGKILL as a last resort."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while _pid_alive(pid):
        time.sleep(0.05)


class AnvilNode:
    """One anvil process with fixed options, which can be started and stopped repeatedly.

    With a ``state_file`` the chain survives restarts; without one each start is a fresh
    chain. Output goes to ``log_file`` (a temporary file when not given) so errors can
    quote it.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        block_time: float | None = None,
        state_file: Path | None = None,
        log_file: Path | None = None,
        state_interval: int | None = STATE_INTERVAL,
        mnemonic: str = DEV_MNEMONIC,
        chain_id: int = CHAIN_ID,
        accounts: int = ACCOUNTS,
        detach: bool = False,
        startup_timeout: float = STARTUP_TIMEOUT,
        hardfork: str | None = None,
        genesis_timestamp: int | None = None,
        gas_limit: int | None = None,
    ) -> None:
        self.host = host
        self.gas_limit = gas_limit  # the block gas limit (None: anvil's, 30 million)
        self.port = port if port is not None else free_port(host)
        self.block_time = block_time
        self.state_file = Path(state_file) if state_file else None
        self.state_interval = state_interval
        self.mnemonic = mnemonic
        self.chain_id = chain_id
        self.accounts = accounts
        self.detach = detach
        self.startup_timeout = startup_timeout
        self.hardfork = hardfork  # the EVM rules it runs (None: anvil's latest)
        #: the genesis block's unix time (None: now); later blocks follow on from it
        self.genesis_timestamp = genesis_timestamp
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        if log_file is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="anvil-")
            log_file = Path(self._tmpdir.name) / "anvil.log"
        self.log_file = Path(log_file)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def rpc_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The pid while the process runs, else None."""
        if self._proc is None or self._proc.poll() is not None:
            return None
        return self._proc.pid

    @property
    def is_running(self) -> bool:
        return self.pid is not None

    def command(self) -> list[str]:
        """The anvil command line for these options."""
        cmd = [
            str(anvil_binary()),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(self.accounts),
            "--mnemonic", self.mnemonic,
        ]  # fmt: skip
        if self.block_time is not None:
            cmd += ["--block-time", f"{self.block_time:g}"]
        if self.hardfork is not None:
            cmd += ["--hardfork", self.hardfork]
        if self.genesis_timestamp is not None:
            cmd += ["--timestamp", str(self.genesis_timestamp)]
        if self.gas_limit is not None:
            cmd += ["--gas-limit", str(self.gas_limit)]
        if self.state_file is not None:
            cmd += ["--state", str(self.state_file)]
            if self.state_interval:
                cmd += ["--state-interval", str(self.state_interval)]
        return cmd

    def start(self) -> None:
        """Start anvil and wait until it answers ``eth_chainId``.

        Raises:
            ChainUnavailable: the port is taken, anvil exits, or it does not answer within
                ``startup_timeout`` seconds (the message quotes the end of its log).
            ConfigurationError: anvil is not installed.
        """
        if self.is_running:
            raise ChainUnavailable(f"anvil is already running at {self.rpc_url} (pid {self.pid})")
        if port_in_use(self.host, self.port):
            raise ChainUnavailable(
                f"cannot start anvil: port {self.port} on {self.host} is already in use "
                "(another chain node? see `registry chain status`, or choose another "
                "REGISTRY_CHAIN_PORT)",
                port=self.port,
            )
        cmd = self.command()
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=self.detach,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        probe = connect(self.rpc_url, timeout=0.5, connect_timeout=0.5, retries=0)
        while True:
            code = self._proc.poll()
            if code is not None:
                self._proc = None
                raise ChainUnavailable(
                    f"anvil exited with code {code} while starting on port {self.port}; "
                    f"last lines of {self.log_file}:\n{_log_tail(self.log_file)}",
                    port=self.port,
                )
            with contextlib.suppress(ChainUnavailable, NodeError):
                if int(probe.request("eth_chainId"), 16) == self.chain_id:
                    probe.close()
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise ChainUnavailable(
                    f"anvil did not answer at {self.rpc_url} within {self.startup_timeout:g}s; "
                    f"last lines of {self.log_file}:\n{_log_tail(self.log_file)}",
                    port=self.port,
                )
            time.sleep(0.05)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM and wait (anvil writes ``state_file`` on the way out). Idempotent."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def close(self) -> None:
        """Stop the node and remove its temporary log directory, if any."""
        self.stop()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> AnvilNode:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def ephemeral_anvil(
    port: int | None = None,
    block_time: float | None = None,
    state_file: Path | None = None,
    hardfork: str | None = None,
    genesis_timestamp: int | None = None,
    gas_limit: int | None = None,
) -> Iterator[AnvilNode]:
    """A running anvil for a test: free port, no persisted state unless ``state_file``,
    anvil's latest hardfork unless ``hardfork``, its clock starting now unless
    ``genesis_timestamp``, anvil's block gas limit unless ``gas_limit``.

    The node may be stopped and started again (same port, same state file); it is killed
    when the block exits.
    """
    node = AnvilNode(port=port, block_time=block_time, state_file=state_file, hardfork=hardfork,
                     genesis_timestamp=genesis_timestamp, gas_limit=gas_limit)  # fmt: skip
    try:
        node.start()
        yield node
    finally:
        node.close()


# --- the long-lived node under settings.data_dir ------------------------------------------


@dataclass(frozen=True)
class ChainFiles:
    """Where the managed node keeps its state, pid and log."""

    dir: Path
    state: Path
    pid: Path
    log: Path

    @classmethod
    def of(cls, settings: Settings) -> ChainFiles:
        base = settings.data_dir / "chain"
        return cls(base, base / "state.json", base / "anvil.pid", base / "anvil.log")


@dataclass(frozen=True)
class ChainProcess:
    """A started managed node."""

    pid: int
    rpc_url: str
    state_file: Path
    log_file: Path


@dataclass(frozen=True)
class ChainStatus:
    """What :func:`status` found: ``running`` means a node answers at ``rpc_url``."""

    running: bool
    rpc_url: str
    pid: int | None
    chain_id: int | None
    block_number: int | None
    state_file: Path


def _node_for(settings: Settings, genesis_timestamp: int | None = None) -> AnvilNode:
    files = ChainFiles.of(settings)
    return AnvilNode(
        host=settings.chain_host,
        port=settings.chain_port,
        block_time=settings.chain_block_time,
        state_file=files.state,
        log_file=files.log,
        detach=True,
        genesis_timestamp=genesis_timestamp,
    )


def _managed_pid(files: ChainFiles) -> int | None:
    """The pid in the pid file if that process still runs anvil; clears a stale file."""
    try:
        pid = int(files.pid.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if _pid_alive(pid) and _is_anvil(pid):
        return pid
    files.pid.unlink(missing_ok=True)
    return None


def start(settings: Settings, *, genesis_timestamp: int | None = None) -> ChainProcess:
    """Start the persisted local chain in the background; return once it answers.

    ``genesis_timestamp`` dates a new chain's first block (``registry up`` starts the demo's
    chain years back); a chain restored from its state file keeps its own time.

    Raises:
        ChainUnavailable: it is already running, the port is taken, or anvil fails to start
            (the message quotes the end of ``chain/anvil.log``).
        ConfigurationError: anvil is not installed.
    """
    files = ChainFiles.of(settings)
    if (pid := _managed_pid(files)) is not None:
        raise ChainUnavailable(
            f"the local chain is already running (pid {pid}, port {settings.chain_port}); "
            "stop it first with `registry chain down`",
            pid=pid,
        )
    files.dir.mkdir(parents=True, exist_ok=True)
    fresh = not files.state.exists()
    node = _node_for(settings, genesis_timestamp if fresh else None)
    node.start()
    assert node.pid is not None
    files.pid.write_text(f"{node.pid}\n")
    return ChainProcess(node.pid, node.rpc_url, files.state, files.log)


def stop(settings: Settings, timeout: float = STOP_TIMEOUT) -> bool:
    """Stop the managed chain (it writes ``state.json`` first). False if it was not running."""
    files = ChainFiles.of(settings)
    pid = _managed_pid(files)
    if pid is None:
        return False
    _terminate(pid, timeout)
    files.pid.unlink(missing_ok=True)
    return True


def status(settings: Settings) -> ChainStatus:
    """Whether a node answers at the configured RPC URL, with its chain id and height."""
    files = ChainFiles.of(settings)
    url = settings.rpc_url
    pid = _managed_pid(files)
    try:
        node = connect(url, timeout=2.0, connect_timeout=2.0, retries=0)
        chain_id, block_number = (
            int(n, 16) for n in node.batch([("eth_chainId", []), ("eth_blockNumber", [])])
        )
    except (ChainUnavailable, NodeError):
        return ChainStatus(False, url, pid, None, None, files.state)
    return ChainStatus(True, url, pid, chain_id, block_number, files.state)
