"""The real `registry` command (the console script pip installed) run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: The `registry` executable of this environment, beside its Python.
REGISTRY = Path(sys.executable).with_name("registry")


def registry_env(**settings: str | int | Path) -> dict[str, str]:
    """This process's environment without the shell's REGISTRY_* settings, plus ``settings``.

    ``registry_env(rpc_url=url)`` sets ``REGISTRY_RPC_URL``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update({f"REGISTRY_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def run_registry(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Runs ``registry ARGS…`` to completion without a terminal (stdin closed)."""
    return subprocess.run(
        [str(REGISTRY), *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
