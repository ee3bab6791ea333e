"""Consistent online backups and restores of the clinic's database.

SQLite uses its online backup API (a consistent snapshot while the app keeps writing);
PostgreSQL uses pg_dump / pg_restore, which must be installed beside the app.
"""

import os
import sqlite3

# Only pg_dump and pg_restore run, with arguments built here, never a shell.
import subprocess  # nosec B404
from pathlib import Path

from sqlalchemy import Engine


class BackupError(RuntimeError):
    """The backup or restore did not complete; the message says why."""


def _sqlite_path(engine: Engine) -> Path:
    return Path(engine.url.database)


def _libpq(engine: Engine) -> tuple[str, dict]:
    """A libpq connection string without the password, which goes in the environment instead."""
    url = engine.url
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict) -> None:
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)  # noqa: S603 # nosec B603
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed on this machine") from error
    except subprocess.CalledProcessError as error:
        raise BackupError(error.stderr.strip() or f"{command[0]} failed") from error


def integrity_problems(path: Path) -> list[str]:
    """What SQLite's own check finds wrong with a database file; empty when it is sound."""
    with sqlite3.connect(path) as connection:
        rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    connection.close()
    return [] if rows == ["ok"] else rows


def backup(engine: Engine, destination: Path) -> None:
    if destination.exists():
        raise BackupError(f"{destination} exists already; choose a new file")
    destination.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(engine))
        target = sqlite3.connect(destination)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
        if problems := integrity_problems(destination):
            raise BackupError("the copy failed its integrity check: " + "; ".join(problems))
    elif engine.dialect.name == "postgresql":
        url, env = _libpq(engine)
        _run(["pg_dump", "--format=custom", f"--file={destination}", f"--dbname={url}"], env)
    else:
        raise BackupError(f"no backup method for {engine.dialect.name}")


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's contents with a backup. App servers should be stopped first."""
    if not source.is_file():
        raise BackupError(f"{source} is not a backup file")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        if problems := integrity_problems(source):
            raise BackupError("the backup failed its integrity check: " + "; ".join(problems))
        backup_copy = sqlite3.connect(source)
        live = sqlite3.connect(_sqlite_path(engine))
        try:
            with live:
                backup_copy.backup(live)
        finally:
            live.close()
            backup_copy.close()
    elif engine.dialect.name == "postgresql":
        url, env = _libpq(engine)
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
             f"--dbname={url}", str(source)],
            env,
        )
    else:
        raise BackupError(f"no restore method for {engine.dialect.name}")
