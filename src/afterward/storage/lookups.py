"""Look-ups on hot paths (every ingested order, every redemption): a customer by email,
variants by SKU, a store's program.

Core spends ~50 µs setting up each execution, where SQLite answers a look-up by index
in ~7 µs. So on SQLite a `Lookup` runs its statement, compiled once, on the driver's
cursor, with each parameter through the bind processor Core would apply and each
column through the result processor Core would apply (the public `TypeEngine` API):
the rows read the same as Core's (tests/storage/test_lookups.py). Elsewhere it is
Core's `Connection.execute`."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

from afterward.storage.bulk import connection_of

Processor = Callable[[Any], Any] | None
_REQUIRED = object()  # a parameter the statement gives no value for


@dataclass(frozen=True)
class _Compiled:
    sql: str
    binds: list[tuple[str, Any, Processor]]  # name, value bound in the statement, processor
    results: list[Processor]


class Lookup:
    """A fixed SELECT with plain bind parameters (no expanding IN); rows as named tuples."""

    def __init__(self, stmt: Select[Any]) -> None:
        self.stmt = stmt
        self.row: Any = namedtuple("Row", [c.key for c in stmt.selected_columns])  # type: ignore[misc]
        self._sqlite: _Compiled | None = None

    def __call__(self, target: Session | Connection, params: Mapping[str, Any]) -> list[Any]:
        conn = connection_of(target)
        if conn.dialect.name != "sqlite":
            return [self.row._make(row) for row in conn.execute(self.stmt, dict(params))]
        compiled = self._sqlite or self._compile(conn.dialect)
        values = [_value(params, name, bound, process) for name, bound, process in compiled.binds]
        return [self.row._make([p(v) if p else v for v, p in zip(row, compiled.results,
                                                                 strict=True)])
                for row in _fetch(conn, compiled.sql, values)]

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.stmt.compile(dialect=dialect)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("a Lookup takes plain bind parameters, not expanding ones")
        bound = compiled.params  # values given in the statement itself (a LIMIT's)
        self._sqlite = _Compiled(
            sql=compiled.string,
            binds=[(name, _REQUIRED if compiled.binds[name].required else bound[name],
                    compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                   for name in compiled.positiontup or []],
            results=[c.type.dialect_impl(dialect).result_processor(dialect, None)
                     for c in self.stmt.selected_columns])
        return self._sqlite


def _value(params: Mapping[str, Any], name: str, bound: Any, process: Processor) -> Any:
    value = params[name] if name in params or bound is _REQUIRED else bound
    return value if process is None else process(value)


def _fetch(conn: Connection, sql: str, values: list[Any]) -> list[Any]:
    error_class = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, values)
        return list(cursor.fetchall())
    except error_class as error:
        raise exc.DBAPIError.instance(sql, values, error, error_class) from error
    finally:
        cursor.close()
