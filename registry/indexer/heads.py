"""New-head notifications: an ``eth_subscribe("newHeads")`` subscription where the node offers
one, so the follower wakes as soon as a block lands instead of at its next poll.

Polling stays the fallback and the source of truth: a missed or late notification only
delays the indexer until its next poll, and a node without WebSocket support is simply
polled. The watcher reconnects with backoff when the node goes away.
"""

from __future__ import annotations

import json
import logging
import threading
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger("registry.indexer")


def websocket_url(rpc_url: str) -> str | None:
    """The WebSocket endpoint beside an HTTP JSON-RPC URL (anvil, geth, Besu serve both on
    their ports when enabled); None when the URL is not HTTP(S)."""
    parts = urlsplit(rpc_url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    return urlunsplit((scheme, *parts[1:])) if scheme else None


class HeadWatcher:
    """Sets ``wake`` each time the node announces a new head (a daemon thread)."""

    def __init__(self, url: str, wake: threading.Event, *, max_backoff: float = 30.0) -> None:
        self.url = url
        self.wake = wake
        self.max_backoff = max_backoff
        self.heads_seen = 0
        self.subscribed = threading.Event()  # set while a subscription is live
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="head-watcher", daemon=True)

    def start(self) -> HeadWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        # imported on the watcher's thread: a backfill (--until-head) never loads websockets
        from websockets.exceptions import WebSocketException

        delay = 0.5
        warned = False
        while not self._stop.is_set():
            try:
                self._listen()
                delay = 0.5
            except (OSError, WebSocketException, ValueError, KeyError) as exc:
                self.subscribed.clear()
                if not warned:
                    log.info("no new-head subscription at %s (%s); polling", self.url, exc)
                    warned = True
                self._stop.wait(delay)
                delay = min(delay * 2, self.max_backoff)

    def _listen(self) -> None:
        from websockets.sync.client import connect

        with connect(self.url, open_timeout=5, close_timeout=1) as ws:
            ws.send(
                json.dumps(
                    {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}
                )
            )
            reply = json.loads(ws.recv(timeout=5))
            if "result" not in reply:
                raise ValueError(f"subscription refused: {reply.get('error')}")
            self.subscribed.set()
            while not self._stop.is_set():
                try:
                    message = ws.recv(timeout=1)
                except TimeoutError:
                    continue
                if json.loads(message).get("method") == "eth_subscription":
                    self.heads_seen += 1
                    self.wake.set()
