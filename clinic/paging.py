"""Lists shown a part at a time: some rows, with how many the whole list has (and their sum).

The count and the sum come with the rows, in the same query: a window function computed over
every row the query finds before LIMIT keeps a page of them (`fetch`, `paged`), or subqueries
of the statement's own that count and sum the whole list (`totals_of`). A list shown on every
load of a busy page is a statement built once (`paged`, or `totals_of` with the :limit and
:offset parameters) and read by `read`; a page showing the newest few of several lists reads
them all in one statement (`first_pages`).
"""

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from operator import attrgetter

from sqlalchemy import (
    JSON,
    CompoundSelect,
    Date,
    DateTime,
    Integer,
    Numeric,
    Select,
    bindparam,
    func,
    literal,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.types import TypeDecorator

from clinic.extensions import db
from clinic.validation import whole_number_or_none

PER_PAGE = 25
# A record's page (a client's, say) shows this many of its newest related rows, and links to
# a page of all of them when there are more.
LATEST = 10


@dataclass(frozen=True)
class Listing:
    rows: list
    # How many rows the whole list has, shown or not.
    count: int
    # The `amount` of every row summed, for a list of money.
    amount: Decimal | None = None
    page: int = 1
    # 0: every row is shown.
    per_page: int = 0

    @property
    def unlisted(self) -> int:
        return self.count - len(self.rows)

    @property
    def pages(self) -> int:
        return max(-(-self.count // self.per_page), 1) if self.per_page else 1


def page_number(text: str | None) -> int:
    """The page asked for in a query string, 1 when it is missing or not a page."""
    return whole_number_or_none(text) or 1


def totals_of(table, *conditions, amount=None) -> list:
    """Columns that count the rows of `table` meeting the conditions (and sum their `amount`),
    for a statement that keeps a page of those rows, as `listing` reads them: each is a
    subquery the database runs once, however many rows it finds and keeps."""
    columns = [select(func.count()).select_from(table).where(*conditions).correlate(None)
               .scalar_subquery().label("rows_in_all")]
    if amount is not None:
        columns.append(select(func.coalesce(func.sum(amount), 0)).select_from(table)
                       .where(*conditions).correlate(None).scalar_subquery()
                       .label("amount_in_all"))
    return columns


def _window_totals(amount) -> list:
    totals = [func.count().over().label("rows_in_all")]
    if amount is not None:
        totals.append(func.sum(amount).over().label("amount_in_all"))
    return totals


def one_page(statement: Select, *, written: bool = False) -> Select:
    """The statement keeping one page of its rows, by the :limit and :offset that `read` sets;
    `written` into the statement as it is sent, for a statement whose best plan depends on how
    few rows a page is (PostgreSQL plans a prepared statement once for any page only when that
    plan looks no dearer than one made for the page asked for)."""
    return statement.limit(bindparam("limit", type_=Integer, literal_execute=written)).offset(
        bindparam("offset", type_=Integer, literal_execute=written))


def paged(statement: Select, order_by: Sequence, amount=None) -> Select:
    """The statement's rows in the order of `order_by`, each with its `place` in that order and
    the count of all of them (and the sum of `amount`), keeping one page of them: to build once
    and `read` often."""
    return one_page(statement.add_columns(
        *_window_totals(amount), func.row_number().over(order_by=order_by).label("place"),
    ).order_by(*order_by))


@dataclass(frozen=True)
class Query:
    """A list to read a page of: its statement built once, which keeps a page by the :limit and
    :offset parameters and carries the totals (`paged`, `totals_of`), the parameters of this
    list, and how each row is made."""

    statement: Select
    parameters: dict
    row: Callable
    # Whether the statement sums an amount (`amount_in_all`).
    amount: bool = False


def read(query: Query, *, page: int, per_page: int) -> Listing:
    """Page `page` of the list.

    Plain rows through the session's connection: the ORM would wrap every row again.
    """
    records = db.session.connection().execute(
        query.statement,
        query.parameters | {"limit": per_page, "offset": (max(page, 1) - 1) * per_page},
    ).all()
    return listing(records, query.row, page=page, per_page=per_page, amount=query.amount)


def first_pages(*queries: Query, per_page: int) -> list[Listing]:
    """The first page of each list, all in one statement, for a page that shows the newest few
    of several lists on every load: a statement costs a page more than a few rows do. On
    PostgreSQL each list's rows come as a JSON array, as a round trip costs a busy server more
    than the JSON; SQLite, which has no round trip to save but reads rows faster than JSON,
    gives the lists' rows one after another (`_side_by_side`). Each list's statement comes
    from `paged`; lists read together give the same value to a parameter they share.
    """
    parameters = {"limit": per_page, "offset": 0}
    for query in queries:
        for name, value in query.parameters.items():
            if parameters.setdefault(name, value) != value:
                raise ValueError(f"the lists read together differ in :{name}")
    statements = tuple(query.statement for query in queries)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        found = connection.execute(_together(statements), parameters).one()
        records = [map(_json_record(query.statement, connection.dialect), items or ())
                   for query, items in zip(queries, found, strict=True)]
    else:
        records = _records_side_by_side(
            statements, connection.execute(_side_by_side(statements), parameters))
    # Each list's rows are put back in order: neither json_agg nor UNION ALL keeps it.
    return [listing(sorted(rows, key=attrgetter("place")), query.row, per_page=per_page,
                    amount=query.amount)
            for query, rows in zip(queries, records, strict=True)]


@cache
def _together(statements: tuple[Select, ...]) -> Select:
    """One row with a column per statement: its rows as a JSON array (NULL with none)."""
    columns = []
    for number, statement in enumerate(statements):
        rows = statement.subquery()
        pairs = [part for column in rows.c for part in (literal_column(f"'{column.key}'"), column)]
        columns.append(select(func.json_agg(func.json_build_object(*pairs), type_=JSON))
                       .scalar_subquery().label(f"list_{number}"))
    return select(*columns)


@cache
def _side_by_side(statements: tuple[Select, ...]) -> CompoundSelect:
    """Every statement's rows in one: a row's first column is the number of its statement, and
    each statement has columns of its own, NULL in the other statements' rows. Each column
    keeps its type, so its values are read as the statement alone would read them."""
    lists = [statement.subquery() for statement in statements]
    return union_all(*(
        select(literal(number, Integer).label("list"), *(
            (column if other is rows else type_coerce(null(), column.type))
            .label(f"list_{position}_{column.key}")
            for position, other in enumerate(lists) for column in other.c
        )).select_from(rows)
        for number, rows in enumerate(lists)
    ))


@cache
def _record_type(statement: Select) -> type:
    """The type of a row of the statement, read apart from it (`_side_by_side`, `_together`)."""
    return namedtuple("Record", statement.subquery().c.keys())


@cache
def _records(statements: tuple[Select, ...]) -> list[tuple[type, slice]]:
    """For each statement, its rows' type and where its columns are in `_side_by_side`'s."""
    found, start = [], 1
    for statement in statements:
        record = _record_type(statement)
        found.append((record, slice(start, start + len(record._fields))))
        start += len(record._fields)
    return found


def _records_side_by_side(statements: tuple[Select, ...], lines) -> list[list[tuple]]:
    """Each statement's rows, as the statement alone gives them, from `_side_by_side`'s."""
    records = _records(statements)
    found: list[list[tuple]] = [[] for _ in statements]
    for line in lines:
        record, columns = records[line[0]]
        found[line[0]].append(record._make(line[columns]))
    return found


@cache
def _json_record(statement: Select, dialect) -> Callable[[dict], tuple]:
    """A row of the statement, with the values its columns' types give, from its JSON object."""
    record = _record_type(statement)
    converted = [(column.key, convert) for column in statement.subquery().c
                 if (convert := from_json(column.type, dialect))]

    def record_of(item: dict) -> tuple:
        for key, convert in converted:
            item[key] = convert(item[key])
        return record(**item)

    return record_of


def from_json(column_type, dialect) -> Callable | None:
    """How a column's value from JSON becomes the one its type gives from the database (None:
    it is the same): JSON has no dates, and money comes as the integer it is stored as."""
    if isinstance(column_type, TypeDecorator):
        stored = from_json(column_type.impl_instance, dialect)
        if stored is None:
            return lambda value: column_type.process_result_value(value, dialect)
        return lambda value: column_type.process_result_value(stored(value), dialect)
    if isinstance(column_type, Numeric):
        raise TypeError("a decimal would come through JSON as a float")
    parse = (datetime.fromisoformat if isinstance(column_type, DateTime)
             else date.fromisoformat if isinstance(column_type, Date)
             else None)
    return parse and (lambda value: None if value is None else parse(value))


def fetch(statement: Select, row: Callable, *, page: int = 1, per_page: int = 0,
          amount=None) -> Listing:
    """Page `page` of the statement's rows, each made by `row` (every row when per_page is 0),
    with the count of all of them and, given an `amount` column, its sum over all of them."""
    statement = statement.add_columns(*_window_totals(amount))
    if per_page:
        statement = statement.limit(per_page).offset((page - 1) * per_page)
    return listing(db.session.execute(statement).all(), row, page=page, per_page=per_page,
                   amount=amount is not None)


def listing(records: Sequence, row: Callable, *, page: int = 1, per_page: int = 0,
            amount: bool = False) -> Listing:
    """A page of records, each made by `row`, that carry the count of the whole list
    (`rows_in_all`) and, for a list of money, its sum (`amount_in_all`)."""
    first = records[0] if records else None
    return Listing(
        [row(record) for record in records],
        first.rows_in_all if first else 0,
        (first.amount_in_all if first else Decimal(0)) if amount else None,
        page, per_page,
    )
