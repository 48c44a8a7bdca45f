"""funders: the pledges of loans to funders

Revision ID: 0006_funders
Revises: 0005_import
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_funders"
down_revision = "0005_import"
branch_labels = None
depends_on = None

_big = sa.BigInteger
_str = sa.String


def upgrade() -> None:
    op.create_table(
        "pledges",
        sa.Column("pledge_id", _big(), autoincrement=False, nullable=False),
        sa.Column("loan_id", _big(), nullable=False),
        sa.Column("lien_id", _big(), nullable=True),
        sa.Column("vin", _str(), nullable=True),
        sa.Column("lender", _str(), nullable=False),
        sa.Column("funder", _str(), nullable=False),
        sa.Column("pledged_block", _big(), nullable=False),
        sa.Column("pledged_log_index", sa.Integer(), nullable=False),
        sa.Column("pledged_at", _big(), nullable=False),
        sa.Column("released_block", _big(), nullable=True),
        sa.Column("released_at", _big(), nullable=True),
        sa.Column("release_reason", _str(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("pledge_id"),
    )
    op.create_index("ix_pledges_funder_active", "pledges", ["funder", "active"])
    op.create_index("ix_pledges_loan", "pledges", ["loan_id"])
    op.create_index("ix_pledges_vin", "pledges", ["vin"])


def downgrade() -> None:
    op.drop_index("ix_pledges_vin", table_name="pledges")
    op.drop_index("ix_pledges_loan", table_name="pledges")
    op.drop_index("ix_pledges_funder_active", table_name="pledges")
    op.drop_table("pledges")
