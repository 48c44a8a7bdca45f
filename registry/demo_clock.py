"""The demo's calendar: about three years of book dates, and the chain's clock moved to them.

The demo book is dated from :data:`HISTORY_DAYS` before now to now: titles and floor plans
at the start, loans originated in cohorts month after month, each month's payments in the
month they are paid (some late, some missed, some caught up), and the cases a registry
exists to expose in its last weeks. :class:`DemoClock` sets the local chain's next block
timestamp (anvil's ``evm_setNextBlockTimestamp``) before each step, so that every event
carries its book date: histories, payment timelines, delinquency buckets and month-end roll
rates look like those of a registry that has run for years.

A chain cannot go back in time: a step dated before the chain's latest block is recorded at
that block's time. ``registry up`` starts a fresh chain :data:`HISTORY_DAYS` back (anvil's
genesis ``--timestamp``), so the whole calendar fits; on a chain started now (the tests'),
the book is recorded at once, as one minute of activity, with the same ids.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from registry.rpc import Transport

HISTORY_DAYS = 3 * 365
DAY = 86_400


def genesis_timestamp(now: float | None = None) -> int:
    """Where ``registry up`` starts a fresh chain for the demo: :data:`HISTORY_DAYS` ago."""
    return int(now if now is not None else time.time()) - HISTORY_DAYS * DAY - DAY


def day_of(timestamp: int) -> date:
    return datetime.fromtimestamp(timestamp, UTC).date()


def at_noon(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, 12, tzinfo=UTC).timestamp())


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, min(d.day, 28))


class DemoClock:
    """Moves the chain's clock to book dates, never backwards."""

    def __init__(self, rpc: Transport, end: int | None = None) -> None:
        self.rpc = rpc
        self.end = max(int(end if end is not None else time.time()), self.chain_time())
        self.start = self.end - HISTORY_DAYS * DAY

    def chain_time(self) -> int:
        block = self.rpc.request("eth_getBlockByNumber", ["latest", False])
        return int(block["timestamp"], 16)

    @property
    def first_day(self) -> date:
        return day_of(self.start)

    @property
    def last_day(self) -> date:
        return day_of(self.end)

    def month(self, k: int) -> date:
        """The first day of the ``k``-th month of the book (0: the month it starts)."""
        return add_months(self.first_day.replace(day=1), k)

    @property
    def months(self) -> int:
        """How many months the book spans (the last one is the month of ``end``)."""
        first, last = self.first_day, self.last_day
        return (last.year - first.year) * 12 + last.month - first.month

    def at(self, when: int | date) -> int:
        """Dates the next transaction ``when`` (a unix time, or a day at noon UTC), or at the
        chain's time if that is later; returns the time it will carry."""
        target = at_noon(when) if isinstance(when, date) else int(when)
        target = min(target, self.end)
        latest = self.chain_time()
        if target <= latest:
            return latest
        self.rpc.request("evm_setNextBlockTimestamp", [target])
        return target


@dataclass(frozen=True)
class Payer:
    """How a borrower pays: ``lag`` months late, stops after ``stops_after`` instalments,
    or misses ``skip`` months from instalment ``skip_from`` and then catches up."""

    lag: int = 0
    stops_after: int | None = None
    skip_from: int | None = None
    skip: int = 0

    @classmethod
    def draw(cls, rng: random.Random, term: int) -> Payer:
        roll = rng.random()
        if roll < 0.74:
            return cls()
        if roll < 0.84:
            return cls(lag=rng.choice((1, 1, 2)))
        if roll < 0.93:
            return cls(stops_after=rng.randrange(2, max(3, term // 2)))
        return cls(skip_from=rng.randrange(1, max(2, term // 3)), skip=rng.choice((2, 3)))

    def pay_month(self, number: int, due_month: int) -> int | None:
        """The book month instalment ``number`` (1-based), due in ``due_month``, is paid in
        (None: never)."""
        if self.stops_after is not None and number > self.stops_after:
            return None
        if self.skip_from is not None and self.skip_from <= number < self.skip_from + self.skip:
            return due_month + (self.skip_from + self.skip - number)  # paid with the catch-up
        return due_month + self.lag


def month_index(first: date, d: date) -> int:
    """The book month of ``d`` (0: the month of ``first``)."""
    return (d.year - first.year) * 12 + d.month - first.month


def mid_month(clock: DemoClock, k: int) -> date:
    """The day a month's payments are recorded: the 20th (the last month: its last day)."""
    day = clock.month(k) + timedelta(days=19)
    return min(day, clock.last_day)
