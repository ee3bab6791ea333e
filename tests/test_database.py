"""SQLite runs in the mode that keeps records safe."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from clinic.extensions import db


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
