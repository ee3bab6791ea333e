"""The home-care technique library.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen copy of clinic.types: migrations must not change when the app's code does.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "technique",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("duration", sa.String(length=80), nullable=False),
        sa.Column("frequency", sa.String(length=120), nullable=False),
        sa.Column("cautions", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("illustration", sa.String(length=80), nullable=False),
        sa.Column("illustration_alt", sa.Text(), nullable=False),
        sa.Column("retired_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_technique")),
        sa.UniqueConstraint("slug", name=op.f("uq_technique_slug")),
    )


def downgrade():
    op.drop_table("technique")
