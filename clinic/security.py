"""Response headers, safe redirects and the idle sign-out."""

from urllib.parse import urlsplit

from flask import Flask, current_app, flash, request, session

from clinic.types import current_timestamp

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        # Pages carry client and health data: never keep them in a browser or proxy cache.
        headers["Cache-Control"] = "no-store"
    return response


def is_safe_next(target: str | None) -> bool:
    """Only same-site paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def expire_idle_session() -> None:
    """Sign out a browser that has been idle too long; otherwise note that it is active."""
    if request.endpoint == "static" or "sid" not in session:
        return
    now = current_timestamp()
    idle_limit = current_app.config["IDLE_TIMEOUT"].total_seconds()
    last_seen = session.get("seen", 0)
    if now - last_seen > idle_limit:
        session.clear()
        flash("You were signed out after a period without activity. Please sign in again.")
    else:
        session["seen"] = now


def init_app(app: Flask) -> None:
    app.before_request(expire_idle_session)
    app.after_request(set_security_headers)
