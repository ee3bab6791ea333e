"""CSRF, security headers, error pages and production settings."""

import pytest

from clinic import config
from clinic.auth.models import Role
from clinic.permissions import public
from tests.conftest import sign_in


def test_a_post_without_csrf_token_is_refused(client, make_user):
    member = make_user(Role.ADMIN)
    response = client.post("/login", data={"email": member.email, "password": member.password})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_signed_in_post_without_csrf_token_changes_nothing(client, signed_in, make_user):
    signed_in(Role.ADMIN)
    target = make_user(Role.THERAPIST)
    assert client.post(f"/admin/staff/{target.id}/deactivate").status_code == 400
    assert "Deactivated" not in client.get("/admin/staff").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/login", "/healthz", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split("; ") if part.startswith("script-src"))
    assert script_src == "script-src 'self'"
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"


def test_pages_with_data_are_not_cached_but_static_files_may_be(client, signed_in):
    signed_in(Role.RECEPTION)
    assert client.get("/").headers["Cache-Control"] == "no-store"
    static = client.get("/static/css/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_pages_use_no_inline_script(client, signed_in):
    signed_in(Role.ADMIN)
    for path in ["/", "/admin/staff", "/admin/settings", "/account/password"]:
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and " on" + "click=" not in page


def test_not_found_is_a_page_in_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and 'class="site-header"' in page


def test_an_unknown_staff_id_answers_404(client, signed_in):
    signed_in(Role.ADMIN)
    assert client.get("/admin/staff/99999").status_code == 404


def test_a_crash_shows_an_apology_not_a_stack_trace(build_app):
    app = build_app(PROPAGATE_EXCEPTIONS=False)

    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", "explode", public(explode))
    response = app.test_client().get("/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_production_requires_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("CLINIC_ENV", raising=False)
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.from_environment(tmp_path, {})


def test_local_use_generates_a_secret_once_and_keeps_it(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CLINIC_ENV", "development")
    first = config.from_environment(tmp_path, {})["SECRET_KEY"]
    assert len(first) >= 40
    assert config.from_environment(tmp_path, {})["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_cookies_are_secure_httponly_and_samesite(monkeypatch, build_app, make_user):
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-from-the-environment")
    monkeypatch.delenv("CLINIC_ENV", raising=False)
    app = build_app(SECRET_KEY=None, SESSION_COOKIE_SECURE=None)
    client = app.test_client()
    response = sign_in(client, make_user(Role.ADMIN))
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_urls_use_psycopg_3(given, used):
    assert config.normalise_database_url(given) == used


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_says_when_the_database_is_unreachable(build_app, tmp_path):
    app = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"


def test_error_pages_render_even_when_the_database_is_down(build_app, tmp_path):
    app = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db")
    response = app.test_client().get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
