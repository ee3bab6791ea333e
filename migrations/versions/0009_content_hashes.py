"""Content hashes on signed notes, their addenda, issued invoices and credit notes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from collections import defaultdict
from datetime import UTC
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

# The hash format is a permanent contract shared with the app, so it is used, not copied.
from clinic.invoices.models import credit_note_content_hash, invoice_content_hash
from clinic.visits.models import addendum_content_hash, note_content_hash

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
HASH = sa.String(length=64)
# Rows are read and sealed this many at a time, so a large clinic never sits in memory.
BATCH = 1000

# Exact decimals are stored as integer counts of 10**-scale (migration 0004).
CENTS, HUNDREDTHS, THOUSANDTHS = 2, 2, 3

VISIT = sa.table("visit", sa.column("id", sa.Integer()), sa.column("client_id", sa.Integer()))
NOTE = sa.table(
    "treatment_note",
    *(sa.column(name, sa.Integer()) for name in ("id", "visit_id", "author_id", "signed_by_id")),
    *(sa.column(name, sa.Text()) for name in ("subjective", "objective", "assessment", "plan")),
    sa.column("signed_at", UTC_DATETIME),
    sa.column("content_hash", HASH),
)
ADDENDUM = sa.table(
    "note_addendum",
    *(sa.column(name, sa.Integer()) for name in ("id", "note_id", "author_id")),
    sa.column("created_at", UTC_DATETIME),
    *(sa.column(name, sa.Text()) for name in ("reason", "text")),
    sa.column("content_hash", HASH),
)
INVOICE = sa.table(
    "invoice",
    *(sa.column(name, sa.Integer()) for name in ("id", "client_id", "therapist_id", "visit_id")),
    *(sa.column(name, sa.Text()) for name in (
        "number", "status", "currency", "bill_to_name", "bill_to_address", "therapist_name",
        "therapist_registration", "seller_tax_id", "notes",
    )),
    *(sa.column(name, sa.Date()) for name in ("service_date", "issued_on")),
    sa.column("issued_at", UTC_DATETIME),
    *(sa.column(name, sa.BigInteger()) for name in ("subtotal", "tax_total", "total")),
    sa.column("content_hash", HASH),
)
LINE = sa.table(
    "invoice_line",
    *(sa.column(name, sa.Integer()) for name in ("invoice_id", "position", "service_id")),
    sa.column("description", sa.Text()),
    *(sa.column(name, sa.BigInteger()) for name in (
        "quantity", "unit_price", "tax_rate", "net_amount", "tax_amount",
    )),
)
CREDIT_NOTE = sa.table(
    "credit_note",
    *(sa.column(name, sa.Integer()) for name in ("id", "invoice_id")),
    *(sa.column(name, sa.Text()) for name in ("number", "reason")),
    *(sa.column(name, sa.BigInteger()) for name in ("subtotal", "tax_total", "total")),
    sa.column("issued_on", sa.Date()),
    sa.column("issued_at", UTC_DATETIME),
    sa.column("content_hash", HASH),
)

SEALED_TABLES = ("treatment_note", "note_addendum", "invoice", "credit_note")


def _as_app_reads(row, **scales) -> SimpleNamespace:
    """The row's values as the app's column types give them: aware UTC times, exact decimals."""
    values = dict(row)
    for name, value in values.items():
        if name.endswith("_at") and value is not None and value.tzinfo is None:
            values[name] = value.replace(tzinfo=UTC)
    for name, scale in scales.items():
        values[name] = Decimal(values[name]).scaleb(-scale)
    return SimpleNamespace(**values)


def _batches(connection, query, table):
    last = 0
    while rows := connection.execute(
        query.where(table.c.id > last).order_by(table.c.id).limit(BATCH)
    ).mappings().all():
        yield rows
        last = rows[-1]["id"]


def _store(connection, table, hashes: dict[int, str]) -> None:
    connection.execute(
        table.update().where(table.c.id == sa.bindparam("row_id"))
        .values(content_hash=sa.bindparam("sealed")),
        [{"row_id": row_id, "sealed": sealed} for row_id, sealed in hashes.items()],
    )


def _seal_notes(connection) -> None:
    query = (sa.select(NOTE, VISIT.c.client_id).join(VISIT, VISIT.c.id == NOTE.c.visit_id)
             .where(NOTE.c.signed_at.is_not(None)))
    for rows in _batches(connection, query, NOTE):
        _store(connection, NOTE, {
            row["id"]: note_content_hash(_as_app_reads(row), row["client_id"]) for row in rows
        })
    for rows in _batches(connection, sa.select(ADDENDUM), ADDENDUM):
        _store(connection, ADDENDUM, {
            row["id"]: addendum_content_hash(_as_app_reads(row)) for row in rows
        })


def _seal_invoices(connection) -> None:
    money = {"subtotal": CENTS, "tax_total": CENTS, "total": CENTS}
    issued = sa.select(INVOICE).where(INVOICE.c.status != "draft")
    for rows in _batches(connection, issued, INVOICE):
        lines = defaultdict(list)
        for line in connection.execute(
            sa.select(LINE).where(LINE.c.invoice_id.in_([row["id"] for row in rows]))
        ).mappings():
            lines[line["invoice_id"]].append(_as_app_reads(
                line, quantity=HUNDREDTHS, unit_price=CENTS, tax_rate=THOUSANDTHS,
                net_amount=CENTS, tax_amount=CENTS,
            ))
        hashes = {}
        for row in rows:
            invoice = _as_app_reads(row, **money)
            invoice.lines = lines[row["id"]]
            hashes[row["id"]] = invoice_content_hash(invoice)
        _store(connection, INVOICE, hashes)
    for rows in _batches(connection, sa.select(CREDIT_NOTE), CREDIT_NOTE):
        _store(connection, CREDIT_NOTE, {
            row["id"]: credit_note_content_hash(_as_app_reads(row, **money)) for row in rows
        })


def upgrade():
    for table in SEALED_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("content_hash", HASH, nullable=True))
    connection = op.get_bind()
    _seal_notes(connection)
    _seal_invoices(connection)
    # Every addendum and credit note is sealed from the start; notes and invoices only once
    # they are signed or issued.
    for table in ("note_addendum", "credit_note"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("content_hash", existing_type=HASH, nullable=False)


def downgrade():
    for table in SEALED_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("content_hash")
