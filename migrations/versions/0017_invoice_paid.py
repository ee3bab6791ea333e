"""What each invoice has been paid so far, kept on the invoice.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    # The lists of invoices and the close-out's outstanding balance read it off the invoice,
    # where they summed every listed invoice's payments on each load. Kept in cents, as every
    # amount of money is.
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("paid", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute("UPDATE invoice SET paid = COALESCE((SELECT SUM(payment.amount) FROM payment "
               "WHERE payment.invoice_id = invoice.id), 0)")


def downgrade():
    with op.batch_alter_table("invoice") as batch:
        batch.drop_column("paid")
