"""The audit log is tamper-evident: `flask audit verify` finds any edited, removed or forged row."""

import hashlib
import json
import threading
from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, func, select, text

from clinic.audit import services as audit
from clinic.audit.models import AuditEvent
from clinic.extensions import db


def add_events(app, count: int) -> None:
    with app.app_context():
        for n in range(count):
            audit.record("client.viewed", "client", n, detail={"n": n})
        db.session.commit()


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def seq_of(app, n: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(AuditEvent.seq).order_by(AuditEvent.seq).offset(n - 1).limit(1)
        )


def test_an_untouched_log_verifies(app):
    add_events(app, 12)
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "Audit log intact: 12 events" in result.output


def test_an_empty_log_verifies(app):
    assert verify(app).exit_code == 0


def test_a_row_edited_with_raw_sql_is_named(app):
    add_events(app, 10)
    seventh = seq_of(app, 7)
    with app.app_context():
        db.session.execute(
            text("UPDATE audit_event SET action = 'nothing.to.see' WHERE seq = :seq"),
            {"seq": seventh},
        )
        db.session.commit()
    result = verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at event #{seventh}: its content was changed" in result.output
    assert "The 6 events before it verify." in result.output


def test_a_removed_row_is_noticed(app):
    add_events(app, 10)
    with app.app_context():
        db.session.execute(delete(AuditEvent).where(AuditEvent.seq == seq_of(app, 4)))
        db.session.commit()
    result = verify(app)
    assert result.exit_code == 1
    assert "BROKEN at event #4: this event is missing" in result.output


def test_removing_the_newest_rows_is_noticed(app):
    add_events(app, 10)
    with app.app_context():
        db.session.execute(delete(AuditEvent).where(AuditEvent.seq > 8))
        db.session.commit()
    result = verify(app)
    assert result.exit_code == 1
    assert "the newest events were removed" in result.output


def test_a_forged_row_with_a_recomputed_hash_still_breaks_the_next_link(app):
    add_events(app, 5)
    with app.app_context():
        from clinic.audit.chain import event_hash

        third = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == 3))
        third.detail = '{"n": "forged"}'
        third.hash = event_hash(third)
        db.session.commit()
    result = verify(app)
    assert result.exit_code == 1
    assert "BROKEN at event #4: it does not follow the event before it" in result.output


def test_concurrent_writers_get_one_unbroken_chain(app):
    def write():
        with app.app_context():
            for n in range(15):
                audit.record("client.viewed", "client", n)
                db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        seqs = db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert seqs == list(range(1, 61))
    assert verify(app).exit_code == 0


def test_events_of_one_transaction_chain_in_the_order_they_were_recorded(app):
    with app.app_context():
        for n in range(3):
            audit.record("client.viewed", "client", n)
        db.session.flush()
        audit.record("client.viewed", "client", 3)
        db.session.commit()
        rows = db.session.execute(select(AuditEvent.seq, AuditEvent.object_id)
                                  .order_by(AuditEvent.seq)).all()
    assert rows == [(1, "0"), (2, "1"), (3, "2"), (4, "3")]
    assert verify(app).exit_code == 0


def test_events_of_a_rolled_back_or_closed_transaction_take_no_place_in_the_chain(app):
    with app.app_context():
        audit.record("client.viewed", "client", 1)
        db.session.rollback()
        audit.record("client.viewed", "client", 2)
        db.session.close()
        audit.record("client.viewed", "client", 3)
        db.session.commit()
        rows = db.session.execute(select(AuditEvent.seq, AuditEvent.object_id)).all()
    assert rows == [(1, "3")]
    assert verify(app).exit_code == 0


def test_the_migration_seals_events_written_before_it(build_app, tmp_path):
    app = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        upgrade(revision="0001")
        for n in range(3):
            db.session.execute(
                text("INSERT INTO audit_event (occurred_at, action, object_id) "
                     "VALUES (:at, 'login.failed', :n)"),
                {"at": datetime(2026, 1, 2, 3, 4, 5, n, tzinfo=UTC), "n": str(n)},
            )
        db.session.commit()
        upgrade()
        assert db.session.scalar(select(func.max(AuditEvent.seq))) == 3
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "3 events" in result.output


def test_an_event_without_a_client_is_sealed_as_before_clients_were_named(app):
    with app.app_context():
        event = audit.record("login.failed", "login", "someone@example.org",
                             detail={"reason": "wrong password"})
        db.session.commit()
        payload = [event.seq, event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
                   None, "login.failed", "login", "someone@example.org", None,
                   '{"reason": "wrong password"}', event.prev_hash]
        assert event.client_id is None
        assert event.hash == hashlib.sha256(
            json.dumps(payload, separators=(",", ":")).encode()
        ).hexdigest()


def set_client_of(app, seq: int, client_id: int | None) -> None:
    with app.app_context():
        db.session.execute(text("UPDATE audit_event SET client_id = :client WHERE seq = :seq"),
                           {"client": client_id, "seq": seq})
        db.session.commit()


@pytest.mark.parametrize("forged_client", [None, 8])
def test_a_client_changed_with_raw_sql_is_named(app, forged_client):
    add_events(app, 5)
    assert verify(app).exit_code == 0
    set_client_of(app, 3, forged_client)
    result = verify(app)
    assert result.exit_code == 1
    assert "BROKEN at event #3: its content was changed" in result.output


def test_a_client_given_to_an_event_that_had_none_is_named(app):
    add_events(app, 3)
    with app.app_context():
        audit.record("login.failed", "login", "someone@example.org")
        db.session.commit()
    set_client_of(app, 4, 7)
    result = verify(app)
    assert result.exit_code == 1
    assert "BROKEN at event #4: its content was changed" in result.output


def test_events_sealed_before_clients_were_named_still_verify_after_the_upgrade(
    build_app, tmp_path
):
    app = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        upgrade(revision="0005")
        for n in range(3):
            db.session.execute(
                text("INSERT INTO audit_event (occurred_at, action, object_type, object_id) "
                     "VALUES (:at, 'intake.viewed', 'client', :n)"),
                {"at": datetime(2026, 1, 2, 3, 4, 5, n, tzinfo=UTC), "n": str(n + 1)},
            )
        db.session.commit()
        upgrade(revision="0008")
        upgrade()
        # Filling in the client would change what the old seals cover, so it stays empty.
        assert db.session.scalars(select(AuditEvent.client_id)).all() == [None] * 3
        audit.record("intake.viewed", "client", 1)
        db.session.commit()
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "4 events" in result.output
