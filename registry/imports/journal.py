"""The import journal: what was signed and sent, written before it is sent.

One JSON Lines file per import (file digest, kind, signer, chain, deployment), appended and
fsynced: a ``sent`` entry holds a batch's rows, its signed raw transaction and its hash,
written *before* the transaction goes to the node; a ``done`` entry follows its receipt. On a
rerun the chain is the truth: a batch sent but not confirmed is looked up by its hash (a
signed transaction can land only under that hash); a mined one counts, a pending one is
waited for, an unknown one is sent again as the same signed bytes (its nonce makes a double
landing impossible), and one the node refuses for good (its nonce taken by another) frees its
rows to be checked and planned again.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.errors import InvalidInput


@dataclass
class Batch:
    """One signed transaction of an import: its stage, its rows and what it carried."""

    stage: str
    key: int  # the batch's number within the import
    rows: list[Any]  # row numbers ([row, n] for a loan's n-th payment)
    tx_hash: str
    raw: str
    nonce: int
    extra: dict[str, Any] = field(default_factory=dict)
    #: set once confirmed: block, gas used and the ids the transaction created
    done: dict[str, Any] | None = None
    lost: bool = False


class Journal:
    """The append-only record of one import, read back whole on a rerun."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # the sending thread writes too
        self.meta: dict[str, Any] = {}
        self.batches: dict[int, Batch] = {}
        self.notes: dict[str, Any] = {}
        if path.exists():
            for entry in self._entries():
                self._apply(entry)

    def _entries(self) -> Iterator[dict[str, Any]]:
        with self.path.open() as fh:
            for number, line in enumerate(fh, start=1):
                try:
                    yield json.loads(line)
                except ValueError:  # a line cut short by a crash: the last, never acted on
                    if fh.read().strip():
                        raise InvalidInput(f"{self.path} line {number} is damaged") from None
                    return

    def _apply(self, e: dict[str, Any]) -> None:
        kind = e["t"]
        if kind == "meta":
            self.meta = e["meta"]
        elif kind == "sent":
            self.batches[e["key"]] = Batch(e["stage"], e["key"], e["rows"], e["tx"], e["raw"],
                                           e["nonce"], e.get("extra", {}))  # fmt: skip
        elif kind == "done":
            self.batches[e["key"]].done = e["done"]
        elif kind == "lost":
            self.batches[e["key"]].lost = True
        elif kind == "forgotten":  # confirmed once, then gone from the chain (a rolled-back node)
            self.batches[e["key"]].done = None
        elif kind == "note":
            self.notes[e["name"]] = e["value"]

    def _append(self, *entries: dict[str, Any]) -> None:
        text = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in entries)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            for e in entries:
                self._apply(e)

    # ------------------------------------------------------------------ writes

    def start(self, meta: dict[str, Any]) -> None:
        if not self.meta:
            self._append({"t": "meta", "meta": meta})

    def sent(self, batches: list[Batch]) -> None:
        """Records batches about to be sent (before they are)."""
        self._append(*({"t": "sent", "stage": b.stage, "key": b.key, "rows": b.rows,
                        "tx": b.tx_hash, "raw": b.raw, "nonce": b.nonce, "extra": b.extra}
                       for b in batches))  # fmt: skip

    def done(self, batch: Batch, done: dict[str, Any]) -> None:
        self._append({"t": "done", "key": batch.key, "done": done})

    def forgotten(self, batch: Batch) -> None:
        self._append({"t": "forgotten", "key": batch.key})

    def lost(self, batch: Batch) -> None:
        self._append({"t": "lost", "key": batch.key})

    def note(self, name: str, value: Any) -> None:
        self._append({"t": "note", "name": name, "value": value})

    # ------------------------------------------------------------------- reads

    def next_key(self) -> int:
        return max(self.batches, default=-1) + 1

    def live(self, stage: str) -> list[Batch]:
        """The stage's batches that landed or may still land (not lost)."""
        return [b for b in self.batches.values() if b.stage == stage and not b.lost]

    def confirmed(self) -> list[Batch]:
        return [b for b in self.batches.values() if b.done is not None and not b.lost]

    def unconfirmed(self) -> list[Batch]:
        return [b for b in self.batches.values() if b.done is None and not b.lost]
