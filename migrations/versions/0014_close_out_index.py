"""An index for the close-out: a day's invoices in number order.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    # The close-out lists the first of the day's invoices by number: read off this index, the
    # page stops at its last row instead of sorting all of the day's invoices and their clients.
    op.create_index("ix_invoice_issued_on_number", "invoice", ["issued_on", "number"])


def downgrade():
    op.drop_index("ix_invoice_issued_on_number", table_name="invoice")
