"""INSERTs and look-ups for the statements that run on every ingested order.

SQLAlchemy Core spends about 60 µs setting up each execution; SQLite itself needs about
10 µs for a small INSERT. On SQLite, `FastInsert` hands the statement straight to the
driver's cursor, with every value passed through the bind processor SQLAlchemy would
have applied (UTC datetimes as text, JSON serialised, ...), so the stored row is the
same; driver errors come back as SQLAlchemy's exceptions (IntegrityError, ...), as from
`Connection.execute`. Other databases, and rows that leave out a column with a
Python-side default (which SQLAlchemy would fill in), take the ordinary Core insert.

New primary keys come back in row order: on SQLite a multi-row INSERT gives its rows
consecutive rowids, so they end at the cursor's lastrowid."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, exc, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any] | None
MAX_PARAMETERS = 999  # SQLite's oldest limit per statement; rows are sent in chunks below it


def connection_of(target: Session | Connection) -> Connection:
    """The session's connection, remembered for its current transaction:
    `Session.connection()` spends ~15 µs on state checks, and an order asks six times."""
    if isinstance(target, Connection):
        return target
    transaction = target.get_transaction()
    cached = target.info.get("fast_sql.connection")
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cast(Connection, cached[1])
    conn = target.connection()
    target.info["fast_sql.connection"] = (target.get_transaction(), conn)
    return conn


class FastInsert:
    def __init__(self, table: Table, *, returning_ids: bool = False) -> None:
        self.table = table
        self.returning_ids = returning_ids
        stmt = insert(table)
        self._core = stmt.returning(table.c.id, sort_by_parameter_order=True) \
            if returning_ids else stmt
        self._defaulted = frozenset(c.name for c in table.c if c.default is not None)
        self._known: set[tuple[str, ...]] = set()
        self._prepared: dict[tuple[str, ...], tuple[str, list[Processor]]] = {}

    def __call__(self, target: Session | Connection,
                 rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert the rows (all with the same keys); the new ids if `returning_ids`."""
        if not rows:
            return []
        conn = connection_of(target)
        names = tuple(rows[0])
        if names not in self._known:
            unknown = [name for name in names if name not in self.table.c]
            if unknown:
                raise KeyError(f"{self.table.name} has no column {unknown[0]!r}")
            self._known.add(names)
        if conn.dialect.name != "sqlite" or not self._defaulted.issubset(names):
            result = conn.execute(self._core, list(rows))
            return list(result.scalars()) if self.returning_ids else []
        one, processors = self._prepare(names, conn.dialect)
        per = max(1, MAX_PARAMETERS // len(names))
        ids: list[int] = []
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            for start in range(0, len(rows), per):
                chunk = rows[start:start + per]
                params: list[Any] = []
                for row in chunk:
                    params += [value if process is None else process(value) for value, process
                               in zip(map(row.__getitem__, names), processors, strict=True)]
                sql = one if len(chunk) == 1 else self._many(one, len(chunk))
                try:
                    cursor.execute(sql, params)
                except conn.dialect.loaded_dbapi.Error as error:
                    raise exc.DBAPIError.instance(sql, params, error,
                                                  conn.dialect.loaded_dbapi.Error) from error
                if self.returning_ids:
                    last = cursor.lastrowid
                    ids += range(last - len(chunk) + 1, last + 1)
        finally:
            cursor.close()
        return ids

    def _prepare(self, names: tuple[str, ...], dialect: Dialect) -> tuple[str, list[Processor]]:
        found = self._prepared.get(names)
        if found is None:
            columns = [self.table.c[name] for name in names]
            quote = dialect.identifier_preparer.quote
            sql = (f"INSERT INTO {quote(self.table.name)} "
                   f"({', '.join(quote(c.name) for c in columns)}) "
                   f"VALUES ({', '.join('?' * len(columns))})")
            processors: list[Processor] = [c.type._cached_bind_processor(dialect)
                                           for c in columns]
            found = self._prepared[names] = (sql, processors)
        return found

    @staticmethod
    def _many(one: str, count: int) -> str:
        head, _, values = one.partition(" VALUES ")
        return f"{head} VALUES {', '.join([values] * count)}"


class FastSelect:
    """A fixed SELECT (plain bind parameters, no expanding IN) run the same way: on
    SQLite straight on the driver's cursor with SQLAlchemy's bind and result
    processors, rows as named tuples; elsewhere through Core."""

    def __init__(self, stmt: Select[Any]) -> None:
        self.stmt = stmt
        self._prepared: _PreparedSelect | None = None

    def __call__(self, target: Session | Connection, params: Mapping[str, Any]) -> list[Any]:
        conn = connection_of(target)
        if conn.dialect.name != "sqlite":
            return list(conn.execute(self.stmt, dict(params)).all())
        prepared = self._prepared or self._prepare(conn.dialect)
        values = []
        for name, process in prepared.binds:
            value = params[name] if name in params else prepared.defaults[name]
            values.append(value if process is None else process(value))
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            try:
                cursor.execute(prepared.sql, values)
                fetched = cursor.fetchall()
            except conn.dialect.loaded_dbapi.Error as error:
                raise exc.DBAPIError.instance(prepared.sql, values, error,
                                              conn.dialect.loaded_dbapi.Error) from error
        finally:
            cursor.close()
        row, results = prepared.row, prepared.results
        if not any(results):
            return [row._make(r) for r in fetched]
        return [row._make(v if p is None else p(v) for v, p in zip(r, results, strict=True))
                for r in fetched]

    def _prepare(self, dialect: Dialect) -> _PreparedSelect:
        compiled = self.stmt.compile(dialect=dialect)
        names = compiled.positiontup or []
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("FastSelect takes plain bind parameters, not expanding ones")
        columns = compiled._result_columns
        self._prepared = _PreparedSelect(
            sql=compiled.string,
            binds=[(name, compiled.binds[name].type._cached_bind_processor(dialect))
                   for name in names],
            defaults={name: compiled.binds[name].effective_value for name in names},
            results=[c.type._cached_result_processor(dialect, None) for c in columns],
            row=namedtuple("Row", [c.keyname for c in columns]))
        return self._prepared


@dataclass(frozen=True)
class _PreparedSelect:
    sql: str
    binds: list[tuple[str, Processor]]
    defaults: dict[str, Any]
    results: list[Processor]
    row: Any


class FastWrite:
    """A fixed UPDATE or DELETE (plain bind parameters), run one row's worth at a time
    straight on the driver's cursor, on SQLite and on PostgreSQL alike, with
    SQLAlchemy's bind processors: Core spends ~80 µs of CPU setting up each execution,
    psycopg ~45 µs in all (measured for messaging's sending marks). Returns the rows
    of its RETURNING clause as plain tuples (none without one) and the row count."""

    def __init__(self, stmt: UpdateBase) -> None:
        self.stmt = stmt
        self._prepared: dict[str, _PreparedWrite] = {}

    def __call__(self, conn: Connection, params: Mapping[str, Any]
                 ) -> tuple[list[tuple[Any, ...]], int]:
        prepared = self._prepared.get(conn.dialect.name) or self._prepare(conn.dialect)
        processed = {}
        for name, process in prepared.binds:
            value = params[name] if name in params else prepared.defaults[name]
            processed[name] = value if process is None else process(value)
        values: Any = [processed[name] for name in prepared.order] if prepared.order \
            else processed
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            try:
                cursor.execute(prepared.sql, values)
                rows = [tuple(r) for r in cursor.fetchall()] if prepared.returns else []
            except conn.dialect.loaded_dbapi.Error as error:
                raise exc.DBAPIError.instance(prepared.sql, values, error,
                                              conn.dialect.loaded_dbapi.Error) from error
            return rows, int(cursor.rowcount)
        finally:
            cursor.close()

    def _prepare(self, dialect: Dialect) -> _PreparedWrite:
        compiled = self.stmt.compile(dialect=dialect)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("FastWrite takes plain bind parameters, not expanding ones")
        names = list(compiled.positiontup or compiled.binds)
        prepared = self._prepared[dialect.name] = _PreparedWrite(
            sql=compiled.string,
            binds=[(name, compiled.binds[name].type._cached_bind_processor(dialect))
                   for name in dict.fromkeys(names)],
            defaults={name: compiled.binds[name].effective_value for name in names},
            order=list(compiled.positiontup or []),
            returns=bool(compiled.returning))
        return prepared


@dataclass(frozen=True)
class _PreparedWrite:
    sql: str
    binds: list[tuple[str, Processor]]
    defaults: dict[str, Any]
    order: list[str]  # positional parameters (SQLite); empty for named ones
    returns: bool
