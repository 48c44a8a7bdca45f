"""Webhook delivery: signed, retried while the receiver is down, resumed from the outbox by a
restarted worker, and deduplicated by the receiver."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from registry.chain import free_port
from registry.db import make_engine, migrate
from registry.enums import AlertKind, Severity
from registry.errors import InvalidInput
from registry.risk.alerts import NewAlert, store
from registry.risk.destinations import ForbiddenDestination, check_destination
from registry.risk.models import Delivery
from registry.risk.signatures import (
    DuplicateDelivery,
    WebhookVerificationError,
    legacy_signature,
    new_secret,
    sign_message,
    signed_headers,
    verify_legacy_signature,
    verify_webhook,
)
from registry.risk.webhooks import (
    Backoff,
    add_webhook,
    deliver_due,
    list_webhooks,
    remove_webhook,
)
from tests.kit.chain import CAST, Registry
from tests.kit.mirror import Mirror
from tests.kit.webhooks import Receiver, Worker, pending, wait_for

SECRET = new_secret()
LENDER = CAST.lender.address.lower()
DELIVERIES = Delivery.__table__  # type: ignore[attr-defined]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(free_port(), SECRET)
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


def local_hook(engine: Engine, participant: str, url: str, secret: str = SECRET) -> int:
    """A webhook on a local receiver (allowed explicitly, as the setting does)."""
    with engine.begin() as conn:
        return int(add_webhook(conn, participant, url, secret, allow_private=True)["id"])


def test_legacy_signature_round_trip_and_tampering() -> None:
    body = b'{"alert":{"kind":"double_pledge"}}'
    header = legacy_signature(SECRET, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_legacy_signature(SECRET, body, header)
    assert not verify_legacy_signature(new_secret(), body, header)
    assert not verify_legacy_signature(SECRET, body + b" ", header)
    assert not verify_legacy_signature(SECRET, body, None)
    assert not verify_legacy_signature(SECRET, body, "sha1=" + header[7:])


def test_standard_webhooks_signature_signs_id_timestamp_and_body() -> None:
    body = b'{"type":"notice"}'
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    assert SECRET.startswith("whsec_") and len(key) == 32
    headers = signed_headers(SECRET, "msg_1", body, now=1_700_000_000)
    assert headers["webhook-timestamp"] == "1700000000"
    assert headers["webhook-signature"] == sign_message(SECRET, "msg_1", 1_700_000_000, body)
    assert headers["webhook-signature"].startswith("v1,")
    now = 1_700_000_100.0
    assert verify_webhook(SECRET, headers, body, now=now) == "msg_1"
    upper = {k.upper(): v for k, v in headers.items()}  # header names in any case
    assert verify_webhook(SECRET, upper, body, now=now) == "msg_1"
    rotated = {**headers, "webhook-signature": "v1,bm9wZQ== " + headers["webhook-signature"]}
    assert verify_webhook(SECRET, rotated, body, now=now) == "msg_1"  # any one of several
    for bad_headers, bad_body in [
        (headers, body + b" "),  # the body changed
        ({**headers, "webhook-id": "msg_2"}, body),  # another id under the same signature
        ({**headers, "webhook-timestamp": "1700000050"}, body),  # a moved timestamp
        ({k: v for k, v in headers.items() if k != "webhook-signature"}, body),
        ({**headers, "webhook-timestamp": "soon"}, body),
    ]:
        with pytest.raises(WebhookVerificationError):
            verify_webhook(SECRET, bad_headers, bad_body, now=now)
    with pytest.raises(WebhookVerificationError, match="no webhook-signature matches"):
        verify_webhook(new_secret(), headers, body, now=now)


def test_a_stale_or_replayed_delivery_is_refused_by_the_receiver_check() -> None:
    body = b'{"type":"alert"}'
    headers = signed_headers(SECRET, "msg_9", body, now=1_700_000_000)
    with pytest.raises(WebhookVerificationError, match="stale or replayed"):  # 10 minutes on
        verify_webhook(SECRET, headers, body, now=1_700_000_600)
    with pytest.raises(WebhookVerificationError, match="stale or replayed"):  # from the future
        verify_webhook(SECRET, headers, body, now=1_699_999_000)
    assert verify_webhook(SECRET, headers, body, now=1_700_000_600, tolerance=900) == "msg_9"
    handled: set[str] = set()
    assert verify_webhook(SECRET, headers, body, seen=handled, now=1_700_000_001) == "msg_9"
    with pytest.raises(DuplicateDelivery, match="already handled"):  # a quick replay
        verify_webhook(SECRET, headers, body, seen=handled, now=1_700_000_002)


def test_secrets_are_whsec_or_long_enough(db: tuple[str, Engine]) -> None:
    _, engine = db
    with engine.begin() as conn:
        made = add_webhook(conn, LENDER, "http://93.184.216.34/hook")
        assert made["secret"].startswith("whsec_")
        for bad in (
            "whsec_not*base64*at-all",
            "whsec_" + base64.b64encode(b"too-short-a-key").decode(),
        ):
            with pytest.raises(InvalidInput, match="whsec_"):
                add_webhook(conn, LENDER, "http://93.184.216.34/hook", bad)
        assert add_webhook(conn, LENDER, "http://93.184.216.34/h", "a-plain-old-secret-123")


def test_delivery_survives_receiver_down_and_worker_restart(
    db: tuple[str, Engine], receiver: Receiver
) -> None:
    url, engine = db
    hook = local_hook(engine, LENDER, receiver.url)
    local_hook(engine, CAST.lender2.address, receiver.url + "/other")
    with engine.begin() as conn:
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
    assert len(receiver.seen) == 4 and not receiver.rejected
    assert {body["alert"]["message"] for body in receiver.seen.values()} == {
        "test alert 1", "test alert 2", "test alert 3", "test alert 4",
    }  # fmt: skip
    for delivery_id, body in receiver.seen.items():
        assert body["delivery_id"] == delivery_id
    with engine.connect() as conn:
        listed = list_webhooks(conn, LENDER)
        assert listed[0]["id"] == hook and listed[0]["delivered"] == 3
        assert "secret" not in listed[0]


def test_redelivery_keeps_its_id_so_the_receiver_drops_the_duplicate(
    db: tuple[str, Engine], receiver: Receiver
) -> None:
    _, engine = db
    receiver.start()
    local_hook(engine, LENDER, receiver.url)
    with engine.begin() as conn:
        store(conn, [alert(7)])
    assert deliver_due(engine, allow_private=True).delivered == 1
    with engine.begin() as conn:  # a crash after the POST, before the commit
        conn.execute(update(DELIVERIES).values(delivered_ts=None, next_attempt_ts=0))
    assert deliver_due(engine, allow_private=True).delivered == 1
    assert receiver.requests == 2 and len(receiver.seen) == 1
    (first, _), (again, _) = receiver.raw
    assert first["webhook-id"] == again["webhook-id"] == first["X-Registry-Delivery"]
    with engine.begin() as conn:  # storing the same alert again queues nothing
        assert store(conn, [alert(7)]) == []
    assert not pending(engine)


def test_wrong_secret_is_detected_by_the_receiver(
    db: tuple[str, Engine], receiver: Receiver
) -> None:
    _, engine = db
    receiver.secret = new_secret()
    receiver.start()
    local_hook(engine, LENDER, receiver.url)
    with engine.begin() as conn:
        store(conn, [alert(9)])
    result = deliver_due(engine, backoff=Backoff(base=60), allow_private=True)
    assert result.failed == 1 and receiver.rejected and not receiver.seen
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
            add_webhook(conn, "0x1234", "https://93.184.216.34/hook", SECRET)
        with pytest.raises(InvalidInput):
            add_webhook(conn, LENDER, "https://93.184.216.34/hook", "short")


def test_removed_webhook_gets_nothing(db: tuple[str, Engine], receiver: Receiver) -> None:
    _, engine = db
    hook = local_hook(engine, LENDER, receiver.url)
    with engine.begin() as conn:
        store(conn, [alert(11)])
        remove_webhook(conn, hook, LENDER)
        store(conn, [alert(12)])
        assert list_webhooks(conn) == []
        assert conn.execute(select(DELIVERIES)).first() is None


def test_chain_alert_reaches_the_lenders_webhook(
    chain: Registry, fresh_mirror: Mirror, receiver: Receiver
) -> None:
    receiver.start()
    local_hook(fresh_mirror.engine, CAST.lender2.address, receiver.url)
    vin = chain.title()
    chain.lender.register_lien(vin)
    chain.lender2.register_lien(vin)
    fresh_mirror.index()
    deliver_due(fresh_mirror.engine, allow_private=True)
    mine = [a for a in receiver.bodies("alert") if a["vin"] == vin]
    assert [a["kind"] for a in mine] == ["double_pledge"]
    assert CAST.lender2.address.lower() in mine[0]["lenders"]


PRIVATE_URLS = [
    "http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.0.0.5/hook",
    "https://192.168.1.20/hook", "http://172.16.0.1/", "http://169.254.169.254/latest/meta-data",
    "http://[::1]:8080/hook", "http://[fe80::1]/hook", "http://[::ffff:127.0.0.1]/hook",
    "http://100.64.0.1/hook", "http://0.0.0.0/hook", "http://[fc00::5]/hook",
]  # fmt: skip


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_a_private_address_webhook_url_is_refused(db: tuple[str, Engine], url: str) -> None:
    _, engine = db
    with engine.begin() as conn:
        with pytest.raises(ForbiddenDestination, match="not a public address"):
            add_webhook(conn, LENDER, url)
        assert list_webhooks(conn) == []
        assert add_webhook(conn, LENDER, url, allow_private=True)["url"] == url  # the setting


def test_a_name_that_resolves_to_a_private_address_is_refused() -> None:
    def rebinding(host: str, port: int) -> list[str]:  # DNS naming one public, one internal
        return ["93.184.216.34", "10.1.2.3"]

    with pytest.raises(ForbiddenDestination, match=r"10\.1\.2\.3"):
        check_destination("https://hooks.bank.example/x", resolve=rebinding)
    public = check_destination("https://hooks.bank.example:8443/x?a=1",
                               resolve=lambda h, p: ["93.184.216.34"])  # fmt: skip
    url, headers, extensions = public.pinned()  # the request goes to the address checked
    assert url == "https://93.184.216.34:8443/x?a=1"
    assert headers == {"Host": "hooks.bank.example:8443"}
    assert extensions == {"sni_hostname": "hooks.bank.example"}


def test_delivery_checks_the_address_again(db: tuple[str, Engine], receiver: Receiver) -> None:
    _, engine = db
    receiver.start()
    local_hook(engine, LENDER, receiver.url)  # registered while local URLs were allowed
    with engine.begin() as conn:
        store(conn, [alert(21)])
    result = deliver_due(engine, backoff=Backoff(base=60))  # the worker does not allow them
    assert result.failed == 1 and receiver.requests == 0
    [row] = pending(engine)
    assert "127.0.0.1" in row["last_error"] and "not a public address" in row["last_error"]
    assert deliver_due(engine, allow_private=True, now=1e12).delivered == 1
