"""tapes: loans found by the reference their lender committed (loan-tape checks)

Revision ID: 0007_tapes
Revises: 0006_funders
"""

from __future__ import annotations

from alembic import op

revision = "0007_tapes"
down_revision = "0006_funders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("loans") as batch_op:
        batch_op.create_index(batch_op.f("ix_loans_loan_ref"), ["loan_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("loans") as batch_op:
        batch_op.drop_index(batch_op.f("ix_loans_loan_ref"))
