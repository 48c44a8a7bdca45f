"""watches: watches and notices; webhooks belong to any participant (lender -> participant)

Revision ID: 0009_watches
Revises: 0007_tapes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_watches"
down_revision = "0007_tapes"
branch_labels = None
depends_on = None

_big = sa.BigInteger
_str = sa.String


def upgrade() -> None:
    op.drop_index("ix_risk_webhooks_lender", "risk_webhooks")
    with op.batch_alter_table("risk_webhooks") as batch:
        batch.alter_column("lender", new_column_name="participant", existing_type=_str())
    op.create_index("ix_risk_webhooks_participant", "risk_webhooks", ["participant"])
    op.create_table(
        "watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watcher", _str(), nullable=False),
        sa.Column("kind", _str(), nullable=False),
        sa.Column("target", _str(), nullable=False),
        sa.Column("label", _str(), nullable=False),
        sa.Column("created_ts", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("watcher", "kind", "target", name="uq_watches_watcher_kind_target"),
    )
    op.create_index("ix_watches_watcher", "watches", ["watcher"])
    op.create_index("ix_watches_kind_target", "watches", ["kind", "target"])
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", _str(), nullable=False),
        sa.Column("watcher", _str(), nullable=False),
        sa.Column("vin", _str(), nullable=False),
        sa.Column("event", _str(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("block_number", _big(), nullable=False),
        sa.Column("block_time", _big(), nullable=False),
        sa.Column("tx_hash", _str(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("matched", _str(), nullable=False),
        sa.Column("args", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("created_ts", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_notices_vin", "notices", ["vin"])
    op.create_index("ix_notices_block_number", "notices", ["block_number"])
    op.create_index("ix_notices_watcher_id", "notices", ["watcher", "id"])


def downgrade() -> None:
    op.drop_table("notices")
    op.drop_table("watches")
    op.drop_index("ix_risk_webhooks_participant", "risk_webhooks")
    with op.batch_alter_table("risk_webhooks") as batch:
        batch.alter_column("participant", new_column_name="lender", existing_type=_str())
    op.create_index("ix_risk_webhooks_lender", "risk_webhooks", ["lender"])
