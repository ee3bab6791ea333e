"""Lists shown a part at a time: some rows, with how many the whole list has (and their sum).

The count and the sum come with the rows, in the same query: a window function computed over
every row the query finds before LIMIT keeps a page of them (`fetch`, `paged`), or subqueries
of the statement's own that count and sum the whole list (`totals_of`). A list shown on every
load of a busy page is a statement built once (`paged`, or `totals_of` with the :limit and
:offset parameters) and read by `read`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Integer, Select, bindparam, func, select

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


def paged(statement: Select, amount=None) -> Select:
    """The statement with the count of all its rows (and the sum of `amount`) on each, keeping
    one page of them: to build once and `read` often."""
    return one_page(statement.add_columns(*_window_totals(amount)))


def read(statement: Select, parameters: dict, row: Callable, *, page: int, per_page: int,
         amount: bool = False) -> Listing:
    """Page `page` of a statement built once that keeps a page by the :limit and :offset
    parameters and carries the totals (`paged`, `totals_of`), each row made by `row`.

    Plain rows through the session's connection: the ORM would wrap every row again.
    """
    records = db.session.connection().execute(
        statement, parameters | {"limit": per_page, "offset": (max(page, 1) - 1) * per_page},
    ).all()
    return listing(records, row, page=page, per_page=per_page, amount=amount)


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
