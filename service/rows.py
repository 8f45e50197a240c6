"""Writing a few columns of a row the session already holds, without the ORM's unit of work.

On the hot path (completing a task) an ORM flush of two changed objects cost more than everything SQLite did for
the step. `write_back` sets the attributes as already stored and issues one plain UPDATE instead (the statement
for each table and set of columns is built once). Callers must not also set those attributes the ORM way first:
that leaves the object flagged, and the flush at commit then compares every column of it for nothing.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value


@lru_cache(maxsize=128)
def _statement(table: Table, columns: tuple[str, ...]):
    return update(table).where(table.c.id == bindparam("row_id")).values(
        {name: bindparam(f"v_{name}") for name in columns})


def write_back(session: Session, obj, **values) -> None:
    for key, value in values.items():
        set_committed_value(obj, key, value)
    names = tuple(sorted(values))
    params = {f"v_{name}": values[name] for name in names}
    params["row_id"] = obj.id
    session.connection().execute(_statement(type(obj).__table__, names), params)
