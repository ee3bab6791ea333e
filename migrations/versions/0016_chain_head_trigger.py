"""The audit chain's head takes the hash of the newest event as it is written, in the database.

Every audited commit sealed its events, wrote them, then set the head's hash in a statement of
its own; a trigger now does that last part as each event goes in. Page views, which make most
of the log, send one statement less each: on PostgreSQL a round trip less.

A SQLite table rebuilt by a later `batch_alter_table` of audit_event loses its triggers: such a
migration must create this one again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TRIGGER = "audit_event_moves_chain_head"

# The head is advanced by the number of events first; the event whose place is the head's is
# the newest, and its hash is the one the next events chain to.
SQLITE = f"""
CREATE TRIGGER {TRIGGER} AFTER INSERT ON audit_event
FOR EACH ROW WHEN NEW.seq = (SELECT seq FROM audit_chain_head WHERE id = 1)
BEGIN
    UPDATE audit_chain_head SET hash = NEW.hash WHERE id = 1;
END
"""
POSTGRESQL = (
    f"""
CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_chain_head SET hash = NEW.hash WHERE id = 1 AND seq = NEW.seq;
    RETURN NULL;
END
$$
""",
    f"""
CREATE TRIGGER {TRIGGER} AFTER INSERT ON audit_event
FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()
""",
)


def _on_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    for statement in POSTGRESQL if _on_postgresql() else (SQLITE,):
        op.execute(statement)


def downgrade():
    if _on_postgresql():
        op.execute(f"DROP TRIGGER {TRIGGER} ON audit_event")
        op.execute(f"DROP FUNCTION {TRIGGER}()")
    else:
        op.execute(f"DROP TRIGGER {TRIGGER}")
