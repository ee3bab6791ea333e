"""Indexes the search of current clients answers from without reading their rows, and the
archived clients in name order.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CURRENT_ONLY = sa.text("archived_at IS NULL")
ARCHIVED_ONLY = sa.text("archived_at IS NOT NULL")
INDEXES = {
    "ix_client_current_sort_key": (["sort_key", "id"], CURRENT_ONLY),
    "ix_client_current_name_key": (["name_key", "sort_key", "id"], CURRENT_ONLY),
    "ix_client_current_email": (["email", "sort_key", "name_key", "id"], CURRENT_ONLY),
    "ix_client_archived_sort_key": (["sort_key", "id"], ARCHIVED_ONLY),
}


def upgrade():
    for name, (columns, rows) in INDEXES.items():
        op.create_index(name, "client", columns, sqlite_where=rows, postgresql_where=rows)


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="client")
