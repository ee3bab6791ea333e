"""Saving changes to a record: what changed (for the audit log), edits that crossed, and the
one way a locked record may be deleted."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session
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


# Signed notes, their addenda and issued invoices refuse to be changed or deleted (see their
# models' listeners). Once the retention period of a client's records is over the law no
# longer keeps them, and erasing them must get past those locks: deliberately, here, never by
# accident. Only deletes pass; a change to a locked record is still refused.
ERASING_PAST_RETENTION = "erasing_past_retention"


@contextmanager
def erasing_past_retention(session: Session) -> Iterator[None]:
    session.info[ERASING_PAST_RETENTION] = True
    try:
        yield
    finally:
        session.info.pop(ERASING_PAST_RETENTION, None)


def erasure_permitted(session: Session | None) -> bool:
    return session is not None and session.info.get(ERASING_PAST_RETENTION, False)
