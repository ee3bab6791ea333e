"""Aftercare handouts: the stored PDF and what it was built from, download links, deliveries.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Frozen copy of clinic.types: migrations must not change when the app's code does.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "handout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=False),
        sa.Column("built_by_id", sa.Integer(), nullable=False),
        sa.Column("personal_note", sa.Text(), nullable=False),
        sa.Column("techniques", sa.JSON(), nullable=False),
        sa.Column("advice", sa.JSON(), nullable=False),
        sa.Column("page_size", sa.String(length=6), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_handout_visit_id_visit")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_handout_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"], ["staff_user.id"], name=op.f("fk_handout_therapist_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["built_by_id"], ["staff_user.id"], name=op.f("fk_handout_built_by_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handout")),
    )
    op.create_index("ix_handout_visit_id", "handout", ["visit_id"])
    op.create_index("ix_handout_client_id_created_at", "handout", ["client_id", "created_at"])
    op.create_table(
        "handout_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handout_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["handout_id"], ["handout.id"], name=op.f("fk_handout_link_handout_id_handout")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff_user.id"],
            name=op.f("fk_handout_link_created_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handout_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_handout_link_token_hash")),
    )
    op.create_index("ix_handout_link_handout_id", "handout_link", ["handout_id"])
    op.create_table(
        "handout_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handout_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["handout_id"], ["handout.id"], name=op.f("fk_handout_delivery_handout_id_handout")
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["handout_link.id"],
            name=op.f("fk_handout_delivery_link_id_handout_link"),
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["staff_user.id"], name=op.f("fk_handout_delivery_by_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handout_delivery")),
    )
    op.create_index("ix_handout_delivery_handout_id", "handout_delivery", ["handout_id"])


def downgrade():
    op.drop_table("handout_delivery")
    op.drop_table("handout_link")
    op.drop_table("handout")
