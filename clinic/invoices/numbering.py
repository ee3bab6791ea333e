"""Gap-free document numbers: `<prefix>-<year>-<000042>`, taken in the issuing transaction.

The counter row is incremented in place (`UPDATE ... SET last_number = last_number + 1
RETURNING last_number`). On PostgreSQL that UPDATE locks the row exactly as SELECT ... FOR
UPDATE would, until the issuing transaction commits or rolls back: a second issue waits,
then reads the committed value. On SQLite the UPDATE takes the database's write lock, which
serialises issues the same way. A rollback undoes the increment, so no number is lost.
Taking the number last, just before commit, keeps the lock short.
"""

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from clinic.extensions import db
from clinic.invoices.models import DocumentCounter

INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _increment(series: str, year: int) -> int | None:
    return db.session.scalar(
        update(DocumentCounter)
        .where(DocumentCounter.series == series, DocumentCounter.year == year)
        .values(last_number=DocumentCounter.last_number + 1)
        .returning(DocumentCounter.last_number),
        execution_options={"synchronize_session": False},
    )


def next_number(series: str, year: int) -> int:
    """The next number of `series` in `year`, locked until the current transaction ends."""
    number = _increment(series, year)
    if number is None:
        # The first number of a year: whoever creates the row, everyone then increments it.
        insert = INSERTS[db.session.get_bind().dialect.name]
        db.session.execute(
            insert(DocumentCounter)
            .values(series=series, year=year, last_number=0)
            .on_conflict_do_nothing()
        )
        number = _increment(series, year)
    return number


def format_number(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"
