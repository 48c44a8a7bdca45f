"""The test kit's one VIN factory: valid VINs, never the same one twice in a session (tests
on the shared session chain each title VINs of their own)."""

from __future__ import annotations

import random

from registry.vin import generate_vin

# Seeded from the OS: each session draws VINs of its own.
_rng = random.Random()
_used: set[str] = set()


def fresh_vin() -> str:
    """A valid VIN never handed out before in this test session."""
    while True:
        vin = generate_vin(_rng)
        if vin not in _used:
            _used.add(vin)
            return vin


def fresh_vins(n: int) -> list[str]:
    """``n`` fresh VINs (see :func:`fresh_vin`)."""
    return [fresh_vin() for _ in range(n)]
