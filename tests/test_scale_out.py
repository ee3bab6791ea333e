"""App servers on one database behave as one: sign-in throttling and sign-out are shared, and
page views a killed worker left on file reach the audit log."""

import copy
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from clinic.audit.journal import journal
from clinic.auth.models import Role
from tests.clients.conftest import make_client, make_intake  # noqa: F401 (fixtures)
from tests.test_audit_journal import health_views

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn_servers(app, database_url: str, count: int, *options: str, **settings: str):
    """App servers, separate gunicorn processes, sharing the test database and secret key."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AUDIT_VIEW_JOURNAL": app.config["AUDIT_VIEW_JOURNAL"],
        "SECRET_KEY": "shared-by-every-app-server-of-the-clinic",
        "SESSION_COOKIE_SECURE": "0",
        "CLINIC_ENV": "production",
        **settings,
    }
    servers = []
    for _ in range(count):
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *options, "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        servers.append((process, f"http://127.0.0.1:{port}"))
    try:
        for process, url in servers:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"app server at {url} did not start")
                    time.sleep(0.2)
        yield [url for _, url in servers]
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def app_servers(app, database_url):
    with gunicorn_servers(app, database_url, 2) as urls:
        yield urls


class Browser:
    """A browser's cookie jar, which can be pointed at either server."""

    def __init__(self, jar: CookieJar | None = None):
        self.jar = jar or CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(url, timeout=10) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, url, error.read().decode()

    def post(self, url: str, fields: dict) -> tuple[int, str, str]:
        token_page = self.get(url.rsplit("/", 1)[0] + "/login")[2]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', token_page).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
        try:
            with self.opener.open(url, data=data, timeout=10) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, url, error.read().decode()

    def copy(self) -> "Browser":
        """Another browser holding the same cookies, as a thief with a captured cookie would."""
        jar = CookieJar()
        for cookie in self.jar:
            jar.set_cookie(copy.copy(cookie))
        return Browser(jar)


def test_failed_sign_ins_on_one_server_throttle_the_other(app_servers, make_user):
    first, second = app_servers
    member = make_user(Role.RECEPTION)
    browser = Browser()
    for _ in range(5):
        status, _, page = browser.post(f"{first}/login",
                                       {"email": member.email, "password": "a wrong guess"})
        assert "The email or password is not right." in page
    status, _, page = browser.post(f"{second}/login",
                                   {"email": member.email, "password": member.password})
    assert status == 429
    assert "Too many failed sign-in attempts" in page


def test_signing_out_on_one_server_ends_the_session_on_the_other(app_servers, make_user):
    first, second = app_servers
    member = make_user(Role.THERAPIST)
    browser = Browser()
    _, url, _ = browser.post(f"{first}/login",
                             {"email": member.email, "password": member.password})
    assert url == f"{first}/"
    _, url, page = browser.get(f"{second}/")
    assert url == f"{second}/" and "Your visits today" in page
    captured = browser.copy()
    browser.post(f"{second}/logout", {})
    _, url, _ = captured.get(f"{first}/")
    assert url.startswith(f"{first}/login")


def test_a_killed_workers_page_views_are_sealed_by_the_worker_that_replaces_it(
    app, database_url, make_user, make_client, make_intake  # noqa: F811
):
    client_id = make_client()
    make_intake(client_id)
    member = make_user(Role.THERAPIST)
    # The repository's gunicorn settings (its worker start-up), views sealed only after an hour.
    with gunicorn_servers(app, database_url, 1, "-c", "gunicorn.conf.py",
                          AUDIT_VIEW_DELAY_SECONDS="3600") as [server]:
        browser = Browser()
        browser.post(f"{server}/login", {"email": member.email, "password": member.password})
        status, _, _ = browser.get(f"{server}/clients/{client_id}")
        assert status == 200
        [left] = journal(app).folder.glob("views-*.jsonl")
        assert left.read_bytes().count(b"\n") == 1 and health_views(app) == []

        os.kill(int(left.stem.rsplit("-", 2)[1]), signal.SIGKILL)  # views-HOST-PID-TOKEN
        deadline = time.monotonic() + 60
        while not health_views(app) and time.monotonic() < deadline:
            time.sleep(0.2)
    [event] = health_views(app)
    assert (event.actor_id, event.client_id) == (member.id, client_id)
    assert not left.exists()
