"""Visits, their treatment notes and addenda, and the quick templates for notes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen copy of clinic.types: migrations must not change when the app's code does.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=False),
        sa.Column("service_name", sa.String(length=120), nullable=False),
        sa.Column("starts_at", UTC_DATETIME, nullable=False),
        sa.Column("ends_at", UTC_DATETIME, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("status_changed_at", UTC_DATETIME, nullable=True),
        sa.Column("booked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_visit_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"], ["staff_user.id"], name=op.f("fk_visit_therapist_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["booked_by_id"], ["staff_user.id"], name=op.f("fk_visit_booked_by_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
    )
    op.create_index("ix_visit_starts_at", "visit", ["starts_at"])
    op.create_index("ix_visit_therapist_id_starts_at", "visit", ["therapist_id", "starts_at"])
    op.create_index("ix_visit_client_id_starts_at", "visit", ["client_id", "starts_at"])
    op.create_table(
        "treatment_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("subjective", sa.Text(), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("signed_at", UTC_DATETIME, nullable=True),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_treatment_note_visit_id_visit")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_user.id"],
            name=op.f("fk_treatment_note_author_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["staff_user.id"],
            name=op.f("fk_treatment_note_signed_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_note")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_treatment_note_visit_id")),
    )
    op.create_index(
        "ix_treatment_note_author_id_signed_at", "treatment_note", ["author_id", "signed_at"]
    )
    op.create_table(
        "note_addendum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"], ["treatment_note.id"], name=op.f("fk_note_addendum_note_id_treatment_note")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_user.id"], name=op.f("fk_note_addendum_author_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_addendum")),
    )
    op.create_index("ix_note_addendum_note_id", "note_addendum", ["note_id"])
    op.create_table(
        "note_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("subjective", sa.Text(), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_template")),
        sa.UniqueConstraint("name", name=op.f("uq_note_template_name")),
    )


def downgrade():
    op.drop_table("note_template")
    op.drop_index("ix_note_addendum_note_id", table_name="note_addendum")
    op.drop_table("note_addendum")
    op.drop_index("ix_treatment_note_author_id_signed_at", table_name="treatment_note")
    op.drop_table("treatment_note")
    op.drop_index("ix_visit_client_id_starts_at", table_name="visit")
    op.drop_index("ix_visit_therapist_id_starts_at", table_name="visit")
    op.drop_index("ix_visit_starts_at", table_name="visit")
    op.drop_table("visit")
