"""SQL that SQLite and PostgreSQL spell differently, written once for both."""

from sqlalchemy import JSON
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


class json_rows(GenericFunction):
    """Its arguments' values in each row of the group, as one JSON array of arrays: one value
    a list of a few small rows beside each line, where a join gives a line per row. In no
    particular order (SQLite before 3.44 cannot order an aggregate); [] or NULL for none."""

    type = JSON()
    inherit_cache = True


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element, compiler, **kw) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"
