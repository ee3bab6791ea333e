"""Backups taken while the clinic is working restore to a consistent database."""

import sqlite3
import threading

import pytest
from sqlalchemy import func, select

from clinic import backup as backups
from clinic.audit import services as audit
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role, User
from clinic.extensions import db


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


class Writer(threading.Thread):
    """Staff at work: one audited change after another until told to stop."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app = app
        self.stop = threading.Event()
        self.written = 0

    def run(self):
        with self.app.app_context():
            while not self.stop.is_set() and self.written < 5000:
                audit.record("client.viewed", "client", self.written)
                db.session.commit()
                self.written += 1
            db.session.remove()


def test_a_backup_taken_during_writes_restores_every_committed_row(app, make_user, tmp_path):
    make_user(Role.ADMIN)
    writer = Writer(app)
    writer.start()
    while writer.written < 50 and writer.is_alive():
        threading.Event().wait(0.01)
    assert writer.is_alive(), "the writer stopped before the backup began"
    destination = tmp_path / "clinic.backup"
    result = app.test_cli_runner().invoke(args=["backup", str(destination)])
    writer.stop.set()
    writer.join()
    assert result.exit_code == 0, result.output
    assert "Backed up to" in result.output
    if count(app, User) and destination.stat().st_size == 0:
        pytest.fail("empty backup")
    make_user(Role.THERAPIST)  # a change after the backup, which the restore undoes
    restored = app.test_cli_runner().invoke(args=["restore", str(destination), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert count(app, User) == 1
    events_in_backup = count(app, AuditEvent)
    assert 50 <= events_in_backup <= writer.written
    with app.app_context():
        ids = db.session.scalars(select(AuditEvent.object_id).where(
            AuditEvent.action == "client.viewed").order_by(AuditEvent.id)).all()
        # A snapshot: the events are exactly the first N written, none missing in between.
        assert ids == [str(n) for n in range(len(ids))]
        if db.engine.dialect.name == "sqlite":
            assert backups.integrity_problems(destination) == []


def test_backup_refuses_to_overwrite_a_file(app, tmp_path):
    existing = tmp_path / "old.backup"
    existing.write_text("yesterday's backup")
    result = app.test_cli_runner().invoke(args=["backup", str(existing)])
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert existing.read_text() == "yesterday's backup"


def test_restore_refuses_a_damaged_file_and_keeps_the_database(app, make_user, tmp_path):
    make_user(Role.ADMIN)
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100 + b"garbage" * 100)
    result = app.test_cli_runner().invoke(args=["restore", str(damaged), "--yes"])
    assert result.exit_code == 1
    assert count(app, User) == 1


def test_restore_asks_before_replacing_everything(app, tmp_path):
    destination = tmp_path / "clinic.backup"
    app.test_cli_runner().invoke(args=["backup", str(destination)])
    result = app.test_cli_runner().invoke(args=["restore", str(destination)], input="n\n")
    assert result.exit_code == 1
    assert "Aborted" in result.output


def test_integrity_check_names_the_damage(tmp_path):
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    assert backups.integrity_problems(path) == []
