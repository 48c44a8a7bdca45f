"""The risk hooks, alerts, webhooks outbox and report on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.db.scratch import scratch_database
from registry.enums import AlertKind, Severity
from registry.risk.alerts import NewAlert, store
from registry.risk.portfolio import portfolio
from registry.risk.webhooks import add_webhook, outbox
from tests.kit.books import INSTALMENT_CENTS, make_loan
from tests.kit.chain import CAST, Registry, ref
from tests.kit.mirror import Mirror

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_mirror(chain: Registry, tmp_path: Path) -> Iterator[Mirror]:
    with scratch_database("risk") as url:
        m = Mirror.create(chain, tmp_path, url, risk=True)
        yield m
        m.engine.dispose()


def test_alerts_standing_and_report_on_postgres(chain: Registry, pg_mirror: Mirror) -> None:
    pledged, late, kept = chain.title(), chain.title(), chain.title()
    chain.lender.register_lien(pledged)
    chain.lender2.register_lien(pledged)
    _, late_loan, _ = make_loan(pg_mirror, late, first_due_in_days=-40)
    _, kept_loan, _ = make_loan(pg_mirror, kept, first_due_in_days=1)
    chain.lender.register_lien(kept)
    chain.lender.record_payment(kept_loan, INSTALMENT_CENTS, ref())  # the first instalment
    chain.lender.pay_off(kept_loan)
    with pg_mirror.engine.begin() as conn:
        add_webhook(conn, CAST.lender.address, "http://127.0.0.1:9/h", "0123456789abcdef0123",
                    allow_private=True)  # fmt: skip
    pg_mirror.index()
    assert pg_mirror.kinds(pledged) == ["double_pledge"]
    chain.advance(31)
    pg_mirror.index()
    assert pg_mirror.kinds(late) == ["bucket_roll", "missed_payment"]
    assert pg_mirror.status(late_loan)["bucket"] == "60-89"  # type: ignore[index]
    assert pg_mirror.kinds(kept) == ["lien_not_released"]
    pg_mirror.index()
    assert len(pg_mirror.alerts(vin=late)) == 2
    with pg_mirror.engine.begin() as conn:
        assert store(conn, [NewAlert(key="x:1", kind=AlertKind.BRAND, severity=Severity.INFO,
                                     vin=late, lenders=[CAST.lender.address], block_number=1,
                                     time=1, message="m")]) == ["x:1"]  # fmt: skip
        pending = outbox(conn, pending_only=True)
        assert {d["alert_key"] for d in pending} >= {"x:1"}
        report = portfolio(conn, CAST.lender.address.lower())
    assert report["buckets"]["60-89"]["loans"] >= 1
