"""The whole clinic as plain files, so no one is locked in: every table as CSV and as JSON.

`export(directory)` writes <table>.csv and <table>.json for each table, the stored documents
(handout PDFs, the logo) under files/, and manifest.json: what each file holds and what was
left out. Secrets never leave: password hashes, authenticator secrets, the hashes of session
tokens, recovery codes and link tokens.

The JSON files are the faithful copy: every value as stored, times in UTC and ISO 8601, exact
decimals as text ("95.50"). The CSV files are for spreadsheets: a text cell that starts with
= + - @ gets a leading apostrophe (clinic.spreadsheets), so a spreadsheet shows what a client
typed instead of running it; otherwise they hold the same values.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import IO

from sqlalchemy import Column, Table, select, text

from clinic.audit import services as audit
from clinic.extensions import db
from clinic.spreadsheets import write_csv
from clinic.types import utcnow

FORMAT = "clinic.export"
FORMAT_VERSION = 1
# Rows read at a time: a clinic's tables never sit in memory whole, handout PDFs included.
BATCH = 200

LEFT_OUT_TABLES = {
    "staff_session": "signed-in browsers: only the hashes of their session tokens",
    "staff_recovery_code": "the hashes of two-factor recovery codes",
}
LEFT_OUT_COLUMNS = {
    ("staff_user", "password_hash"): "password hashes",
    ("staff_user", "totp_secret"): "two-factor authenticator secrets",
    ("intake_link", "token_hash"): "the keyed hashes of intake link tokens",
    ("handout_link", "token_hash"): "the keyed hashes of handout link tokens",
}
FILE_TYPES = ((b"%PDF-", ".pdf"), (b"\x89PNG", ".png"), (b"\xff\xd8\xff", ".jpg"))


class ExportError(RuntimeError):
    """The export could not start; the message says why."""


@dataclass(frozen=True)
class Summary:
    tables: int
    rows: int


def _file_name(table: Table, column: Column, row, data: bytes) -> str:
    key = "-".join(str(row._mapping[part.name]) for part in table.primary_key.columns)
    suffix = next((ext for magic, ext in FILE_TYPES if data.startswith(magic)), ".bin")
    return f"files/{table.name}-{column.name}-{key}{suffix}"


def _faithful(value):
    """A stored value as JSON holds it exactly."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _cell(value):
    """A stored value as a CSV cell (spreadsheet_safe guards the text when it is written)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return value  # a number stays a number, negative or not
    return _faithful(value)


class _TableWriter:
    """One table's rows to its CSV and JSON files, read once; stored documents to files/."""

    def __init__(self, directory: Path, table: Table, columns: list[Column]):
        self.directory, self.table, self.columns = directory, table, columns
        self.rows = 0

    def _values(self, row) -> list:
        values = []
        for column in self.columns:
            value = row._mapping[column.name]
            if isinstance(value, bytes):
                name = _file_name(self.table, column, row, value)
                (self.directory / name).write_bytes(value)
                value = name
            values.append(value)
        return values

    def _csv_rows(self, json_file: IO[str]) -> Iterator[list]:
        names = [column.name for column in self.columns]
        statement = (select(*self.columns).order_by(*self.table.primary_key.columns)
                     .execution_options(yield_per=BATCH))
        with db.session.execute(statement) as result:
            for row in result:
                values = self._values(row)
                # The JSON line is written as the row passes on to the CSV: one read, two files.
                record = dict(zip(names, (_faithful(value) for value in values), strict=True))
                json_file.write(("[\n" if self.rows == 0 else ",\n")
                                + json.dumps(record, ensure_ascii=False))
                self.rows += 1
                yield [_cell(value) for value in values]

    def write(self) -> None:
        header = [column.name for column in self.columns]
        json_path = self.directory / f"{self.table.name}.json"
        with (json_path.open("w", encoding="utf-8") as json_file,
              (self.directory / f"{self.table.name}.csv").open("wb") as csv_file):
            write_csv(csv_file, chain([header], self._csv_rows(json_file)))
            json_file.write("\n]\n" if self.rows else "[]\n")


def _exported_columns(table: Table) -> list[Column]:
    return [column for column in table.columns
            if (table.name, column.name) not in LEFT_OUT_COLUMNS]


def _begin_snapshot() -> None:
    """Read every table in one transaction that sees one moment: the files agree with each
    other while the clinic keeps working."""
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    elif db.engine.dialect.name == "sqlite":
        # The driver opens a transaction only before a write; in WAL mode an explicit one
        # holds a reader's snapshot without blocking the app.
        db.session.connection().exec_driver_sql("BEGIN")


def _manifest(tables: list[dict], revision: str | None) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": utcnow().isoformat(),
        "schema_revision": revision,
        "tables": tables,
        "left_out": {
            "tables": LEFT_OUT_TABLES,
            "columns": {f"{table}.{column}": why
                        for (table, column), why in LEFT_OUT_COLUMNS.items()},
        },
        "notes": [
            "The JSON files hold every value exactly as stored: times in UTC (ISO 8601), "
            "exact decimals as text (\"95.50\"; amounts are in the invoice's currency).",
            "The CSV files hold the same values for spreadsheets, with one change: a text cell "
            "that starts with = + - @ or a tab has a leading apostrophe, so that a spreadsheet "
            "shows it as text instead of running it as a formula.",
            "Stored documents (handout PDFs, the logo) are in files/; their cells name the file.",
        ],
    }


def export(directory: Path) -> Summary:
    """Write the whole clinic to `directory` (new or empty), and put the export on record."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ExportError(f"{directory} is not an empty directory; choose a new one")
    # Health records: readable by the owner of the files only.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    (directory / "files").mkdir(mode=0o700)
    _begin_snapshot()
    tables = []
    for table in db.metadata.sorted_tables:
        if table.name in LEFT_OUT_TABLES:
            continue
        writer = _TableWriter(directory, table, _exported_columns(table))
        writer.write()
        tables.append({"name": table.name, "rows": writer.rows,
                       "columns": [column.name for column in writer.columns],
                       "csv": f"{table.name}.csv", "json": f"{table.name}.json"})
    revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    db.session.rollback()
    (directory / "manifest.json").write_text(
        json.dumps(_manifest(tables, revision), ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8")
    summary = Summary(len(tables), sum(table["rows"] for table in tables))
    audit.record("clinic.exported", detail={"directory": str(directory.resolve()),
                                            "tables": summary.tables, "rows": summary.rows})
    db.session.commit()
    return summary
