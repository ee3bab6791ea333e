"""Staff accounts and clinic settings: the admin's rules and database work."""

import io
import warnings
from dataclasses import asdict, dataclass

from flask import current_app, g, has_app_context
from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select

from clinic.admin.models import ClinicSettings
from clinic.audit import services as audit
from clinic.auth.models import REGISTRATION_NUMBER_REQUIRED, Role, User
from clinic.auth.passwords import hash_password, policy_error
from clinic.auth.services import normalise_email, revoke_sessions
from clinic.extensions import db
from clinic.records import apply_changes
from clinic.validation import ValidationError

LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
LOGO_MAX_SIDE = 4000


@dataclass
class StaffDetails:
    name: str
    email: str
    role: str
    registration_number: str | None = None


def list_staff() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.name)))


def staff_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(User.role, func.count()).where(User.active.is_(True)).group_by(User.role)
    )
    return {role: count for role, count in rows}


def _check_details(details: StaffDetails, user: User | None = None) -> StaffDetails:
    errors = {}
    email = normalise_email(details.email)
    taken = db.session.scalar(select(User.id).where(User.email == email))
    if taken is not None and (user is None or taken != user.id):
        errors["email"] = "Another staff member already uses this email."
    registration_number = (details.registration_number or "").strip() or None
    if details.role not in {role.value for role in Role}:
        errors["role"] = "Choose admin, therapist or reception."
    elif Role(details.role).needs_registration_number and not registration_number:
        errors["registration_number"] = REGISTRATION_NUMBER_REQUIRED
    if errors:
        raise ValidationError(errors)
    return StaffDetails(details.name.strip(), email, details.role, registration_number)


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count()).where(User.role == Role.ADMIN, User.active.is_(True))
    )


def create_staff(details: StaffDetails, password: str) -> User:
    details = _check_details(details)
    if problem := policy_error(password):
        raise ValidationError({"password": problem})
    user = User(
        name=details.name,
        email=details.email,
        role=details.role,
        registration_number=details.registration_number,
        password_hash=hash_password(password),
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("staff.created", "staff_user", user.id, detail={"role": details.role})
    db.session.commit()
    return user


def update_staff(user: User, details: StaffDetails, new_password: str | None = None) -> None:
    details = _check_details(details, user)
    if new_password and (problem := policy_error(new_password)):
        raise ValidationError({"password": problem})
    losing_admin = user.role == Role.ADMIN and details.role != Role.ADMIN and user.active
    if losing_admin and _active_admins() <= 1:
        raise ValidationError({"role": "The clinic needs at least one active admin."})
    changed = apply_changes(user, asdict(details))
    if new_password:
        user.password_hash = hash_password(new_password)
        revoke_sessions(user)
        changed.append("password")
    if changed:
        audit.record("staff.updated", "staff_user", user.id, detail={"changed": changed})
    db.session.commit()


def set_active(user: User, active: bool, actor: User) -> None:
    if not active:
        if user.id == actor.id:
            raise ValidationError({"": "You cannot deactivate your own account."})
        if user.role == Role.ADMIN and _active_admins() <= 1:
            raise ValidationError({"": "The clinic needs at least one active admin."})
        revoke_sessions(user)
    user.active = active
    audit.record("staff.activated" if active else "staff.deactivated", "staff_user", user.id)
    db.session.commit()


def get_settings() -> ClinicSettings:
    """The clinic's settings; defaults (not saved) until an admin first saves them.

    Read once per request: the sign-in checks, the menu and the page all ask for them.
    """
    if has_app_context() and "clinic_settings" in g:
        return g.clinic_settings
    settings = db.session.get(ClinicSettings, 1) or ClinicSettings.with_defaults()
    if has_app_context():
        g.clinic_settings = settings
    return settings


def _readable_size(size: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


def logo_mime(data: bytes) -> str:
    """The MIME type of an acceptable logo, or a ValidationError saying what is wrong with it."""
    limit = current_app.config["LOGO_MAX_BYTES"]
    if len(data) > limit:
        raise ValidationError(
            {"logo_upload": f"The logo must be at most {_readable_size(limit)}."}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format
                longest_side = max(image.size)
                image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError,
            OSError, SyntaxError, ValueError):
        image_format, longest_side = None, 0
    if image_format not in LOGO_FORMATS or longest_side > LOGO_MAX_SIDE:
        raise ValidationError(
            {"logo_upload": "The logo must be a PNG or JPEG image up to 4000 by 4000 pixels."}
        )
    return LOGO_FORMATS[image_format]


def update_settings(
    values: dict, logo_upload: bytes | None = None, remove_logo: bool = False
) -> None:
    g.pop("clinic_settings", None)
    settings = db.session.get(ClinicSettings, 1)
    if settings is None:
        settings = ClinicSettings.with_defaults()
        db.session.add(settings)
    mime = logo_mime(logo_upload) if logo_upload else None
    changed = apply_changes(settings, values)
    if mime:
        settings.logo, settings.logo_mime = logo_upload, mime
        changed.append("logo")
    elif remove_logo and settings.logo_mime:
        settings.logo, settings.logo_mime = None, None
        changed.append("logo removed")
    if changed:
        audit.record(
            "settings.updated", "clinic_settings", settings.id, detail={"changed": changed}
        )
    db.session.commit()
