from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from clinic.admin.models import ClinicSettings
from clinic.extensions import db


def database_is_reachable() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True


def logo() -> tuple[bytes, str] | None:
    row = db.session.execute(
        select(ClinicSettings.logo, ClinicSettings.logo_mime).where(
            ClinicSettings.id == 1, ClinicSettings.logo.is_not(None)
        )
    ).first()
    return None if row is None else (row.logo, row.logo_mime)
