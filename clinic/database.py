"""Connection settings that make SQLite safe for a clinic's records."""

from sqlalchemy import Engine, event

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


def configure(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
