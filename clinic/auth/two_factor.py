"""Two-factor sign-in: TOTP authenticators, one-time recovery codes, and the clinic's rule.

A code is accepted once: the time step it belongs to is claimed with a conditional UPDATE,
so a replayed code fails even when two app servers receive it at the same moment.
"""

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

import pyotp
import segno
from flask import current_app, redirect, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select, update

from clinic.admin.services import get_settings
from clinic.audit import services as audit
from clinic.auth import totp_secrets
from clinic.auth.models import RecoveryCode, User
from clinic.auth.passwords import WRONG_CURRENT_PASSWORD, verify_password
from clinic.auth.services import SignIn, refusal_if_throttled, succeeded
from clinic.extensions import db
from clinic.types import utcnow
from clinic.validation import ValidationError

RECOVERY_CODE_COUNT = 10
# 16 base32 characters: 80 random bits, so a plain SHA-256 of the code is safe to store.
RECOVERY_CODE_BYTES = 10
# Codes one step either side of now are accepted, for phones whose clocks drift a little.
CLOCK_DRIFT_STEPS = 1
# How long the enrolment page's secret may wait for its first code.
ENROLMENT_MAX_AGE_SECONDS = 30 * 60

WRONG_CODE = "That code is not right, or it has been used already. Try the next one."
CODES_UNCHECKABLE = (
    "Codes from your authenticator app cannot be checked at the moment. Use one of your "
    "recovery codes, or ask the clinic's administrator to reset your two-factor sign-in."
)

log = logging.getLogger(__name__)

# Pages a user who must still enrol may open: the enrolment page itself, and the way out.
OPEN_BEFORE_ENROLMENT = {"auth.two_factor", "auth.logout", "static"}


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the new secret, as a QR code and as text to type."""

    secret: str
    qr: str
    token: str

    @property
    def grouped_secret(self) -> str:
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


@dataclass(frozen=True)
class Status:
    enabled: bool
    required: bool
    codes_left: int


def status(user: User) -> Status:
    return Status(
        enabled=user.two_factor_enabled,
        required=get_settings().require_two_factor,
        codes_left=recovery_codes_left(user) if user.two_factor_enabled else 0,
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="two-factor-enrolment")


def _enrolment(user: User, secret: str, token: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=get_settings().name)
    return Enrolment(secret, segno.make(uri, error="m").svg_data_uri(scale=4, border=2), token)


def start_enrolment(user: User) -> Enrolment:
    """A fresh secret for the user's authenticator. Nothing is stored until a code confirms it:
    the secret travels in a signed form field, tied to this user."""
    secret = pyotp.random_base32()
    return _enrolment(user, secret, _serializer().dumps({"user": user.id, "secret": secret}))


def enrolment_from(user: User, token: str) -> Enrolment | None:
    """The enrolment the page was showing, or None if its form was forged or left too long."""
    try:
        data = _serializer().loads(token or "", max_age=ENROLMENT_MAX_AGE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("user") != user.id:
        return None
    return _enrolment(user, data["secret"], token)


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step near now whose code this is, if it is later than the last one accepted."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    for step in range(now - CLOCK_DRIFT_STEPS, now + CLOCK_DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(user: User, step: int) -> bool:
    """Record the step as used; False if another request used it (or a later one) first."""
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def _normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_normalise_recovery_code(code).encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the codes themselves exist only in the return value."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode()
        code = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(code)))
        codes.append(code)
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    if len(_normalise_recovery_code(code)) != RECOVERY_CODE_BYTES * 8 // 5:
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return used.rowcount == 1


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count()).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def _opened(user: User, key: str | None = None) -> str | None:
    """The user's TOTP secret, opened with the app's key (or `key`); None if it does not open."""
    try:
        return totp_secrets.decrypt(user.id, user.totp_secret, key)
    except totp_secrets.SecretUnreadable:
        return None


def _authenticator_secret(user: User) -> str | None:
    secret = _opened(user)
    if secret is None:
        log.error("The two-factor secret of staff user %s does not decrypt: was "
                  "TOTP_ENCRYPTION_KEY or SECRET_KEY changed?", user.id)
    return secret


def _failed(user: User, reason: str) -> None:
    audit.record(
        "two_factor.failed", "login", user.email, actor_id=user.id, detail={"reason": reason}
    )
    db.session.commit()


def _second_factor(user: User, code: str, failure: str) -> str:
    """How the user proved it: "authenticator" or "recovery code"; spends the code either way.
    A refused code is recorded as `failure` and raised as a ValidationError on "code".

    A secret this server cannot decrypt accepts no code at all (recovery codes still work),
    and the user is told why rather than that their code is wrong.
    """
    secret = _authenticator_secret(user)
    if secret is not None:
        step = _matching_step(secret, code, user.totp_last_step)
        if step is not None and _claim_step(user, step):
            return "authenticator"
    if _use_recovery_code(user, code):
        return "recovery code"
    if secret is None:
        _failed(user, "authenticator secret unreadable")
        raise ValidationError({"code": CODES_UNCHECKABLE})
    _failed(user, failure)
    raise ValidationError({"code": WRONG_CODE})


def enrol(user: User, token: str, code: str) -> list[str]:
    """Keep the authenticator once it has produced a right code; return the recovery codes."""
    if user.two_factor_enabled:
        raise ValidationError({"": "Two-factor sign-in is already on for your account."})
    enrolment = enrolment_from(user, token)
    if enrolment is None:
        raise ValidationError({"code": "This page was open too long. Scan the new code below."})
    step = _matching_step(enrolment.secret, code, None)
    if step is None:
        _failed(user, "wrong code at enrolment")
        raise ValidationError({"code": WRONG_CODE})
    user.totp_secret = totp_secrets.encrypt(user.id, enrolment.secret)
    user.totp_last_step = step
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record("two_factor.enrolled", "staff_user", user.id)
    db.session.commit()
    return codes


def pending_user(user_id: object) -> User | None:
    """The user waiting at the code page, if they still may sign in with a second factor."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or not user.two_factor_enabled:
        return None
    return user


def complete_sign_in(user: User, code: str, ip: str | None) -> SignIn:
    """The second step of signing in: a right code (or recovery code) starts the session."""
    if refusal := refusal_if_throttled(user.email, ip):
        return refusal
    try:
        method = _second_factor(user, code, "wrong code")
    except ValidationError as refused:
        return SignIn(error=refused.errors["code"])
    if method == "recovery code":
        audit.record(
            "two_factor.recovery_used", "login", user.email, actor_id=user.id,
            detail={"codes_left": recovery_codes_left(user)},
        )
    else:
        audit.record("two_factor.verified", "login", user.email, actor_id=user.id)
    return succeeded(user, ip)


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(user: User, password: str, code: str, ip: str | None) -> None:
    """Turn off the user's own second factor: they prove it is them with both factors."""
    if not user.two_factor_enabled:
        raise ValidationError({"": "Two-factor sign-in is not on for your account."})
    if get_settings().require_two_factor:
        raise ValidationError({"": "The clinic requires two-factor sign-in for all staff."})
    if refusal := refusal_if_throttled(user.email, ip):
        raise ValidationError({"": refusal.error})
    if not verify_password(user.password_hash, password):
        _failed(user, "wrong password when turning two-factor off")
        raise ValidationError({"current_password": WRONG_CURRENT_PASSWORD})
    _second_factor(user, code, "wrong code when turning two-factor off")
    _clear(user)
    audit.record("two_factor.disabled", "staff_user", user.id)
    db.session.commit()


def reset(user: User) -> None:
    """The admin removes a lost authenticator; the user enrols again (or signs in without)."""
    if not user.two_factor_enabled:
        raise ValidationError({"": f"{user.name} has no authenticator to reset."})
    _clear(user)
    audit.record("two_factor.reset", "staff_user", user.id)
    db.session.commit()


@dataclass(frozen=True)
class Reencrypted:
    moved: int
    unreadable: list[str]


def reencrypt_secrets(old_key: str) -> Reencrypted:
    """After the app's key changed: store the secrets kept under `old_key` under the new one.
    Secrets the new key already opens are left as they are; the emails of any that open with
    neither are returned (those members need their two-factor reset)."""
    moved, unreadable = 0, []
    for user in db.session.scalars(select(User).where(User.totp_secret.is_not(None))):
        if _opened(user) is not None:
            continue
        secret = _opened(user, old_key)
        if secret is None:
            unreadable.append(user.email)
            continue
        user.totp_secret = totp_secrets.encrypt(user.id, secret)
        moved += 1
    if moved:
        audit.record("two_factor.reencrypted", detail={"secrets": moved})
    db.session.commit()
    return Reencrypted(moved, unreadable)


def require_enrolment():
    """Before every request: a clinic that requires two factors sends the unenrolled to enrol."""
    if request.endpoint in OPEN_BEFORE_ENROLMENT or not current_user.is_authenticated:
        return None
    if current_user.two_factor_enabled or not get_settings().require_two_factor:
        return None
    return redirect(url_for("auth.two_factor"))
