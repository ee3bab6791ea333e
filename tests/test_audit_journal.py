"""Page views go on file as the page is served and into the sealed audit log within moments,
and none is lost on the way: not when the database refuses, not when the worker is killed."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from clinic.audit.chain import Unsealed
from clinic.audit.journal import journal
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.types import utcnow
from tests.clients.conftest import make_client, make_intake  # noqa: F401 (fixtures)
from tests.conftest import TEST_CONFIG, sign_in
from tests.test_faults import chain_is_intact, refused_inserts

ROOT = Path(__file__).resolve().parent.parent
AN_HOUR = 3600


@pytest.fixture
def app_overrides() -> dict:
    return {"AUDIT_VIEW_DELAY_SECONDS": AN_HOUR}  # sealed only when a test says so


def health_views(app) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "intake.viewed")))


def journal_lines(app) -> int:
    return sum(len(path.read_bytes().splitlines())
               for path in journal(app).folder.glob("views-*.jsonl"))


def a_view(client_id: int, actor_id: int | None = None) -> Unsealed:
    """A health view as a page records it, by a given member of staff or none."""
    return Unsealed(utcnow(), "intake.viewed", "client", str(client_id), actor_id, "10.0.0.9",
                    client_id, '{"view": "intake"}')


@dataclass(frozen=True)
class HealthPage:
    """A therapist signed in on an app, and the page of a client with health answers."""

    browser: FlaskClient
    url: str
    client_id: int
    therapist_id: int

    def view(self) -> None:
        assert self.browser.get(self.url).status_code == 200


@pytest.fixture
def health_page(make_user, make_client, make_intake):  # noqa: F811
    """Opens, on a given app, a page showing a client's health answers."""
    client_id = make_client()
    make_intake(client_id)
    therapist = make_user(Role.THERAPIST)

    def open_on(app) -> HealthPage:
        browser = app.test_client()
        sign_in(browser, therapist)
        return HealthPage(browser, f"/clients/{client_id}", client_id, therapist.id)

    return open_on


@pytest.fixture
def viewed_client(app, health_page):
    """Looks at the page on the test's app, each time it is called."""
    return health_page(app).view


def test_a_view_is_on_file_when_the_page_is_served_and_in_the_log_once_sealed(
    app, health_page
):
    page = health_page(app)
    page.view()
    assert health_views(app) == []
    assert journal_lines(app) == 1

    with app.app_context():
        assert journal(app).seal_all() == 1
    [event] = health_views(app)
    assert (event.actor_id, event.client_id) == (page.therapist_id, page.client_id)
    assert event.ip == "127.0.0.1" and '"view": "client page"' in event.detail
    assert journal_lines(app) == 0
    assert chain_is_intact(app)


def test_a_journal_still_being_written_is_left_to_its_writer(app, build_app, viewed_client):
    viewed_client()
    other_worker = build_app(AUDIT_VIEW_DELAY_SECONDS=AN_HOUR)
    with other_worker.app_context():
        assert journal(other_worker).seal_all() == 0
    assert journal_lines(app) == 1 and health_views(app) == []

    with app.app_context():
        assert journal(app).seal_all() == 1
    assert len(health_views(app)) == 1


def test_the_worker_seals_its_views_within_the_delay(build_app, health_page):
    app = build_app(AUDIT_VIEW_DELAY_SECONDS=0.1)
    health_page(app).view()
    deadline = time.monotonic() + 10
    while not health_views(app) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(health_views(app)) == 1
    assert chain_is_intact(app)


def test_views_the_database_refuses_stay_on_file_until_it_takes_them(app, viewed_client):
    viewed_client()
    with refused_inserts(app, "audit_event"), app.app_context():
        assert journal(app).seal_all() == 0
    assert journal_lines(app) == 1 and health_views(app) == []

    with app.app_context():
        assert journal(app).seal_all() == 1
    assert len(health_views(app)) == 1 and chain_is_intact(app)


def test_a_page_is_served_when_its_views_cannot_be_sealed_at_once(build_app, health_page):
    app = build_app(AUDIT_VIEW_DELAY_SECONDS=0)  # sealed before the page is served, normally
    page = health_page(app)
    with refused_inserts(app, "audit_event"):
        page.view()
    assert journal_lines(app) == 1 and health_views(app) == []
    page.view()
    assert len(health_views(app)) == 2 and journal_lines(app) == 0


def test_without_a_journal_to_write_to_a_pages_views_are_sealed_with_it(
    build_app, health_page, tmp_path, caplog
):
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("")
    app = build_app(AUDIT_VIEW_JOURNAL=str(not_a_folder), AUDIT_VIEW_DELAY_SECONDS=AN_HOUR)
    health_page(app).view()
    assert len(health_views(app)) == 1 and chain_is_intact(app)
    assert "could not be put on file" in caplog.text


KILLED_WORKER = """
import os, signal, sys
from clinic import create_app
from clinic.audit.chain import Unsealed
from clinic.audit.journal import journal
from clinic.types import utcnow

app = create_app({**eval(sys.argv[1]), "AUDIT_VIEW_DELAY_SECONDS": 3600})
journal(app).append([Unsealed(utcnow(), "intake.viewed", "client", "7", None, "10.0.0.9", 7,
                              '{"view": "intake"}')])
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_views_of_a_killed_worker_are_sealed_by_another(app, database_url):
    settings = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                "AUDIT_VIEW_JOURNAL": str(journal(app).folder)}
    worker = subprocess.run([sys.executable, "-c", KILLED_WORKER, repr(settings)], cwd=ROOT,
                            env={**os.environ, "CLINIC_ENV": "development"}, check=False)
    assert worker.returncode == -signal.SIGKILL
    [left] = journal(app).folder.glob("views-*.jsonl")

    with app.app_context():
        assert journal(app).seal_all() == 1
    [event] = health_views(app)
    assert (event.client_id, event.ip, event.detail) == (7, "10.0.0.9", '{"view": "intake"}')
    assert not left.exists()  # the dead worker's journal is done with
    assert chain_is_intact(app)


def test_a_forked_process_keeps_a_journal_of_its_own_and_no_hold_on_its_parent_s(app):
    """A process forked while it writes its journal shares the file's lock with its child. The
    child's first view must let go of that copy, or the parent's views stay unsealed for as
    long as the child lives."""
    journal(app).append([a_view(7)])
    child = os.fork()
    if child == 0:  # the child: one view, then stopped whole, its threads too
        try:
            journal(app).append([a_view(8)])
            os.kill(os.getpid(), signal.SIGSTOP)
        finally:
            os._exit(0)
    try:
        os.waitpid(child, os.WUNTRACED)
        assert len(list(journal(app).folder.glob("views-*.jsonl"))) == 2
        with app.app_context():
            assert journal(app).seal_all() == 1  # the parent's, while the child lives
        assert [event.client_id for event in health_views(app)] == [7]
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
    with app.app_context():
        assert journal(app).seal_all() == 1  # the child's, once it has ended
    assert sorted(event.client_id for event in health_views(app)) == [7, 8]
    assert chain_is_intact(app)


def test_half_a_line_left_by_a_machine_that_stopped_holds_back_no_other_view(
    app, viewed_client, caplog
):
    viewed_client()
    [path] = journal(app).folder.glob("views-*.jsonl")
    whole = path.read_bytes()
    path.write_bytes(whole[:40] + b"\n" + whole)

    with app.app_context():
        assert journal(app).seal_all() == 1
    assert len(health_views(app)) == 1 and journal_lines(app) == 0
    assert "could not be read and is left out of the audit log" in caplog.text


def test_a_view_by_someone_the_database_does_not_know_holds_back_no_other_view(
    app, viewed_client, caplog
):
    """As after restoring a backup older than a staff member whose views were on file."""
    viewed_client()
    journal(app).append([a_view(7, actor_id=999_999)])
    with app.app_context():
        journal(app).seal_all()
    assert len(health_views(app)) == 1 and journal_lines(app) == 0
    assert "a page view the database refuses is left out of the audit log" in caplog.text
    assert chain_is_intact(app)
