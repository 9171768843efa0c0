"""Bulk inserts for a few hundred thousand rows, in the caller's transaction.
SQLAlchemy's per-value type processing costs more than the database here, so
values are converted once to what the column types would send (SQLite: UTC text
datetimes and JSON text; PostgreSQL: aware datetimes and Jsonb) and handed to
the driver: executemany on SQLite, COPY on PostgreSQL. Ids that other rows need
come from max(id) + 1 on SQLite (safe: the transaction began with BEGIN
IMMEDIATE and holds the write lock) and from the id sequence on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Table, func, select, text
from sqlalchemy.orm import Session

from afterward.storage.types import UTCDateTime

CHUNK = 5000
Convert = Callable[[Any], Any]


def _sqlite_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime refused: use an aware datetime")
    # The format SQLAlchemy's SQLite DATETIME writes, so text comparisons agree.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime refused: use an aware datetime")
    return value


def _sqlite_converter(column_type: Any) -> Convert | None:
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime
    if isinstance(column_type, JSON):
        return lambda v: None if v is None else json.dumps(v)
    if isinstance(column_type, Boolean):
        return lambda v: None if v is None else int(v)
    if isinstance(column_type, Date):
        return lambda v: None if v is None else date.isoformat(v)
    return None


def _postgres_converter(column_type: Any) -> Convert | None:
    if isinstance(column_type, UTCDateTime):
        return _aware
    if isinstance(column_type, JSON):
        from psycopg.types.json import Jsonb

        return lambda v: None if v is None else Jsonb(v)
    return None


def _python_defaults(table: Table, given: set[str]) -> dict[str, Any]:
    """Values for columns the rows leave out but the model fills in Python."""
    values = {}
    for column in table.columns:
        default = column.default
        if column.name in given or column.primary_key or default is None:
            continue
        if getattr(default, "is_scalar", False):
            values[column.name] = default.arg  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            values[column.name] = default.arg(None)  # type: ignore[attr-defined]
    return values


class BulkWriter:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def insert(self, model: Any, rows: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
        """Insert rows (all with the same keys); with ids=True return their new ids."""
        if not rows:
            return []
        table: Table = model.__table__
        new_ids = self._reserve_ids(table, len(rows)) if ids else []
        columns, chunks = self._values(table, rows, new_ids)
        quoted = ", ".join(f'"{name}"' for name in columns)
        if self.dialect == "postgresql":
            raw = self.session.connection().connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
                    f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for chunk in chunks:
                    for row in chunk:
                        copy.write_row(row)
            return new_ids
        placeholders = ", ".join("?" for _ in columns)
        sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({placeholders})'
        connection = self.session.connection()
        for chunk in chunks:
            connection.exec_driver_sql(sql, chunk)
        return new_ids

    def _reserve_ids(self, table: Table, count: int) -> list[int]:
        if self.dialect == "postgresql":
            taken = self.session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                     "FROM generate_series(1, :count)"),
                {"table": table.name, "count": count})
            return sorted(int(value) for value in taken)
        first = int(self.session.scalar(select(func.max(table.c.id))) or 0) + 1
        return list(range(first, first + count))

    def _values(self, table: Table, rows: list[dict[str, Any]],
                ids: list[int]) -> tuple[list[str], Any]:
        """Column names, and the rows as tuples of driver values, chunk by chunk."""
        converter = _postgres_converter if self.dialect == "postgresql" else _sqlite_converter
        names = list(rows[0])
        defaults = _python_defaults(table, set(names))
        converters = [converter(table.c[name].type) for name in names]
        fixed = [(converter(table.c[name].type) or (lambda v: v))(value)
                 for name, value in defaults.items()]
        columns = (["id"] if ids else []) + names + list(defaults)

        def chunks() -> Any:
            for begin in range(0, len(rows), CHUNK):
                chunk = rows[begin:begin + CHUNK]
                values = [[row[name] for row in chunk] for name in names]
                for i, convert in enumerate(converters):
                    if convert is not None:
                        values[i] = [convert(value) for value in values[i]]
                values.extend([value] * len(chunk) for value in fixed)
                if ids:
                    values.insert(0, ids[begin:begin + len(chunk)])
                yield list(zip(*values, strict=True))

        return columns, chunks()
