"""Indexes for the key pages: invoices newest first and by day of issue.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    # The invoice list's order (newest issue first, drafts before them: PostgreSQL puts NULLs
    # first in a descending index) and the close-out's invoices of one day.
    op.create_index("ix_invoice_issued_on_id", "invoice",
                    [sa.text("issued_on DESC"), sa.text("id DESC")])


def downgrade():
    op.drop_index("ix_invoice_issued_on_id", table_name="invoice")
