"""Audit events name the client they concern; authenticator secrets are stored encrypted.

Events written before this revision keep no client: their seals were made without one, and
filling it in now would break the chain the seals prove (`flask audit verify`). The client's
audit trail therefore starts here; older events are still found by record type and id.

The secrets are encrypted with the running app's key (TOTP_ENCRYPTION_KEY, or SECRET_KEY),
so this revision must run with the same settings as the app servers.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

# The stored format is a contract shared with the app, so it is used, not copied.
from clinic.auth import totp_secrets

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

STAFF = sa.table("staff_user", sa.column("id", sa.Integer()), sa.column("totp_secret", sa.String()))


def _rewrite_secrets(change) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(STAFF.c.id, STAFF.c.totp_secret).where(STAFF.c.totp_secret.is_not(None))
    ).all()
    for user_id, secret in rows:
        connection.execute(
            STAFF.update().where(STAFF.c.id == user_id).values(totp_secret=change(user_id, secret))
        )


def upgrade():
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch.create_index("ix_audit_event_client_id", ["client_id", "id"])
    with op.batch_alter_table("staff_user") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(length=32),
                           type_=sa.String(length=128), existing_nullable=True)
    _rewrite_secrets(totp_secrets.encrypt)


def downgrade():
    _rewrite_secrets(totp_secrets.decrypt)
    with op.batch_alter_table("staff_user") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(length=128),
                           type_=sa.String(length=32), existing_nullable=True)
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_index("ix_audit_event_client_id")
        batch.drop_column("client_id")
