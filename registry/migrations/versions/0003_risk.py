"""risk: schedules, loan standing, payments, payoffs, snapshots, alerts, webhooks, outbox

Revision ID: 0003_risk
Revises: 0002_api_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_risk"
down_revision = "0002_api_keys"
branch_labels = None
depends_on = None

_big = sa.BigInteger
_str = sa.String


def upgrade() -> None:
    op.create_table(
        "risk_schedules",
        sa.Column("loan_id", _big(), autoincrement=False, nullable=False),
        sa.Column("schedule_hash", _str(), nullable=False),
        sa.Column("schedule_json", sa.Text(), nullable=False),
        sa.Column("dues", sa.LargeBinary(), nullable=False),
        sa.Column("principal_cents", _big(), nullable=False),
        sa.Column("source", _str(), nullable=False),
        sa.Column("loaded_ts", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("loan_id", "schedule_hash"),
    )
    op.create_table(
        "risk_loan_status",
        sa.Column("loan_id", _big(), autoincrement=False, nullable=False),
        sa.Column("lender", _str(), nullable=False),
        sa.Column("vin", _str(), nullable=False),
        sa.Column("lien_id", _big(), nullable=False),
        sa.Column("state", _str(), nullable=False),
        sa.Column("source", _str(), nullable=False),
        sa.Column("due_cents", _big(), nullable=False),
        sa.Column("paid_cents", _big(), nullable=False),
        sa.Column("past_due_cents", _big(), nullable=False),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("bucket", _str(), nullable=False),
        sa.Column("oldest_unpaid_due", _str(), nullable=True),
        sa.Column("exposure_cents", _big(), nullable=False),
        sa.Column("next_change_day", sa.Integer(), nullable=True),
        sa.Column("as_of", _big(), nullable=False),
        sa.Column("updated_block", _big(), nullable=False),
        sa.PrimaryKeyConstraint("loan_id"),
    )
    op.create_index("ix_risk_loan_status_vin", "risk_loan_status", ["vin"])
    op.create_index("ix_risk_loan_status_next_change_day", "risk_loan_status", ["next_change_day"])
    op.create_index("ix_risk_loan_status_lender_bucket", "risk_loan_status", ["lender", "bucket"])
    op.create_table(
        "risk_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", _big(), nullable=False),
        sa.Column("vin", _str(), nullable=False),
        sa.Column("amount", _big(), nullable=False),
        sa.Column("block_number", _big(), nullable=False),
        sa.Column("block_time", _big(), nullable=False),
        sa.Column("tx_hash", _str(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_risk_payments_tx_log"),
    )
    op.create_index("ix_risk_payments_vin", "risk_payments", ["vin"])
    op.create_index("ix_risk_payments_loan_time", "risk_payments", ["loan_id", "block_time"])
    op.create_table(
        "risk_payoffs",
        sa.Column("loan_id", _big(), autoincrement=False, nullable=False),
        sa.Column("vin", _str(), nullable=False),
        sa.Column("lender", _str(), nullable=False),
        sa.Column("lien_id", _big(), nullable=False),
        sa.Column("paid_off_at", _big(), nullable=False),
        sa.Column("block_number", _big(), nullable=False),
        sa.Column("tx_hash", _str(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("loan_id"),
    )
    op.create_index("ix_risk_payoffs_vin", "risk_payoffs", ["vin"])
    op.create_index("ix_risk_payoffs_paid_off_at", "risk_payoffs", ["paid_off_at"])
    op.create_table(
        "risk_bucket_snapshots",
        sa.Column("month", _str(), nullable=False),
        sa.Column("loan_id", _big(), autoincrement=False, nullable=False),
        sa.Column("lender", _str(), nullable=False),
        sa.Column("bucket", _str(), nullable=False),
        sa.Column("prev_bucket", _str(), nullable=True),
        sa.Column("dpd", sa.Integer(), nullable=False),
        sa.Column("exposure_cents", _big(), nullable=False),
        sa.PrimaryKeyConstraint("month", "loan_id"),
    )
    op.create_index("ix_risk_snapshots_lender_month", "risk_bucket_snapshots", ["lender", "month"])
    op.create_table(
        "risk_roll_counts",
        sa.Column("month", _str(), nullable=False),
        sa.Column("lender", _str(), nullable=False),
        sa.Column("from_bucket", _str(), nullable=False),
        sa.Column("to_bucket", _str(), nullable=False),
        sa.Column("loans", sa.Integer(), nullable=False),
        sa.Column("exposure_cents", _big(), nullable=False),
        sa.PrimaryKeyConstraint("month", "lender", "from_bucket", "to_bucket"),
    )
    op.create_table(
        "risk_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", _str(), nullable=False),
        sa.Column("kind", _str(), nullable=False),
        sa.Column("severity", _str(), nullable=False),
        sa.Column("vin", _str(), nullable=False),
        sa.Column("lenders", _str(), nullable=False),
        sa.Column("lien_id", _big(), nullable=True),
        sa.Column("loan_id", _big(), nullable=True),
        sa.Column("block_number", _big(), nullable=False),
        sa.Column("tx_hash", _str(), nullable=True),
        sa.Column("log_index", sa.Integer(), nullable=True),
        sa.Column("time", _big(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_risk_alerts_key", "risk_alerts", ["key"], unique=True)
    op.create_index("ix_risk_alerts_kind", "risk_alerts", ["kind"])
    op.create_index("ix_risk_alerts_vin", "risk_alerts", ["vin"])
    op.create_index("ix_risk_alerts_block", "risk_alerts", ["block_number"])
    op.create_table(
        "risk_state",
        sa.Column("key", _str(), nullable=False),
        sa.Column("value", _str(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "risk_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lender", _str(), nullable=False),
        sa.Column("url", _str(), nullable=False),
        sa.Column("secret", _str(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_ts", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_risk_webhooks_lender", "risk_webhooks", ["lender"])
    op.create_table(
        "risk_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", _str(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("alert_key", _str(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_ts", sa.Float(), nullable=False),
        sa.Column("delivered_ts", sa.Float(), nullable=True),
        sa.Column("last_error", _str(), nullable=True),
        sa.Column("created_ts", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("webhook_id", "alert_key", name="uq_risk_deliveries_webhook_alert"),
    )
    op.create_index(
        "ix_risk_deliveries_delivery_id", "risk_deliveries", ["delivery_id"], unique=True
    )
    op.create_index("ix_risk_deliveries_webhook_id", "risk_deliveries", ["webhook_id"])
    op.create_index(
        "ix_risk_deliveries_pending", "risk_deliveries", ["delivered_ts", "next_attempt_ts"]
    )


def downgrade() -> None:
    for name in (
        "risk_deliveries",
        "risk_webhooks",
        "risk_state",
        "risk_alerts",
        "risk_roll_counts",
        "risk_bucket_snapshots",
        "risk_payoffs",
        "risk_payments",
        "risk_loan_status",
        "risk_schedules",
    ):
        op.drop_table(name)
