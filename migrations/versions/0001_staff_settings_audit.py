"""Staff accounts, their sessions, clinic settings and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of clinic.types: migrations must not change when the app's code does.
UTC_DATETIME = sa.DateTime(timezone=True)
AUDIT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "clinic_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("tax_id", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        # thousandths of a percent
        sa.Column("default_tax_rate", sa.BigInteger(), nullable=False),
        sa.Column("invoice_prefix", sa.String(length=10), nullable=False),
        sa.Column("page_size", sa.String(length=6), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_mime", sa.String(length=20), nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_settings")),
    )
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("registration_number", sa.String(length=40), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_user_email")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", AUDIT_ID, nullable=False),
        sa.Column("occurred_at", UTC_DATETIME, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=True),
        sa.Column("object_id", sa.String(length=255), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff_user.id"], name=op.f("fk_audit_event_actor_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_action_ip", "audit_event", ["action", "ip", "occurred_at"])
    op.create_index(
        "ix_audit_event_action_object", "audit_event", ["action", "object_id", "occurred_at"]
    )
    op.create_index("ix_audit_event_occurred_at", "audit_event", ["occurred_at"])
    op.create_table(
        "staff_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_staff_session_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_session")),
    )
    op.create_index("ix_staff_session_user_id", "staff_session", ["user_id"])


def downgrade():
    op.drop_index("ix_staff_session_user_id", table_name="staff_session")
    op.drop_table("staff_session")
    op.drop_index("ix_audit_event_occurred_at", table_name="audit_event")
    op.drop_index("ix_audit_event_action_object", table_name="audit_event")
    op.drop_index("ix_audit_event_action_ip", table_name="audit_event")
    op.drop_table("audit_event")
    op.drop_table("staff_user")
    op.drop_table("clinic_settings")
