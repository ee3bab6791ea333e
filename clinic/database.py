"""Connection settings that make SQLite safe for a clinic's records and PostgreSQL keep the
plans of the statements the pages repeat."""

import logging
import re
from functools import lru_cache

from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from clinic.audit.chain import UNSEALED

log = logging.getLogger(__name__)

# Set on a connection by any statement of its transaction that may have written.
WROTE = "transaction_wrote"
# A statement that reads: a query (with or without a WITH) naming no statement that writes or
# locks. Anything else counts as a write.
_READS = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE|LOCK|CALL|DO|"
                     r"COPY|NEXTVAL|SETVAL)\b", re.IGNORECASE)

SQLITE_PRAGMAS = (
    # Readers never block the writer, and a crash mid-write cannot corrupt the file.
    "PRAGMA journal_mode=WAL",
    # A commit is on disk before it is reported: no lost invoice or note after a power cut.
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    # Wait for another writer instead of failing at once with "database is locked".
    "PRAGMA busy_timeout=10000",
)


def _set_sqlite_pragmas(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _forget_writes(connection) -> None:
    connection.info.pop(WROTE, None)


# The pages send the same few statements again and again, as the same strings (SQLAlchemy's
# compiled cache): searching each one's text for a write took 50 µs a statement.
@lru_cache(maxsize=1024)
def may_write(statement: str) -> bool:
    return not _READS.match(statement) or bool(_WRITES.search(statement))


def _note_write(connection, cursor, statement: str, *_) -> None:
    if may_write(statement):
        connection.info[WROTE] = True


def configure(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "begin", _forget_writes)
        event.listen(engine, "before_cursor_execute", _note_write)


def end_read_only_transaction(session: Session) -> None:
    """Commit a transaction that wrote nothing and holds nothing unwritten; leave any other to
    be rolled back as ever.

    psycopg forgets every prepared statement on a ROLLBACK (it may have undone the objects
    they name), so ending each page's reads with one made PostgreSQL plan every statement of
    every page afresh: as long as running it for most, and longer for the visit's joins.
    Committing what only read changes nothing else.
    """
    if (not session.in_transaction() or session.new or session.dirty or session.deleted
            or session.info.get(UNSEALED)):
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.info.get(WROTE):
        return
    try:
        session.commit()
    except SQLAlchemyError:
        log.warning("a read-only transaction did not commit; it is rolled back", exc_info=True)
