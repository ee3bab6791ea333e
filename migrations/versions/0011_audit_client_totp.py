"""Audit events name the client they concern.

Events written before this revision keep no client: their seals were made without one, and
filling it in now would break the chain the seals prove (`flask audit verify`). The client's
audit trail therefore starts here; older events are still found by record type and id.

Revision ID: 0011
Revises: 0008
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch.create_index("ix_audit_event_client_id", ["client_id", "id"])


def downgrade():
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_index("ix_audit_event_client_id")
        batch.drop_column("client_id")
