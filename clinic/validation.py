from datetime import date

from flask import abort, request
from werkzeug.routing import IntegerConverter

# The largest number an INTEGER column holds on PostgreSQL (SQLite's are wider). A bigger one
# in a URL, a query or a form names no record and fits no column.
INTEGER_MAX = 2**31 - 1

# The days the app's calendar spans. Python's own runs from year 1 to 9999, and the schedule
# and reports step a day or a week either side of the day shown.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)
OUTSIDE_CALENDAR = f"Choose a date between {EARLIEST_DAY.year} and {LATEST_DAY.year}."


class ValidationError(Exception):
    """A rule a service refused, with one message per form field ("" for the whole form)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in errors.items()))
        self.errors = errors


def apply_to_form(form, error: ValidationError) -> None:
    """Show a service's refusal next to the field it concerns."""
    for name, message in error.errors.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def unsaved_entries(typed, saved) -> list[tuple[str, str]]:
    """Where a form refused as stale differs from the same form filled from the record as
    saved now: each field's label and the text typed, so the typing is shown, not lost."""
    entries = []
    for field in typed:
        if field.name in ("csrf_token", "version") or field.data == saved[field.name].data:
            continue
        text = ", ".join(map(str, field.data)) if isinstance(field.data, list) else field._value()
        entries.append((field.label.text, text))
    return entries


def whole_number(value) -> int:
    """A whole number a user sent (an id, a page) that the database can hold, or ValueError:
    so `request.args.get(name, type=whole_number)` and `coerce=whole_number` refuse the rest."""
    text = str(value)
    # str.isdigit() also admits digits int() refuses, such as "²".
    if not (text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= INTEGER_MAX):
        raise ValueError(f"not a whole number the database can hold: {text[:20]!r}")
    return int(text)


def whole_number_or_none(value) -> int | None:
    try:
        return whole_number(value)
    except ValueError:
        return None


def in_calendar(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def parse_day(text: str) -> date | None:
    """A day written YYYY-MM-DD (in a URL's query) that is in the app's calendar, or None."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if in_calendar(day) else None


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every route: a number the database can hold; any other is not found."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", INTEGER_MAX)
        super().__init__(url_map, *args, **kwargs)


def refuse_nul_characters() -> None:
    """Before every request: no keyboard types a NUL character and PostgreSQL cannot keep one
    in text, so a query or form that carries one is refused whole."""
    for data in (request.args, request.form):
        for name, values in data.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                abort(400)
