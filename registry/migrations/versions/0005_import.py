"""import: effective times of loan events (origination, disbursement, payment)

Revision ID: 0005_import
Revises: 0003_risk
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_import"
down_revision = "0003_risk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("loans") as batch:
        batch.add_column(sa.Column("effective_originated_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("effective_disbursed_at", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("risk_payments") as batch:
        batch.add_column(sa.Column("effective_paid_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("risk_payments") as batch:
        batch.drop_column("effective_paid_at")
    with op.batch_alter_table("loans") as batch:
        batch.drop_column("effective_disbursed_at")
        batch.drop_column("effective_originated_at")
