"""Webhook receivers and the delivery worker, as a participant and an operator run them.

:class:`Receiver` is a participant's endpoint on 127.0.0.1 that checks every delivery with
the documented receiver check (:func:`registry.risk.signatures.verify_webhook`: signature,
timestamp tolerance, ids already handled) and, for the release that still sends it, the
legacy ``X-Registry-Signature``. Local receivers need ``allow_private`` (the setting
``REGISTRY_WEBHOOK_PRIVATE_URLS``): the tests pass it explicitly.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import Engine

from registry.db import make_engine
from registry.risk.signatures import (
    DuplicateDelivery,
    WebhookVerificationError,
    new_secret,
    verify_legacy_signature,
    verify_webhook,
)
from registry.risk.webhooks import LEGACY_SIGNATURE_HEADER, Backoff, outbox, run_worker


class Receiver:
    """A participant's endpoint: verifies each delivery, keeps the first of each id."""

    def __init__(self, port: int, secret: str | None = None) -> None:
        self.port = port
        self.secret = secret or new_secret()
        self.seen: dict[str, dict[str, Any]] = {}
        self.handled: set[str] = set()  # ids verified once (the check's ``seen``)
        self.requests = 0
        self.rejected: list[str] = []  # why each refused delivery was refused
        self.raw: list[tuple[dict[str, str], bytes]] = []  # every request as received
        self.fail_next = 0  # answer 500 to the next N requests
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/registry"

    def check(self, headers: dict[str, str], body: bytes) -> int:
        """The receiver's answer to one request (what its handler does)."""
        self.requests += 1
        self.raw.append((headers, body))
        if self.fail_next > 0:
            self.fail_next -= 1
            return 500
        if not verify_legacy_signature(self.secret, body, headers.get(LEGACY_SIGNATURE_HEADER)):
            self.rejected.append("legacy signature")
            return 401
        try:  # the receiver's check as the README shows it
            message_id = verify_webhook(self.secret, headers, body, seen=self.handled)
        except DuplicateDelivery:
            return 204  # a redelivery: acknowledge it, act on it once
        except WebhookVerificationError as exc:
            self.rejected.append(exc.message)
            return 401
        self.seen[message_id] = json.loads(body)
        return 204

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(receiver.check(dict(self.headers.items()), body))
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def bodies(self, kind: str) -> list[dict[str, Any]]:
        """The content of every delivery of ``kind`` ("alert" or "notice") it processed."""
        return [b[kind] for b in self.seen.values() if b.get("type") == kind]


class Worker:
    """``run_worker`` in a thread, as the `registry webhooks deliver` process runs it (with
    local receivers allowed)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)  # its own engine: a new process after a restart
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=run_worker,
            args=(self.engine,),
            kwargs={"backoff": Backoff(base=0.1, cap=0.4), "poll_interval": 0.05,
                    "stop": self.stop_event, "allow_private": True},
            daemon=True,
        )  # fmt: skip
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(10)
        self.engine.dispose()


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def pending(engine: Engine) -> list[dict[str, Any]]:
    """The outbox rows not delivered yet."""
    with engine.connect() as conn:
        return outbox(conn, pending_only=True)
