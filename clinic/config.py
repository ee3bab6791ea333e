"""Configuration read from the environment, with safe defaults for local use."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TypeVar


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


Number = TypeVar("Number", int, float)


def _env_number(name: str, default: Number) -> Number:
    value = os.environ.get(name)
    return default if value in (None, "") else type(default)(value)


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _local_secret_key(instance_path: Path) -> str:
    """A key generated once and kept beside the local database, so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several workers start at once, exactly one writes the key.
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return key_file.read_text().strip()


def from_environment(instance_path: Path, overrides: dict) -> dict:
    """Build the app's settings. `CLINIC_ENV=development` is local use; anything else is production.

    Values in `overrides` (tests, embedding) win and are not looked for in the environment.
    """
    development = os.environ.get("CLINIC_ENV", "production") == "development"
    secret_key = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret_key:
        if not development:
            raise ConfigError(
                "SECRET_KEY must be set in production. Set CLINIC_ENV=development for local use."
            )
        secret_key = _local_secret_key(instance_path)
    default_db = f"sqlite:///{instance_path / 'clinic.db'}"
    return {
        "DEVELOPMENT": development,
        "SECRET_KEY": secret_key,
        # Encrypts authenticator secrets; unset, a key derived from SECRET_KEY does.
        "TOTP_ENCRYPTION_KEY": os.environ.get("TOTP_ENCRYPTION_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL", default_db)
        ),
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", not development),
        "IDLE_TIMEOUT": timedelta(minutes=_env_number("IDLE_TIMEOUT_MINUTES", 15)),
        "SESSION_LIFETIME": timedelta(hours=_env_number("SESSION_LIFETIME_HOURS", 12)),
        "LOGIN_THROTTLE_WINDOW": timedelta(minutes=_env_number("LOGIN_THROTTLE_MINUTES", 15)),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": _env_number("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5),
        "LOGIN_MAX_FAILURES_PER_IP": _env_number("LOGIN_MAX_FAILURES_PER_IP", 30),
        "PROXY_FIX_X_FOR": _env_number("PROXY_FIX_X_FOR", 0),
        # Outgoing email (intake links, handouts). No MAIL_SERVER: links are copied instead.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _env_number("MAIL_PORT", 25),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", ""),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_STARTTLS": _env_bool("MAIL_STARTTLS", False),
        "INTAKE_LINK_LIFETIME": timedelta(days=_env_number("INTAKE_LINK_DAYS", 7)),
        # Page views wait here, at most the delay, before they are sealed into the audit log
        # (clinic.audit.journal). On each app server's own persistent disk.
        "AUDIT_VIEW_JOURNAL": os.environ.get("AUDIT_VIEW_JOURNAL",
                                             str(instance_path / "audit-views")),
        "AUDIT_VIEW_DELAY_SECONDS": _env_number("AUDIT_VIEW_DELAY_SECONDS", 1.0),
    }


BASE = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "clinic_session",
    "WTF_CSRF_TIME_LIMIT": None,
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    "LOGO_MAX_BYTES": 1024 * 1024,
    # Between a right password and the authenticator's code: long enough to find the phone.
    "SECOND_FACTOR_WAIT": timedelta(minutes=5),
    # argon2id cost: RFC 9106's second recommended option (64 MiB, 3 passes).
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 64 * 1024,
    "ARGON2_PARALLELISM": 4,
    # Wrong dates of birth on one intake link: a pause after a few, the link ends after more.
    "INTAKE_LINK_FAILURES_BEFORE_PAUSE": 3,
    "INTAKE_LINK_PAUSE": timedelta(minutes=15),
    "INTAKE_LINK_MAX_FAILURES": 10,
}
