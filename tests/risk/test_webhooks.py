"""Webhook delivery: signed, retried while the receiver is down, resumed from the outbox by a
restarted worker, and deduplicated by the receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from registry.chain import free_port
from registry.db import make_engine, migrate
from registry.enums import AlertKind, Severity
from registry.risk.alerts import NewAlert, store
from registry.risk.models import Delivery
from registry.risk.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    Backoff,
    add_webhook,
    deliver_due,
    list_webhooks,
    outbox,
    remove_webhook,
    run_worker,
    sign,
    verify_signature,
)
from tests.kit.chain import CAST, Registry
from tests.kit.mirror import Mirror

SECRET = "s3cret-for-the-receiver-0123456789"
LENDER = CAST.lender.address.lower()
DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]


class Receiver:
    """A lender's endpoint on 127.0.0.1: checks signatures, drops duplicate delivery ids."""

    def __init__(self, port: int, secret: str = SECRET) -> None:
        self.port = port
        self.secret = secret
        self.seen: dict[str, dict[str, Any]] = {}
        self.requests = 0
        self.bad_signatures = 0
        self.fail_next = 0  # answer 500 to the next N requests
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/registry"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                if not verify_signature(receiver.secret, body, self.headers[SIGNATURE_HEADER]):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                receiver.seen.setdefault(self.headers[DELIVERY_HEADER], json.loads(body))
                self.send_response(204)
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


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(free_port())
    yield r
    r.stop()


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, Engine]:
    url = f"sqlite:///{tmp_path / 'outbox.sqlite'}"
    migrate(url)
    return url, make_engine(url)


def alert(n: int, lender: str = LENDER) -> NewAlert:
    return NewAlert(
        key=f"double_pledge:0x{n:064x}:0", kind=AlertKind.DOUBLE_PLEDGE,
        severity=Severity.CRITICAL,
        vin="1G1SCZK16DT079150", lenders=[lender], block_number=n, time=1_800_000_000 + n,
        message=f"test alert {n}", tx_hash=f"0x{n:064x}", log_index=0,
    )  # fmt: skip


class Worker:
    """``run_worker`` in a thread, as the `registry webhooks deliver` process would run it."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)  # its own engine: a new process after a restart
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=run_worker,
            args=(self.engine,),
            kwargs={"backoff": Backoff(base=0.1, cap=0.4), "poll_interval": 0.05,
                    "stop": self.stop_event},
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
    with engine.connect() as conn:
        return outbox(conn, pending_only=True)


def test_signature_round_trip_and_tampering() -> None:
    body = b'{"alert":{"kind":"double_pledge"}}'
    header = sign(SECRET, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature(SECRET, body, header)
    assert not verify_signature("another-secret-0123456789", body, header)
    assert not verify_signature(SECRET, body + b" ", header)
    assert not verify_signature(SECRET, body, None)
    assert not verify_signature(SECRET, body, "sha1=" + header[7:])


def test_delivery_survives_receiver_down_and_worker_restart(
    db: tuple[str, Engine], receiver: Receiver
) -> None:
    url, engine = db
    with engine.begin() as conn:
        hook = add_webhook(conn, LENDER, receiver.url, SECRET)
        add_webhook(conn, CAST.lender2.address, receiver.url + "/other", SECRET)
        stored = store(conn, [alert(1), alert(2), alert(3, CAST.lender2.address.lower())])
    assert len(stored) == 3
    assert len(pending(engine)) == 3  # one per alert and webhook of its lender

    worker = Worker(url)  # the receiver is down: every attempt fails and is rescheduled
    wait_for(lambda: all(d["attempts"] >= 2 for d in pending(engine)))
    worker.stop()
    rows = pending(engine)
    assert len(rows) == 3 and all("ConnectError" in (d["last_error"] or "") for d in rows)
    assert receiver.requests == 0

    with engine.begin() as conn:  # more alerts while the service is down
        store(conn, [alert(4)])
    receiver.start()
    receiver.fail_next = 1  # and it is flaky when it comes back
    worker = Worker(url)  # the restarted service resumes from the outbox
    wait_for(lambda: not pending(engine))
    worker.stop()
    assert len(receiver.seen) == 4 and receiver.bad_signatures == 0
    assert {body["alert"]["message"] for body in receiver.seen.values()} == {
        "test alert 1", "test alert 2", "test alert 3", "test alert 4",
    }  # fmt: skip
    for delivery_id, body in receiver.seen.items():
        assert body["delivery_id"] == delivery_id
    with engine.connect() as conn:
        listed = list_webhooks(conn, LENDER)
        assert listed[0]["id"] == hook["id"] and listed[0]["delivered"] == 3
        assert "secret" not in listed[0]


def test_redelivery_keeps_its_id_so_the_receiver_drops_the_duplicate(
    db: tuple[str, Engine], receiver: Receiver
) -> None:
    _, engine = db
    receiver.start()
    with engine.begin() as conn:
        add_webhook(conn, LENDER, receiver.url, SECRET)
        store(conn, [alert(7)])
    assert deliver_due(engine).delivered == 1
    with engine.begin() as conn:  # a crash after the POST, before the commit
        conn.execute(update(DELIVERIES).values(delivered_ts=None, next_attempt_ts=0))
    assert deliver_due(engine).delivered == 1
    assert receiver.requests == 2 and len(receiver.seen) == 1
    with engine.begin() as conn:  # storing the same alert again queues nothing
        assert store(conn, [alert(7)]) == []
    assert not pending(engine)


def test_wrong_secret_is_detected_by_the_receiver(
    db: tuple[str, Engine], receiver: Receiver
) -> None:
    _, engine = db
    receiver.secret = "the-receiver-expects-another-secret"
    receiver.start()
    with engine.begin() as conn:
        add_webhook(conn, LENDER, receiver.url, SECRET)
        store(conn, [alert(9)])
    result = deliver_due(engine, backoff=Backoff(base=60))
    assert result.failed == 1 and receiver.bad_signatures == 1 and not receiver.seen
    [row] = pending(engine)
    assert row["last_error"].startswith("HTTP 401")


def test_bad_webhook_urls_are_refused(db: tuple[str, Engine]) -> None:
    from registry.errors import InvalidInput

    _, engine = db
    with engine.begin() as conn:
        for url in ("ftp://bank.example/x", "http://[::1", "bank.example/hook", ""):
            with pytest.raises(InvalidInput):
                add_webhook(conn, LENDER, url, SECRET)
        with pytest.raises(InvalidInput):
            add_webhook(conn, "0x1234", "https://bank.example/hook", SECRET)
        with pytest.raises(InvalidInput):
            add_webhook(conn, LENDER, "https://bank.example/hook", "short")


def test_removed_webhook_gets_nothing(db: tuple[str, Engine], receiver: Receiver) -> None:
    _, engine = db
    with engine.begin() as conn:
        hook = add_webhook(conn, LENDER, receiver.url, SECRET)
        store(conn, [alert(11)])
        remove_webhook(conn, hook["id"], LENDER)
        store(conn, [alert(12)])
        assert list_webhooks(conn) == []
        assert conn.execute(select(DELIVERIES)).first() is None


def test_chain_alert_reaches_the_lenders_webhook(
    chain: Registry, fresh_mirror: Mirror, receiver: Receiver
) -> None:
    receiver.start()
    with fresh_mirror.engine.begin() as conn:
        add_webhook(conn, CAST.lender2.address, receiver.url, SECRET)
    vin = chain.title()
    chain.lender.register_lien(vin)
    chain.lender2.register_lien(vin)
    fresh_mirror.index()
    deliver_due(fresh_mirror.engine)
    mine = [b["alert"] for b in receiver.seen.values() if b["alert"]["vin"] == vin]
    assert [a["kind"] for a in mine] == ["double_pledge"]
    assert CAST.lender2.address.lower() in mine[0]["lenders"]
