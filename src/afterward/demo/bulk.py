"""Bulk inserts for a few hundred thousand rows. On PostgreSQL, Core executemany
(with RETURNING in parameter order where ids are needed). On SQLite, where
SQLAlchemy's per-value type processing costs more than SQLite itself, values are
converted once to the form the column types store (UTC text datetimes, JSON text)
and handed straight to the driver; ids are assigned from max(id) + 1, which is
safe because the transaction began with BEGIN IMMEDIATE and holds the write lock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Table, func, insert, select
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


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _converter(column_type: Any) -> Convert | None:
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime
    for kind, convert in ((JSON, _sqlite_json), (Boolean, _sqlite_bool), (Date, _sqlite_date)):
        if isinstance(column_type, kind):
            return convert
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
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def insert(self, model: Any, rows: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
        """Insert rows (all with the same keys); with ids=True return their ids in order."""
        if not rows:
            return []
        table: Table = model.__table__
        if self.sqlite:
            return self._sqlite(table, rows, ids)
        if ids:
            stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            return [row[0] for row in self.session.execute(stmt, rows)]
        for begin in range(0, len(rows), CHUNK):
            self.session.execute(insert(table), rows[begin:begin + CHUNK])
        return []

    def _sqlite(self, table: Table, rows: list[dict[str, Any]], ids: bool) -> list[int]:
        names = list(rows[0])
        defaults = _python_defaults(table, set(names))
        columns = names + list(defaults)
        converters = [_converter(table.c[name].type) for name in names]
        fixed = tuple((_converter(table.c[name].type) or (lambda v: v))(value)
                      for name, value in defaults.items())
        new_ids: list[int] = []
        if ids:
            first = int(self.session.scalar(select(func.max(table.c.id))) or 0) + 1
            new_ids = list(range(first, first + len(rows)))
            columns = ["id", *columns]
        placeholders = ", ".join("?" for _ in columns)
        quoted = ", ".join(f'"{name}"' for name in columns)
        sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({placeholders})'
        connection = self.session.connection()
        for begin in range(0, len(rows), CHUNK):
            chunk = rows[begin:begin + CHUNK]
            values = [[row[name] for row in chunk] for name in names]
            for i, convert in enumerate(converters):
                if convert is not None:
                    values[i] = [convert(value) for value in values[i]]
            values.extend([value] * len(chunk) for value in fixed)
            if ids:
                values.insert(0, new_ids[begin:begin + len(chunk)])
            connection.exec_driver_sql(sql, list(zip(*values, strict=True)))
        return new_ids
