"""Saving changes to a record: what changed (for the audit log), and edits that crossed."""

from sqlalchemy.orm.exc import StaleDataError

from clinic.extensions import db
from clinic.validation import ValidationError


def changed_fields(record, values: dict) -> list[str]:
    """The names of the values that differ from the record's, sorted."""
    return sorted(key for key, value in values.items() if getattr(record, key) != value)


def apply_changes(record, values: dict) -> list[str]:
    """Set the values that differ from the record's and return their names, sorted."""
    changed = changed_fields(record, values)
    for key in changed:
        setattr(record, key, values[key])
    return changed


class StaleEdit(ValidationError):
    """Someone saved the record after this form was opened; their save must not be undone."""

    def __init__(self, what: str):
        super().__init__({"": f"Someone else saved this {what} while you were editing. "
                              "Their version is shown now; make your changes again."})


def check_version(record, seen_version: int | None, what: str) -> None:
    """Refuse a form that was opened on an older version of the record."""
    if seen_version != record.version:
        raise StaleEdit(what)


def commit_or_stale(what: str) -> None:
    """Commit; if another save got in first (the version column moved), say so and keep theirs."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit(what) from None
