"""A token bucket per client IP, in memory (per worker), for the public endpoints."""

from __future__ import annotations

import threading
import time

from cachetools import LRUCache

from registry.errors import RateLimited


class TokenBuckets:
    """``rate`` tokens per second refill each client's bucket of ``burst`` tokens.

    The table keeps at most ``max_clients`` buckets (least recently seen evicted), so a flood
    of addresses cannot grow memory without bound. Safe to share between threads.
    """

    def __init__(self, rate: float, burst: int, *, max_clients: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: LRUCache[str, tuple[float, float]] = LRUCache(max_clients)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, client: str, now: float | None = None) -> None:
        """Spends one token of ``client``'s bucket, or raises :class:`RateLimited`."""
        if self.rate <= 0:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                return
            self._buckets[client] = (tokens, now)
        retry_after = (1.0 - tokens) / self.rate
        raise RateLimited(
            f"too many requests from {client}: at most {self.rate:g}/s "
            f"(bursts of {self.burst:g}); retry in {retry_after:.1f} s",
            retry_after=round(retry_after, 3),
        )
