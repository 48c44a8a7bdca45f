"""Cutting a sequence into consecutive slices: SQL ``IN (...)`` lists, batch transactions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

#: Values per ``IN (...)`` list: within SQLite's historic limit of 999 bound parameters.
IN_LIST = 900


def chunks(values: Sequence[T], size: int = IN_LIST) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``values``, each ``size`` long but maybe the last."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    for i in range(0, len(values), size):
        yield values[i : i + size]
