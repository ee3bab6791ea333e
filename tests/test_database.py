"""SQLite runs in the mode that keeps records safe; PostgreSQL keeps the plans of what pages
repeat, and never commits what a request left unfinished; only a page view's audit events
commit without waiting for the disk."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from bench.seed import Size
from clinic.audit import services as audit
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.database import end_read_only_transaction, may_write
from clinic.extensions import db
from clinic.invoices.models import Service
from tests.conftest import SEEDED_ADMIN, seed_clinic, sign_in


def test_sqlite_is_durable_and_enforces_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite settings")
        with db.engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("synchronous") == 2  # FULL
            assert pragma("busy_timeout") >= 5000


def test_a_reference_to_a_missing_record_is_refused(app):
    with app.app_context():
        with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
            db.session.execute(
                text("INSERT INTO staff_session (token_hash, user_id, created_at, expires_at) "
                     "VALUES ('x', 424242, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
            )
            db.session.commit()
        db.session.rollback()


# Per dialect: what a commit waits for, read on the driver's connection as it commits (after
# the app's own hooks), and what each value means.
SYNC_SETTING = {"sqlite": ("PRAGMA synchronous", {2: "waits", 1: "returns"}),
                "postgresql": ("SHOW synchronous_commit", {"on": "waits", "off": "returns"})}


@contextmanager
def commits_seen(app):
    """Whether each commit inside the block waits for the disk or returns before it."""
    seen = []
    with app.app_context():
        engine = db.engine
    query, meaning = SYNC_SETTING[engine.dialect.name]

    def look(connection):
        seen.append(meaning[connection.connection.dbapi_connection.execute(query).fetchone()[0]])

    event.listen(engine, "commit", look)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", look)


def test_a_pages_views_are_sealed_in_one_commit_that_waits_for_the_disk(app):
    with commits_seen(app) as seen, app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
        audit.record("note.viewed", "treatment_note", 1, client_id=1)
        audit.record("intake.viewed", "client", 1)
        audit.journal_views()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 2
    assert seen == ["waits"]


def _postgresql_only(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's prepared statements")


def test_a_page_that_only_reads_keeps_its_statements_prepared(app, client, signed_in):
    _postgresql_only(app)
    signed_in(Role.ADMIN)
    for _ in range(8):  # psycopg prepares a statement on its sixth run
        assert client.get("/clients?q=an").status_code == 200  # a search: WITH ... SELECT
    # The pool's one connection, as the pages left it.
    with app.app_context(), db.engine.connect() as connection:
        prepared = connection.exec_driver_sql(
            "SELECT statement FROM pg_prepared_statements").scalars().all()
    assert any(statement.startswith("WITH") and "FROM client" in statement
               for statement in prepared)


def _assert_planned_once(app, client, size: Size, signing_in, url: str, table: str) -> None:
    """The page's list, loaded again and again on a clinic of `size` by whoever `signing_in()`
    signs in, is planned for its first runs only: the prepared statement that counts its rows
    (`rows_in_all`) from `table`."""
    _postgresql_only(app)
    with app.app_context():
        seed_clinic(size)
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    signing_in()
    for _ in range(16):  # psycopg prepares a statement on its sixth run
        assert client.get(url).status_code == 200
    with app.app_context(), db.engine.connect() as connection:
        plans = connection.exec_driver_sql(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE strpos(statement, 'rows_in_all') > 0 AND strpos(statement, %s) > 0",
            (f"FROM {table}",)).all()
    assert len(plans) == 1
    generic, custom = plans[0]
    # PostgreSQL makes a plan for each of a prepared statement's first five runs, whatever
    # their parameters, before it settles.
    assert custom <= 5 and generic >= 6, f"planned {custom} times in {generic + custom} runs"


def test_the_invoice_list_is_planned_once_not_on_every_request(app, client):
    """A prepared statement keeps one plan for any parameters only when that plan looks no
    dearer than one made for the values at hand. For the open invoices it never does: a plan
    for any statuses expects a share of every invoice, not the few still open. With the
    statuses as parameters, PostgreSQL planned the desk's invoice list again on every request
    (a third of a millisecond each, on a clinic of 60,000 invoices)."""
    # Nearly every invoice paid, as in a clinic that has run for a while.
    _assert_planned_once(app, client, Size(clients=200, visits=2_000, invoices=2_000,
                                           therapists=3),
                         lambda: sign_in(client, SEEDED_ADMIN), "/invoices", "invoice")


def test_the_desk_s_arrivals_are_planned_once_not_on_every_request(app, client, signed_in):
    """As the invoice list's: with the statuses of the visits still expected as parameters,
    PostgreSQL planned the front desk's home again on every load (1.0 ms, where running the
    statement takes 0.25)."""
    # Nearly every visit in the past, as in a clinic that has run for a while.
    _assert_planned_once(app, client, Size(clients=1_000, visits=20_000, invoices=200,
                                           therapists=8),
                         lambda: signed_in(Role.RECEPTION), "/", "visit")


def test_a_transaction_that_wrote_is_not_committed_by_the_end_of_a_request(app):
    _postgresql_only(app)
    with app.app_context():
        db.session.add(Service(name="Never saved", duration_minutes=30, price=Decimal("10"),
                               tax_rate=Decimal("0")))
        db.session.flush()
        end_read_only_transaction(db.session())
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Service)
                                 .where(Service.name == "Never saved")) == 0


def test_an_audit_event_left_unwritten_is_not_written_by_the_end_of_a_request(app):
    _postgresql_only(app)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
        audit.record("client.viewed", "client", 1)
        end_read_only_transaction(db.session())
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


@pytest.mark.parametrize(("statement", "writes"), [
    ("SELECT client.id FROM client WHERE client.updated_at > %(since)s", False),
    ("WITH found AS MATERIALIZED (SELECT id FROM client) SELECT count(*) FROM found", False),
    ("  select 1", False),
    ("UPDATE audit_chain_head SET seq = seq + 1", True),
    ("INSERT INTO audit_event (seq) VALUES (1)", True),
    ("WITH moved AS (DELETE FROM t RETURNING id) SELECT id FROM moved", True),
    ("SELECT id FROM invoice WHERE id = 1 FOR UPDATE", True),
    ("SELECT nextval('invoice_number')", True),
    ("BEGIN", True),
])
def test_only_a_query_that_cannot_write_counts_as_reading(statement, writes):
    assert may_write(statement) is writes
