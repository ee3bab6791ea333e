"""Clients, versioned intake forms, the consent text and self-service intake links.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copies of clinic.types and clinic.clients.models: migrations must not change when the
# app's code does.
UTC_DATETIME = sa.DateTime(timezone=True)


def search_key(length: int) -> sa.String:
    """Byte-order comparison on PostgreSQL too, so a name prefix is an index range."""
    return sa.String(length=length).with_variant(
        sa.String(length=length, collation="C"), "postgresql"
    )


def upgrade():
    op.create_table(
        "client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=80), nullable=False),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.Column("name_key", search_key(170), nullable=False),
        sa.Column("sort_key", search_key(170), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("pronouns", sa.String(length=40), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("phone_key", search_key(20), nullable=False),
        sa.Column("email", search_key(254), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("emergency_contact_name", sa.String(length=120), nullable=False),
        sa.Column("emergency_contact_phone", sa.String(length=40), nullable=False),
        sa.Column("handout_delivery", sa.String(length=10), nullable=False),
        sa.Column("archived_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
    )
    op.create_index("ix_client_name_key", "client", ["name_key"])
    op.create_index("ix_client_sort_key", "client", ["sort_key"])
    op.create_index("ix_client_email", "client", ["email"])
    op.create_index("ix_client_phone_key", "client", ["phone_key"])
    op.create_table(
        "consent_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff_user.id"],
            name=op.f("fk_consent_text_created_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_text")),
        sa.UniqueConstraint("version", name=op.f("uq_consent_text_version")),
    )
    op.create_table(
        "intake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("submitted_at", UTC_DATETIME, nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("headache_kind", sa.String(length=10), nullable=False),
        sa.Column("headache_frequency", sa.String(length=10), nullable=False),
        sa.Column("headache_recent", sa.Boolean(), nullable=False),
        sa.Column("pressure", sa.String(length=10), nullable=False),
        sa.Column("areas_to_avoid", sa.Text(), nullable=False),
        sa.Column("consent_text_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=120), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_intake_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["consent_text_id"], ["consent_text.id"],
            name=op.f("fk_intake_consent_text_id_consent_text"),
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["staff_user.id"], name=op.f("fk_intake_entered_by_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake")),
        # Also the index that finds a client's intakes, newest first.
        sa.UniqueConstraint("client_id", "version", name=op.f("uq_intake_client_id")),
    )
    op.create_table(
        "intake_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intake_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intake.id"], name=op.f("fk_intake_item_intake_id_intake")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_item")),
        sa.UniqueConstraint("intake_id", "code", name=op.f("uq_intake_item_intake_id")),
    )
    op.create_table(
        "intake_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTC_DATETIME, nullable=True),
        sa.Column("emailed_to", sa.String(length=254), nullable=True),
        sa.Column("intake_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_intake_link_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff_user.id"],
            name=op.f("fk_intake_link_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["intake_id"], ["intake.id"], name=op.f("fk_intake_link_intake_id_intake")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_intake_link_token_hash")),
    )
    op.create_index("ix_intake_link_client_id", "intake_link", ["client_id"])


def downgrade():
    op.drop_index("ix_intake_link_client_id", table_name="intake_link")
    op.drop_table("intake_link")
    op.drop_table("intake_item")
    op.drop_table("intake")
    op.drop_table("consent_text")
    op.drop_index("ix_client_phone_key", table_name="client")
    op.drop_index("ix_client_email", table_name="client")
    op.drop_index("ix_client_sort_key", table_name="client")
    op.drop_index("ix_client_name_key", table_name="client")
    op.drop_table("client")
