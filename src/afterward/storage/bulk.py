"""The one way rows are written in bulk: `insert(target, table, rows)`.

Each value goes through the bind processor SQLAlchemy would apply to its column
(`TypeEngine.bind_processor`: UTC datetimes as text on SQLite, JSON serialised, ...),
so the stored row is the one a Core `insert(table)` stores; a column the rows leave
out but the model fills in Python gets that default, as Core would give it
(tests/storage/test_bulk.py compares the two byte for byte). What differs is only how
the processed values reach the database:

- SQLite: multi-row `INSERT ... VALUES (...), (...)` on the driver's cursor. Core
  spends ~50 µs setting up each execution and SQLite needs ~10 µs for a small INSERT,
  and an ingested order makes several. New ids come back from the cursor: one
  INSERT gives its rows consecutive rowids, so they end at `lastrowid`.
- PostgreSQL, many rows and no ids wanted: COPY, several times faster than INSERTs.
- PostgreSQL otherwise: Core's executemany (`insertmanyvalues`; with the ids wanted,
  `RETURNING id` sorted by parameter order).

Driver errors come back as SQLAlchemy's exceptions (IntegrityError, ...), as from
`Connection.execute`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any, TypeVar, cast

from sqlalchemy import Table, exc
from sqlalchemy import insert as core_insert
from sqlalchemy import inspect as inspect_model
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session, make_transient_to_detached

Row = Mapping[str, Any]
M = TypeVar("M")
Processor = Callable[[Any], Any] | None
ROWS_PER_STATEMENT = 500  # SQLite: a quarter less CPU than executemany of one-row INSERTs
COPY_FROM_ROWS = 50  # PostgreSQL: fewer rows go as one INSERT (COPY costs a round trip more)


def connection_of(target: Session | Connection) -> Connection:
    """The session's connection, remembered for its current transaction:
    `Session.connection()` spends ~15 µs on state checks, and an order asks often."""
    if isinstance(target, Connection):
        return target
    transaction = target.get_transaction()
    cached = target.info.get("afterward.bulk.connection")
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cast(Connection, cached[1])
    conn = target.connection()
    target.info["afterward.bulk.connection"] = (target.get_transaction(), conn)
    return conn


def insert(target: Session | Connection, table: Table | type[Any], rows: Sequence[Row], *,
           returning_ids: bool = False) -> list[int]:
    """Insert the rows (all with the same keys) into the table (or a model's) in the
    caller's transaction; with `returning_ids`, their new ids in row order."""
    if not rows:
        return []
    names = tuple(rows[0])
    pick = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    return insert_values(target, table, names, list(map(pick, rows)),
                         returning_ids=returning_ids)


def insert_values(target: Session | Connection, table: Table | type[Any],
                  names: tuple[str, ...], rows: Sequence[tuple[Any, ...]], *,
                  returning_ids: bool = False) -> list[int]:
    """`insert` for rows given as tuples of the named columns' values, in that order:
    the same rows stored, without building a dict per row (the CSV import's orders)."""
    if not rows:
        return []
    if not isinstance(table, Table):
        table = cast(Table, table.__table__)
    conn = connection_of(target)
    names, defaults = _columns(table, names)
    values = driver_rows(table, names, rows, defaults, conn.dialect)
    if conn.dialect.name == "sqlite":
        return _sqlite(conn, table, names, values, returning_ids)
    if returning_ids or len(rows) < COPY_FROM_ROWS:
        return _core(conn, table, names, rows, defaults, returning_ids)
    _copy(conn, table, names, values)
    return []


def add_row(session: Session, model: type[M], **values: Any) -> M:
    """One new row of `model` (its column attributes as keywords), written at once as
    `insert_values` writes rows, and given back as an instance persistent in the
    session, as `session.add(model(...))` and a flush would leave it, without the unit
    of work's bookkeeping (~0.5 ms of CPU a row: a redemption writes two). Columns left
    out get their Python default, or None; a server default is read when asked for."""
    mapper = inspect_model(model)
    table = cast(Table, mapper.local_table)
    names, defaults = _columns(table, tuple(values))
    row = {**values, **defaults}
    [row[table.primary_key.columns[0].name]] = insert_values(
        session, table, names, [tuple(row.values())], returning_ids=True)
    for column in table.c:
        if column.name not in row and column.server_default is None:
            row[column.name] = None
    instance = model(**{attr.key: row[attr.columns[0].name] for attr in mapper.column_attrs
                        if attr.columns[0].name in row})
    make_transient_to_detached(instance)  # its state now reads as loaded from the row
    session.add(instance)
    return instance


_DEFAULTS: dict[tuple[Table, tuple[str, ...]], dict[str, Any]] = {}


def _columns(table: Table, given: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The columns written (those given, then the Python defaults of those left out) and
    those defaults' values. A callable default (`utcnow`) is called once per call here,
    where Core calls it once per row: a batch's rows get the same moment."""
    scalars = _DEFAULTS.get((table, given))
    if scalars is None:
        unknown = [name for name in given if name not in table.c]
        if unknown:
            raise KeyError(f"{table.name} has no column {unknown[0]!r}")
        scalars = _DEFAULTS[(table, given)] = {
            c.name: c.default for c in table.c
            if c.name not in given and c.default is not None and not c.primary_key}
    defaults = {name: default.arg(None) if default.is_callable else default.arg
                for name, default in scalars.items()}
    return given + tuple(defaults), defaults


_PROCESSORS: dict[tuple[Table, tuple[str, ...], str], list[Processor]] = {}


def _processors(table: Table, names: tuple[str, ...], dialect: Dialect) -> list[Processor]:
    """Each column's bind processor for this dialect (what Core applies), found once."""
    key = (table, names, dialect.name)
    found = _PROCESSORS.get(key)
    if found is None:
        found = _PROCESSORS[key] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    return found


def driver_rows(table: Table, names: tuple[str, ...], rows: Sequence[tuple[Any, ...]],
                defaults: dict[str, Any], dialect: Dialect) -> Sequence[tuple[Any, ...]]:
    """The rows, then the defaults, as tuples of what the driver is handed. Only columns
    with a processor are taken apart (column by column: loops in C); rows needing none
    go as they are."""
    processors = _processors(table, names, dialect)
    if not defaults and not any(processors):
        return rows
    count = len(rows)
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    columns += [[value] * count for value in defaults.values()]
    for i, process in enumerate(processors):
        if process is not None:
            columns[i] = processed(process, columns[i])
    return list(zip(*columns, strict=True))


def processed(process: Callable[[Any], Any], column: Sequence[Any]) -> list[Any]:
    """The column's values through its processor; each object once when a few fill
    many rows (a batch's `now`, `None`). Identity, not equality: 1 and True are equal
    but JSON writes them apart."""
    first = column[0]
    if all(value is first for value in column):
        return [process(first)] * len(column)
    objects = {id(value): value for value in column}
    if len(objects) * 4 <= len(column):
        done = {key: process(value) for key, value in objects.items()}
        return [done[id(value)] for value in column]
    return list(map(process, column))




def _sqlite(conn: Connection, table: Table, names: tuple[str, ...],
            values: Sequence[tuple[Any, ...]], returning_ids: bool) -> list[int]:
    driver: Any = conn.connection.dbapi_connection
    allowed = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # parameters a statement
    per = max(1, min(ROWS_PER_STATEMENT, allowed // len(names)))
    ids: list[int] = []
    cursor = driver.cursor()
    try:
        start = 0
        for size in chunk_sizes(len(values), per):
            chunk = values[start:start + size]
            start += size
            _execute(conn, cursor, _values_sql(conn.dialect, table, names, len(chunk)),
                     list(chain.from_iterable(chunk)))
            if returning_ids:
                last = cursor.lastrowid
                ids += range(last - len(chunk) + 1, last + 1)
    finally:
        cursor.close()
    return ids


def chunk_sizes(count: int, per: int) -> list[int]:
    """How `count` rows go as statements of at most `per` rows: whole statements of
    `per`, then the rest as powers of two, largest first (300: 256, 32, 8, 4). The
    driver keeps prepared statements by their text, and SQLite takes ~2 ms to parse
    one of 500 rows of 13 values, seven times what running it takes: with a few sizes
    only, the statements of every batch after the first are prepared already."""
    whole, rest = divmod(count, per)
    return [per] * whole + [1 << bit for bit in reversed(range(rest.bit_length()))
                            if rest >> bit & 1]


_SQL: dict[tuple[Table, tuple[str, ...], int], str] = {}


def _values_sql(dialect: Dialect, table: Table, names: tuple[str, ...], count: int) -> str:
    """INSERT INTO table (names) VALUES (?, ...), ... for `count` rows, written once."""
    sql = _SQL.get((table, names, count))
    if sql is None:
        quote = dialect.identifier_preparer.quote
        group = f"({', '.join('?' * len(names))})"
        sql = _SQL[(table, names, count)] = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
            f"VALUES {', '.join([group] * count)}")
    return sql


def _execute(conn: Connection, cursor: Any, sql: str, params: list[Any]) -> None:
    error_class = conn.dialect.loaded_dbapi.Error
    try:
        cursor.execute(sql, params)
    except error_class as error:
        raise exc.DBAPIError.instance(sql, params, error, error_class) from error


def _core(conn: Connection, table: Table, names: tuple[str, ...],
          rows: Sequence[tuple[Any, ...]], defaults: dict[str, Any],
          returning_ids: bool) -> list[int]:
    given = names[:len(names) - len(defaults)]
    params = [{**defaults, **dict(zip(given, row, strict=True))} for row in rows]
    if not returning_ids:
        conn.execute(core_insert(table), params)
        return []
    stmt = core_insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(conn.execute(stmt, params).scalars())


def _copy(conn: Connection, table: Table, names: tuple[str, ...],
          values: Sequence[tuple[Any, ...]]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    command = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    driver: Any = conn.connection.dbapi_connection
    try:
        with driver.cursor() as cursor, cursor.copy(command) as copy:
            for row in values:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(command, [], error,
                                      conn.dialect.loaded_dbapi.Error) from error
