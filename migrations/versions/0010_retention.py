"""How many years the clinic keeps a client's records.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clinic_settings") as batch:
        batch.add_column(
            sa.Column("retention_years", sa.Integer(), nullable=False, server_default="10")
        )
    with op.batch_alter_table("clinic_settings") as batch:
        batch.alter_column("retention_years", existing_type=sa.Integer(), server_default=None)


def downgrade():
    with op.batch_alter_table("clinic_settings") as batch:
        batch.drop_column("retention_years")
