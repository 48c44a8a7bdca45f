"""Loan tapes: a lender's list of the loans of a pool, checked against the registry.

:mod:`registry.tapes.tape` reads a tape (CSV), :mod:`registry.tapes.check` finds every
exception of every row on the SQL mirror (:mod:`registry.tapes.mirror` holds its set-based
reads), :mod:`registry.tapes.result` is the result (summary, block, id; JSON and CSV).
"""

from __future__ import annotations

from registry.tapes.check import Tolerance, check_tape
from registry.tapes.result import Finding, TapeResult
from registry.tapes.tape import Tape, TapeError, TapeRow, parse_tape, read_tape

__all__ = [
    "Finding",
    "Tape",
    "TapeError",
    "TapeResult",
    "TapeRow",
    "Tolerance",
    "check_tape",
    "parse_tape",
    "read_tape",
]
