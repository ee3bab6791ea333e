"""The test harness: a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL) built by
the migrations once per run, emptied after every test."""

import os
import re
import shutil
import time as clock
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import tinyhtml5
from flask_migrate import upgrade
from sqlalchemy import create_engine, delete, event, func, select, text
from sqlalchemy.engine import make_url

from bench.seed import Size, seed
from clinic import create_app
from clinic.auth.models import Role, User
from clinic.auth.passwords import hash_password
from clinic.config import normalise_database_url
from clinic.extensions import db
from clinic.pdf import render
from clinic.visits.models import Visit

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hmac",
    "SESSION_COOKIE_SECURE": False,
    # Cheap argon2id, still argon2id: the suite signs in hundreds of times.
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "ARGON2_PARALLELISM": 1,
    # Each page's views are sealed before it is served, so a test can look for them at once.
    "AUDIT_VIEW_DELAY_SECONDS": 0,
}

PASSWORD = "correct horse battery staple"


def _nodes(element) -> list[tuple]:
    return [(node.tag, node.attrib, node.text, node.tail) for node in element.iter()]


@pytest.fixture(autouse=True)
def xml_read_as_html5(monkeypatch):
    """Every document the PDF pipeline reads with expat has the tree WeasyPrint's HTML5 parser
    would have built from it: a template that writes something the two read differently fails
    the test that prints it."""
    well_formed_tree = render.well_formed_tree

    def checked(html: str):
        root = well_formed_tree(html)
        if root is not None:
            assert _nodes(root) == _nodes(tinyhtml5.parse(html, namespace_html_elements=False))
        return root

    monkeypatch.setattr(render, "well_formed_tree", checked)


@contextmanager
def _database_of_this_worker(url: str):
    """The PostgreSQL database given or, when the suite runs in several processes (each emptying
    its tables after every test), a fresh one per process named after it: clinic_test_gw0."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        yield url
        return
    given = make_url(normalise_database_url(url))
    name = f"{given.database}_{worker}"
    server = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield given.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    given = os.environ.get("TEST_DATABASE_URL")
    with (_database_of_this_worker(given) if given else
          nullcontext(f"sqlite:///{tmp_path_factory.mktemp('db') / 'clinic-test.db'}")) as url:
        _migrate(url)
        yield url


def _migrate(url: str) -> None:
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))
    db.session.commit()


def _close(app) -> None:
    # Views a test left on file would otherwise be sealed as the run ends, into tables since
    # emptied.
    shutil.rmtree(app.config["AUDIT_VIEW_JOURNAL"], ignore_errors=True)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _settings(database_url: str, tmp_path, overrides: dict) -> dict:
    # A test's page views are journaled in a folder of its own, like its database's rows.
    return {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
            "AUDIT_VIEW_JOURNAL": str(tmp_path / "audit-views"), **overrides}


@pytest.fixture
def build_app(database_url, tmp_path):
    """Build extra apps on the test database (settings of their own); closed after the test.

    Keys given as None are left out of the test settings, so the app reads its default.
    """
    built = []

    def build(**overrides):
        settings = _settings(database_url, tmp_path, overrides)
        app = create_app({key: value for key, value in settings.items() if value is not None})
        built.append(app)
        return app

    yield build
    for app in built:
        _close(app)


@pytest.fixture
def app_overrides() -> dict:
    """Override in a test module to run its tests with other settings."""
    return {}


@pytest.fixture
def app(database_url, app_overrides, tmp_path):
    app = create_app(_settings(database_url, tmp_path, app_overrides))
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
    _close(app)


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass(frozen=True)
class StaffMember:
    id: int
    email: str
    password: str
    role: str
    name: str


# The admin of a clinic seeded by `seed_clinic`.
SEEDED_ADMIN = StaffMember(1, "admin@seeded.example", PASSWORD, "admin", "Seeded Admin")


def seed_clinic(size: Size) -> None:
    """Empty the database and seed a clinic of `size` into it as `make bench` does, with
    SEEDED_ADMIN as its admin. In an app context."""
    _empty_tables()
    with db.engine.begin() as connection:
        seed(connection, size, SEEDED_ADMIN.email, hash_password(SEEDED_ADMIN.password))


def busiest_client() -> int:
    """The seeded client with the most visits (the lowest id among equals)."""
    return db.session.scalars(
        select(Visit.client_id).group_by(Visit.client_id)
        .order_by(func.count().desc(), Visit.client_id).limit(1)
    ).one()


@pytest.fixture
def make_user(app):
    """Create a staff member straight in the database; returns plain data, not an ORM object."""
    counter = iter(range(1, 10_000))

    def create(role: str = Role.THERAPIST, *, active: bool = True, **fields) -> StaffMember:
        n = next(counter)
        values = {
            "name": f"Test {role.capitalize()} {n}",
            "email": f"{role}{n}@clinic.example",
            "registration_number": f"RMT-{n:05d}" if role == Role.THERAPIST else None,
            **fields,
        }
        password = values.pop("password", PASSWORD)
        with app.app_context():
            user = User(role=role, active=active, password_hash=hash_password(password), **values)
            db.session.add(user)
            db.session.commit()
            return StaffMember(user.id, user.email, password, role, user.name)

    return create


CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client) -> str:
    """A CSRF token for this client's session, read from a real page as a browser would."""
    response = client.get("/login", follow_redirects=True)
    return CSRF_INPUT.search(response.get_data(as_text=True)).group(1)


def dated(form: dict) -> dict:
    """The form with each `timedelta` made the date that many days from today, read when the form
    is sent: a date written into a parametrize list is read at collection, and a run may pass
    midnight."""
    return {name: (date.today() + value).isoformat() if isinstance(value, timedelta) else value
            for name, value in form.items()}


def post_form(client, url: str, data: dict | None = None, **kwargs):
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


def sign_in(client, member: StaffMember, **kwargs):
    return post_form(
        client, "/login", {"email": member.email, "password": member.password}, **kwargs
    )


@pytest.fixture
def signed_in(client, make_user):
    """A client signed in with a new staff member of the given role."""

    def as_role(role: str = Role.THERAPIST, **fields) -> StaffMember:
        member = make_user(role, **fields)
        response = sign_in(client, member)
        assert response.status_code == 302, response.get_data(as_text=True)
        return member

    return as_role


@contextmanager
def recorded_statements(app):
    """The SQL statements the app sends to the database inside the block, in order."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def in_halifax():
    """The app server run with the clinic's zone in TZ, as docs/deploy.md asks."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Halifax"
    clock.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    clock.tzset()
