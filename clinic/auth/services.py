"""Signing in and out, staff sessions, and the sign-in throttle."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, or_, select, update

from clinic.audit import services as audit
from clinic.audit.models import AuditEvent
from clinic.auth.models import StaffSession, User
from clinic.auth.passwords import (
    WRONG_CURRENT_PASSWORD,
    hash_password,
    needs_rehash,
    policy_error,
    spend_verification_time,
    verify_password,
)
from clinic.extensions import db
from clinic.types import utcnow
from clinic.validation import ValidationError


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class SignIn:
    """What came of a sign-in attempt: a user and session token, a user whose second factor is
    still to be checked, or a message for the form."""

    user: User | None = None
    token: str | None = None
    error: str | None = None
    throttled: bool = False
    second_factor: bool = False


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Wrong passwords and wrong second-factor codes draw on the same allowance: a guesser gains
# nothing by switching from one to the other.
FAILED_SIGN_IN = ("login.failed", "two_factor.failed")


def _is_throttled(email: str, ip: str | None) -> bool:
    config = current_app.config
    since = utcnow() - config["LOGIN_THROTTLE_WINDOW"]
    by_account, by_ip = db.session.execute(
        select(
            func.count().filter(AuditEvent.object_id == email),
            func.count().filter(AuditEvent.ip == ip),
        ).where(
            AuditEvent.action.in_(FAILED_SIGN_IN),
            AuditEvent.occurred_at >= since,
            or_(AuditEvent.object_id == email, AuditEvent.ip == ip),
        )
    ).one()
    return (
        by_account >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        or by_ip >= config["LOGIN_MAX_FAILURES_PER_IP"]
    )


def refusal_if_throttled(email: str, ip: str | None) -> SignIn | None:
    """The refusal to give when this account or address has failed too often lately, else None."""
    if not _is_throttled(email, ip):
        return None
    audit.record("login.throttled", "login", email)
    db.session.commit()
    return SignIn(
        error="Too many failed sign-in attempts. Wait a few minutes and try again.",
        throttled=True,
    )


def start_session(user: User, ip: str | None) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        StaffSession(
            token_hash=_hash_token(token),
            user_id=user.id,
            expires_at=utcnow() + current_app.config["SESSION_LIFETIME"],
            ip=ip,
        )
    )
    return token


def sign_in(email: str, password: str, ip: str | None) -> SignIn:
    email = normalise_email(email)
    if refusal := refusal_if_throttled(email, ip):
        return refusal
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        spend_verification_time(password)
        return _failed(email, "unknown email")
    if not verify_password(user.password_hash, password):
        return _failed(email, "wrong password", user)
    if not user.active:
        return _failed(email, "account deactivated", user)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.two_factor_enabled:
        # Not signed in yet: the authenticator's code comes next (see auth.two_factor).
        audit.record("login.password_accepted", "login", email, actor_id=user.id)
        db.session.commit()
        return SignIn(user=user, second_factor=True)
    return succeeded(user, ip)


def succeeded(user: User, ip: str | None) -> SignIn:
    """Start the session of a user who has proved who they are, and say so in the log."""
    token = start_session(user, ip)
    audit.record("login.succeeded", "login", user.email, actor_id=user.id)
    db.session.commit()
    return SignIn(user=user, token=token)


def _failed(email: str, reason: str, user: User | None = None) -> SignIn:
    actor_id = user.id if user else None
    audit.record("login.failed", "login", email, actor_id=actor_id, detail={"reason": reason})
    db.session.commit()
    if reason == "account deactivated":
        return SignIn(error="This account has been deactivated. Ask the clinic's administrator.")
    return SignIn(error="The email or password is not right.")


def session_user(user_id: str, token: str | None) -> User | None:
    """The user of a live, unrevoked, unexpired session — or None, which signs the browser out."""
    if not token or not user_id.isdigit():
        return None
    return db.session.scalar(
        select(User)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(
            User.id == int(user_id),
            User.active.is_(True),
            StaffSession.token_hash == _hash_token(token),
            StaffSession.revoked_at.is_(None),
            StaffSession.expires_at > utcnow(),
        )
    )


def sign_out(user: User, token: str | None) -> None:
    if token:
        db.session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == _hash_token(token))
            .values(revoked_at=utcnow())
        )
    audit.record("logout", "staff_user", user.id)
    db.session.commit()


def revoke_sessions(user: User, now: datetime | None = None) -> None:
    """End every live session of a user (deactivation, new password). The caller commits."""
    db.session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def change_own_password(user: User, current: str, new: str, ip: str | None) -> str:
    """Set a new password, end every other session, and return the token of a fresh one."""
    if not verify_password(user.password_hash, current):
        raise ValidationError({"current_password": WRONG_CURRENT_PASSWORD})
    if problem := policy_error(new):
        raise ValidationError({"new_password": problem})
    user.password_hash = hash_password(new)
    revoke_sessions(user)
    token = start_session(user, ip)
    audit.record("password.changed", "staff_user", user.id)
    db.session.commit()
    return token
