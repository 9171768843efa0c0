"""Import orders from a CSV file (docs/csv-import.md) in one transaction.

Parsing and validation are pure (csv_format, csv_orders) and happen before anything
is written. Writing is bulk: ids are allocated up front (max(id) under SQLite's write
lock, the id sequence on PostgreSQL), so customers, orders, lines, events and jobs
each go in as a few big batches (multi-row INSERTs on SQLite, COPY on PostgreSQL) with no
round trip per row. Lookups (existing numbers, customers, variants) are Core
queries, one per chunk of values."""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import chain
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Table, bindparam, func, select, text
from sqlalchemy.orm import Session

from afterward.commerce.ingest.csv_format import (
    OrderDraft,
    ParseResult,
    ProgressFn,
    RowError,
    UnreadableFile,
    decode,
)
from afterward.commerce.ingest.csv_orders import parse_orders
from afterward.commerce.models import Customer, Order, OrderLine, Variant
from afterward.events import Event, EventName
from afterward.jobs import Job, JobStatus
from afterward.storage.db import Database
from afterward.storage.types import utcnow

SOURCE = "csv"
_dumps = json.JSONEncoder(ensure_ascii=False).encode
_json_str = encode_basestring_ascii
CHUNK = 5000  # rows per executemany and values per IN (...), well under SQLite's limits
ORDERS: Table = Order.__table__  # type: ignore[assignment]
LINES: Table = OrderLine.__table__  # type: ignore[assignment]
CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]
EVENTS: Table = Event.__table__  # type: ignore[assignment]
JOBS: Table = Job.__table__  # type: ignore[assignment]


class OnError(StrEnum):
    reject = "reject"  # any bad row: import nothing
    skip = "skip"  # import every order without a bad row; skip the others whole


@dataclass
class ImportReport:
    imported_orders: int = 0
    imported_lines: int = 0
    skipped_orders: int = 0
    errors: list[RowError] = field(default_factory=list)
    new_customers: int = 0
    unreadable: bool = False  # the file itself (encoding, header, quoting) is bad

    def as_dict(self) -> dict[str, Any]:
        return {"imported_orders": self.imported_orders, "imported_lines": self.imported_lines,
                "skipped_orders": self.skipped_orders,
                "errors": [e.as_dict() for e in self.errors]}


def import_orders(db: Database, *, store_id: int, source: str | Path | bytes | IO[bytes],
                  on_error: OnError | str = OnError.reject,
                  progress: ProgressFn | None = None,
                  parallel: bool | None = None) -> ImportReport:
    """Read, validate and write a file of orders. Nothing is written unless every
    order that is written is whole; in reject mode, nothing unless every row is good.
    `parallel`: parse in a second process while this one writes (csv_stream.py);
    by default on SQLite for files of a megabyte or more."""
    from afterward.commerce.ingest import csv_stream

    mode = OnError(on_error)
    with _collector_paused():
        try:
            text = decode(_read(source))
            if parallel if parallel is not None else csv_stream.worth_it(db, text):
                return csv_stream.import_streamed(db, store_id, text, mode, progress)
            parsed = parse_orders(text, progress)
        except UnreadableFile as exc:
            return ImportReport(errors=exc.errors, unreadable=True)
        return import_parsed(db, store_id, parsed, mode, progress)


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Millions of small, long-lived objects and no cycles: the cyclic collector
    # would rescan them over and over and cost more than the parsing itself.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_parsed(db: Database, store_id: int, parsed: ParseResult, mode: OnError,
                   progress: ProgressFn | None) -> ImportReport:
    orders, errors, bad = parsed.orders, list(parsed.errors), set(parsed.bad_numbers)
    with db.transaction() as session:
        taken = existing_numbers(session, store_id=store_id, numbers=[o.number for o in orders])
        if taken:
            errors += [RowError(o.first_line, "order_number",
                                f"order {o.number} already exists in this store")
                       for o in orders if o.number in taken]
            errors.sort(key=lambda e: e.line)
            bad |= taken
            orders = [o for o in orders if o.number not in taken]
        if errors and mode is OnError.reject:
            # Nothing is imported, so every order of the file counts as skipped.
            return ImportReport(skipped_orders=len(orders) + len(bad), errors=errors)
        report = write_orders(session, store_id=store_id, orders=orders, progress=progress)
    report.skipped_orders, report.errors = len(bad), errors
    return report


def _read(source: str | Path | bytes | IO[bytes]) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    return source.read()


def existing_numbers(session: Session, *, store_id: int, numbers: Sequence[str]) -> set[str]:
    # Plain SQL: an expanding IN of thousands of values costs SQLAlchemy more to render
    # than the database needs to answer it.
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    found: set[str] = set()
    for chunk in _chunks(numbers):
        sql = (f"SELECT number FROM orders WHERE store_id = {mark} "
               f"AND number IN ({', '.join([mark] * len(chunk))})")
        found.update(row[0] for row in conn.exec_driver_sql(sql, (store_id, *chunk)))
    return found


def write_orders(session: Session, *, store_id: int, orders: Sequence[OrderDraft],
                 progress: ProgressFn | None = None) -> ImportReport:
    """Insert validated orders with their customers, lines, order.created events and
    customers.refresh_stats jobs, in the caller's transaction (never commits)."""
    out = Writer(session.connection())
    now = out.time(utcnow())
    customer_ids, new_customers = resolve_customers(out, store_id, orders, now)
    variants = variants_by_sku(out.conn, store_id, {ln.sku for o in orders for ln in o.lines})
    lines_written, total = 0, len(orders)
    for start in range(0, total, CHUNK):
        end = min(start + CHUNK, total)
        rows = order_rows(out, store_id, orders[start:end], customer_ids[start:end],
                           out.ids(ORDERS, end - start), variants, now)
        out.insert(ORDERS, ORDER_COLUMNS, rows[0])
        out.insert(LINES, LINE_COLUMNS, rows[1])
        out.insert(EVENTS, EVENT_COLUMNS, rows[2])
        lines_written += len(rows[1])
        if progress is not None:
            progress("writing", end, total)
    out.insert(JOBS, JOB_COLUMNS, refresh_jobs(store_id, customer_ids, now))
    return ImportReport(imported_orders=total, imported_lines=lines_written,
                        new_customers=new_customers)


Rows = list[tuple[Any, ...]]

# Customers whose stats one customers.refresh_stats job recomputes (a 50,000-order
# import touches ~27,000 customers: 54 jobs, not 27,000 rows in the queue).
REFRESH_BATCH = 500


def refresh_jobs(store_id: int, customer_ids: Iterable[int | None], now: Any) -> Rows:
    """customers.refresh_stats job rows for every customer touched, in id order."""
    touched = sorted({cid for cid in customer_ids if cid is not None})
    return [(store_id, "customers.refresh_stats",
             json.dumps({"customer_ids": touched[start:start + REFRESH_BATCH]}),
             JobStatus.queued.value, now, 0, 8, now)
            for start in range(0, len(touched), REFRESH_BATCH)]


def order_rows(out: Writer, store_id: int, orders: Sequence[OrderDraft],
                customer_ids: Sequence[int | None], order_ids: Sequence[int],
                variants: dict[str, tuple[int, int]], now: Any) -> tuple[Rows, Rows, Rows]:
    """The orders, lines and order.created events of one chunk, as driver-ready tuples."""
    order_values, line_rows, event_rows = [], [], []
    stamp, variant_of = out.time, variants.get
    for order_id, customer_id, o in zip(order_ids, customer_ids, orders, strict=True):
        subtotal = 0
        for position, ln in enumerate(o.lines):
            line_total = ln.quantity * ln.unit_price_minor
            subtotal += line_total
            variant = variant_of(ln.sku) if ln.sku else None
            line_rows.append((store_id, order_id, position, variant and variant[0],
                              variant and variant[1], ln.sku, ln.title, ln.quantity,
                              ln.unit_price_minor, line_total, 0))
        total_minor = max(0, subtotal + o.shipping_minor + o.tax_minor - o.discount_minor)
        placed_at = stamp(o.placed_at)
        order_values.append((
            order_id, store_id, o.number, SOURCE, customer_id, o.email, o.phone, o.currency,
            subtotal, o.shipping_minor, o.tax_minor, o.discount_minor, total_minor, 0, "open",
            placed_at, _full_name(o), o.ship_city, o.ship_postal_code, o.ship_country, now,
            now))
        # save_order's payload, formatted here: json.dumps per row is a tenth of the import.
        event_rows.append((
            store_id, ORDER_CREATED, "order", order_id,
            f'{{"number": {_json_str(o.number)}, "total_minor": {total_minor}, '
            f'"currency": "{o.currency}", "customer_id": '
            f'{"null" if customer_id is None else customer_id}, "source": "{SOURCE}"}}',
            placed_at, now))
    return order_values, line_rows, event_rows


ORDER_CREATED = EventName.order_created.value
ORDER_COLUMNS = ("id", "store_id", "number", "source", "customer_id", "email", "phone",
                  "currency", "subtotal_minor", "shipping_minor", "tax_minor", "discount_minor",
                  "total_minor", "refunded_minor", "status", "placed_at", "ship_name",
                  "ship_city", "ship_postal_code", "ship_country", "created_at", "updated_at")
LINE_COLUMNS = ("store_id", "order_id", "position", "variant_id", "product_id", "sku",
                 "title", "quantity", "unit_price_minor", "total_minor", "refunded_quantity")
EVENT_COLUMNS = ("store_id", "name", "subject_type", "subject_id", "payload", "occurred_at",
                  "recorded_at")
JOB_COLUMNS = ("store_id", "kind", "payload", "status", "run_at", "attempts",
                "max_attempts", "created_at")
CUSTOMER_COLUMNS = ("id", "store_id", "email", "phone", "first_name", "last_name",
                     "orders_count", "total_spent_minor", "created_at", "updated_at")


# ---------------------------------------------------------------- customers

CUSTOMER_FIELDS = ("email", "phone", "first_name", "last_name")


def customer_key(o: OrderDraft) -> tuple[str, str] | None:
    # Matched by email; an order with only a phone is matched by phone.
    if o.email:
        return ("email", o.email)
    if o.phone:
        return ("phone", o.phone)
    return None


def _full_name(o: OrderDraft) -> str | None:
    name = " ".join(p for p in (o.first_name, o.last_name) if p)
    return name[:200] or None


Key = tuple[str, str]  # ("email", address) or ("phone", number)
Wanted = dict[Key, dict[str, str]]


def resolve_customers(out: Writer, store_id: int, orders: Sequence[OrderDraft],
                      now: Any) -> tuple[list[int | None], int]:
    """Find or create one customer per email (or phone); later rows win for names,
    as they would if the orders had arrived one by one through the API."""
    wanted: Wanted = {}
    keys = merge_customers(orders, wanted)
    found = existing_customers(out.conn, store_id, wanted)
    ids = {key: customer_id for key, (customer_id, _) in found.items()}
    updates, events = customer_changes(out, store_id, found, wanted, now)
    new_keys = [key for key in wanted if key not in found]
    created = list(zip(new_keys, out.ids(CUSTOMERS, len(new_keys)), strict=True))
    ids.update(created)
    rows, created_events = new_customers(out, store_id, created, wanted, now)
    out.insert(CUSTOMERS, CUSTOMER_COLUMNS, rows)
    update_customers(out.conn, updates)
    out.insert(EVENTS, EVENT_COLUMNS, events + created_events)
    return [ids[key] if key else None for key in keys], len(rows)


def merge_customers(orders: Sequence[OrderDraft], wanted: Wanted) -> list[Key | None]:
    """Each order's customer key; its values merged into `wanted` (later rows win)."""
    keys = [customer_key(o) for o in orders]
    for key, o in zip(keys, orders, strict=True):
        if key is None:
            continue
        merged = wanted.setdefault(key, {})
        for name in CUSTOMER_FIELDS:
            value = getattr(o, name)
            if value is not None:
                merged[name] = value
    return keys


def customer_changes(out: Writer, store_id: int, found: dict[Key, tuple[int, dict[str, Any]]],
                     wanted: Wanted, now: Any) -> tuple[list[dict[str, Any]], Rows]:
    """For customers already in the store: the updates the file asks for, and one
    customer.updated event each."""
    updates, events = [], []
    for key, (customer_id, current) in found.items():
        changed = {k: v for k, v in wanted[key].items() if current.get(k) != v}
        if changed:
            updates.append({"b_id": customer_id, **{k: current.get(k) for k in
                                                    CUSTOMER_FIELDS}, **changed})
            events.append(customer_event(out, store_id, customer_id,
                                         EventName.customer_updated,
                                         {"fields": sorted(changed)}, now))
    return updates, events


def new_customers(out: Writer, store_id: int, created: Sequence[tuple[Key, int]],
                  wanted: Wanted, now: Any) -> tuple[Rows, Rows]:
    """Rows for customers new to the store, and one customer.created event each."""
    rows, events = [], []
    for key, customer_id in created:
        values = wanted[key]
        rows.append((customer_id, store_id, values.get("email"), values.get("phone"),
                     values.get("first_name"), values.get("last_name"), 0, 0, now, now))
        events.append(customer_event(out, store_id, customer_id, EventName.customer_created,
                                     {"source": SOURCE}, now))
    return rows, events


def update_customers(conn: Connection, updates: list[dict[str, Any]], *,
                     at: Any = None) -> None:
    """Each {"b_id": id, field: value...}: the customer's fields, as merged from the file."""
    if not updates:
        return
    stmt = (CUSTOMERS.update().where(CUSTOMERS.c.id == bindparam("b_id"))
            .values(updated_at=utcnow() if at is None else at))
    for chunk in _chunks(updates):
        conn.execute(stmt, list(chunk))


def existing_customers(conn: Connection, store_id: int,
                        wanted: dict[tuple[str, str], dict[str, str]]
                        ) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    c = CUSTOMERS.c
    found: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    for kind, column in (("email", c.email), ("phone", c.phone)):
        values = [value for k, value in wanted if k == kind]
        for chunk in _chunks(values):
            rows = conn.execute(select(c.id, c.email, c.phone, c.first_name, c.last_name)
                                .where(c.store_id == store_id, column.in_(chunk))
                                .order_by(c.id.desc()))
            # Descending ids: the oldest customer with that email is the one kept.
            for row in rows:
                found[(kind, getattr(row, kind))] = (row.id, dict(row._mapping))
    return found


def customer_event(out: Writer, store_id: int, customer_id: int, name: EventName,
                    payload: dict[str, Any], now: Any) -> tuple[Any, ...]:
    return (store_id, name.value, "customer", customer_id, out.json(payload), now, now)


# ---------------------------------------------------------------- helpers

def variants_by_sku(conn: Connection, store_id: int,
                     skus: set[str | None]) -> dict[str, tuple[int, int]]:
    v = Variant.__table__.c
    found: dict[str, tuple[int, int]] = {}
    for chunk in _chunks(sorted(s for s in skus if s)):
        for row in conn.execute(select(v.sku, v.id, v.product_id)
                                .where(v.store_id == store_id, v.sku.in_(chunk))):
            found[row.sku] = (row.id, row.product_id)
    return found


class Writer:
    """Rows straight to the driver (multi-row INSERT on SQLite, COPY on PostgreSQL) through
    SQLAlchemy's connection, with values already in the driver's form: SQLAlchemy's
    per-row bind processing would cost more than the INSERTs themselves."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.next_id: dict[str, int] = {}
        self.max_params = 999  # SQLite's limit before 3.32; asked below when possible
        if not self.postgres:
            driver: Any = conn.connection.dbapi_connection
            if hasattr(driver, "getlimit"):  # Python 3.11+
                self.max_params = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)

    def time(self, value: datetime) -> Any:
        """Aware datetime -> what UTCDateTime would bind (naive UTC text on SQLite)."""
        if self.postgres:
            return value
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")

    @staticmethod
    def json(value: dict[str, Any]) -> str:
        return _dumps(value)

    def ids(self, table: Table, count: int) -> list[int]:
        """Primary keys handed out before the INSERT, so children can point at parents
        without RETURNING. SQLite: the transaction holds the write lock (BEGIN
        IMMEDIATE), so max(id) + 1 onwards is ours. PostgreSQL: the id sequence."""
        if count == 0:
            return []
        if self.postgres:
            rows = self.conn.execute(text(
                "SELECT nextval(pg_get_serial_sequence(:t, 'id')) "
                "FROM generate_series(1, :n)"), {"t": table.name, "n": count})
            return [r[0] for r in rows]
        if table.name not in self.next_id:
            top = self.conn.scalar(select(func.coalesce(func.max(table.c.id), 0)))
            self.next_id[table.name] = int(top or 0) + 1
        first = self.next_id[table.name]
        self.next_id[table.name] = first + count
        return list(range(first, first + count))

    def insert(self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
               ) -> None:
        if not rows:
            return
        missing = [name for name in columns if name not in table.c]
        if missing:
            raise KeyError(f"{table.name} has no column {missing[0]!r}")
        quote = self.conn.dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns)
        if self.postgres:
            # COPY is PostgreSQL's bulk path: several times faster than executemany.
            driver: Any = self.conn.connection.dbapi_connection
            command = f"COPY {quote(table.name)} ({names}) FROM STDIN"
            with driver.cursor() as cursor, cursor.copy(command) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # SQLite: multi-row VALUES, a quarter less CPU than executemany of the same rows.
        width = len(columns)
        per = max(1, min(500, self.max_params // width))
        one = f"({', '.join('?' * width)})"
        head = f"INSERT INTO {quote(table.name)} ({names}) VALUES "
        full = head + ", ".join([one] * per)
        for chunk in _chunks(rows, per):
            sql = full if len(chunk) == per else head + ", ".join([one] * len(chunk))
            self.conn.exec_driver_sql(sql, tuple(chain.from_iterable(chunk)))


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
