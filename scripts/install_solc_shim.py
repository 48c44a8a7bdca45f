"""Expose scripts/solc-shim.js to py-solc-x (and so `ape compile`) as solc-v0.8.30.

Usage: python scripts/install_solc_shim.py [FOLDER]   (default: $SOLCX_BINARY_PATH or ~/.solcx)
"""

from __future__ import annotations

import sys
from pathlib import Path

from registry.compiler import install_shim_for_ape


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    print(f"solc shim installed at {install_shim_for_ape(folder)}")


if __name__ == "__main__":
    main()
