"""Services, invoices and their lines, payments, credit notes and document counters.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copies of clinic.types: migrations must not change when the app's code does.
UTC_DATETIME = sa.DateTime(timezone=True)
# Money in cents, tax rates in thousandths of a percent, quantities in hundredths.
MONEY = sa.BigInteger()
RATE = sa.BigInteger()


def upgrade():
    op.create_table(
        "service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("tax_rate", RATE, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service")),
        sa.UniqueConstraint("name", name=op.f("uq_service_name")),
    )
    op.create_table(
        "document_counter",
        sa.Column("series", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_document_counter")),
    )
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", MONEY, nullable=False),
        sa.Column("tax_total", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("issued_at", UTC_DATETIME, nullable=True),
        sa.Column("bill_to_name", sa.String(length=170), nullable=False),
        sa.Column("bill_to_address", sa.Text(), nullable=False),
        sa.Column("therapist_name", sa.String(length=120), nullable=False),
        sa.Column("therapist_registration", sa.String(length=40), nullable=False),
        sa.Column("seller_tax_id", sa.String(length=40), nullable=False),
        sa.Column("printed_at", UTC_DATETIME, nullable=True),
        sa.Column("receipt_printed_at", UTC_DATETIME, nullable=True),
        sa.Column("voided_at", UTC_DATETIME, nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_invoice_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["therapist_id"], ["staff_user.id"], name=op.f("fk_invoice_therapist_id_staff_user")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_invoice_visit_id_visit")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff_user.id"],
            name=op.f("fk_invoice_created_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_number")),
    )
    op.create_index("ix_invoice_status_issued_on", "invoice", ["status", "issued_on"])
    op.create_index("ix_invoice_client_id", "invoice", ["client_id"])
    op.create_index("ix_invoice_therapist_id", "invoice", ["therapist_id"])
    op.create_index("ix_invoice_visit_id", "invoice", ["visit_id"])
    op.create_table(
        "invoice_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("tax_rate", RATE, nullable=False),
        sa.Column("net_amount", MONEY, nullable=False),
        sa.Column("tax_amount", MONEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_invoice_line_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_invoice_line_service_id_service")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_line")),
    )
    op.create_index("ix_invoice_line_invoice_id", "invoice_line", ["invoice_id"])
    op.create_table(
        "credit_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("subtotal", MONEY, nullable=False),
        sa.Column("tax_total", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_credit_note_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff_user.id"],
            name=op.f("fk_credit_note_created_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_note_number")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_credit_note_invoice_id")),
    )
    op.create_index("ix_credit_note_issued_on", "credit_note", ["issued_on"])
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(invoice_id IS NULL) <> (credit_note_id IS NULL)",
            name=op.f("ck_payment_one_document"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_payment_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"], ["credit_note.id"],
            name=op.f("fk_payment_credit_note_id_credit_note"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["staff_user.id"],
            name=op.f("fk_payment_recorded_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
    )
    op.create_index("ix_payment_invoice_id", "payment", ["invoice_id"])
    op.create_index("ix_payment_credit_note_id", "payment", ["credit_note_id"])
    op.create_index("ix_payment_received_on", "payment", ["received_on"])


def downgrade():
    op.drop_index("ix_payment_received_on", table_name="payment")
    op.drop_index("ix_payment_credit_note_id", table_name="payment")
    op.drop_index("ix_payment_invoice_id", table_name="payment")
    op.drop_table("payment")
    op.drop_index("ix_credit_note_issued_on", table_name="credit_note")
    op.drop_table("credit_note")
    op.drop_index("ix_invoice_line_invoice_id", table_name="invoice_line")
    op.drop_table("invoice_line")
    op.drop_index("ix_invoice_visit_id", table_name="invoice")
    op.drop_index("ix_invoice_therapist_id", table_name="invoice")
    op.drop_index("ix_invoice_client_id", table_name="invoice")
    op.drop_index("ix_invoice_status_issued_on", table_name="invoice")
    op.drop_table("invoice")
    op.drop_table("document_counter")
    op.drop_table("service")
