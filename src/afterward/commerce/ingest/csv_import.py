"""Import orders from a CSV file (docs/csv-import.md) in one transaction.

Parsing and validation are pure (csv_format); writing is bulk SQLAlchemy Core:
ids are allocated up front (max(id) under SQLite's write lock, the sequence on
PostgreSQL), so customers, orders, lines, events and jobs each go in as plain
executemany batches without a round trip per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy.orm import Session

from afterward.commerce.ingest.csv_format import (
    OrderDraft,
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
CHUNK = 5000  # rows per executemany and values per IN (...), well under SQLite's limits
_ORDERS: Table = Order.__table__  # type: ignore[assignment]
_LINES: Table = OrderLine.__table__  # type: ignore[assignment]
_CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]
_EVENTS: Table = Event.__table__  # type: ignore[assignment]
_JOBS: Table = Job.__table__  # type: ignore[assignment]


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
                  progress: ProgressFn | None = None) -> ImportReport:
    """Read, validate and write a file of orders. Nothing is written unless every
    order that is written is whole; in reject mode, nothing unless every row is good."""
    mode = OnError(on_error)
    try:
        parsed = parse_orders(decode(_read(source)), progress)
    except UnreadableFile as exc:
        return ImportReport(errors=exc.errors, unreadable=True)
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
            return ImportReport(skipped_orders=len(bad), errors=errors)
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
    found: set[str] = set()
    for chunk in _chunks(numbers):
        found.update(session.scalars(select(Order.number).where(
            Order.store_id == store_id, Order.number.in_(chunk))))
    return found


def write_orders(session: Session, *, store_id: int, orders: Sequence[OrderDraft],
                 progress: ProgressFn | None = None) -> ImportReport:
    """Insert validated orders with their customers, lines, order.created events and
    customers.refresh_stats jobs, in the caller's transaction (never commits)."""
    conn = session.connection()
    now = utcnow()
    customer_of, new_customers = _resolve_customers(conn, store_id, orders, now)
    variants = _variants_by_sku(conn, store_id, {ln.sku for o in orders for ln in o.lines
                                                 if ln.sku})
    ids = _IdAllocator(conn)
    lines_written = 0
    total = len(orders)
    for start in range(0, total, CHUNK):
        chunk = orders[start:start + CHUNK]
        order_ids = ids.take(_ORDERS, len(chunk))
        order_rows, line_rows, event_rows = [], [], []
        for order_id, o in zip(order_ids, chunk, strict=True):
            customer_id = customer_of.get(_customer_key(o))
            subtotal = o.subtotal_minor
            total_minor = max(0, subtotal + o.shipping_minor + o.tax_minor - o.discount_minor)
            order_rows.append({
                "id": order_id, "store_id": store_id, "number": o.number, "source": SOURCE,
                "customer_id": customer_id, "email": o.email, "phone": o.phone,
                "currency": o.currency, "subtotal_minor": subtotal,
                "shipping_minor": o.shipping_minor, "tax_minor": o.tax_minor,
                "discount_minor": o.discount_minor, "total_minor": total_minor,
                "refunded_minor": 0, "status": "open", "placed_at": o.placed_at,
                "ship_name": _full_name(o), "ship_city": o.ship_city,
                "ship_postal_code": o.ship_postal_code, "ship_country": o.ship_country,
                "created_at": now, "updated_at": now})
            for position, ln in enumerate(o.lines):
                variant = variants.get(ln.sku) if ln.sku else None
                line_rows.append({
                    "store_id": store_id, "order_id": order_id, "position": position,
                    "variant_id": variant[0] if variant else None,
                    "product_id": variant[1] if variant else None, "sku": ln.sku,
                    "title": ln.title, "quantity": ln.quantity,
                    "unit_price_minor": ln.unit_price_minor,
                    "total_minor": ln.quantity * ln.unit_price_minor, "refunded_quantity": 0})
            event_rows.append({
                "store_id": store_id, "name": EventName.order_created.value,
                "subject_type": "order", "subject_id": order_id,
                "payload": {"number": o.number, "total_minor": total_minor,
                            "currency": o.currency, "customer_id": customer_id,
                            "source": SOURCE},
                "occurred_at": o.placed_at, "recorded_at": now})
        conn.execute(_ORDERS.insert(), order_rows)
        conn.execute(_LINES.insert(), line_rows)
        conn.execute(_EVENTS.insert(), event_rows)
        lines_written += len(line_rows)
        if progress is not None:
            progress("writing", start + len(chunk), total)
    touched = sorted({cid for o in orders if (cid := customer_of.get(_customer_key(o)))})
    _insert(conn, _JOBS, ({"store_id": store_id, "kind": "customers.refresh_stats",
                           "payload": {"customer_id": cid}, "status": JobStatus.queued.value,
                           "run_at": now, "attempts": 0, "max_attempts": 8, "created_at": now}
                          for cid in touched))
    return ImportReport(imported_orders=total, imported_lines=lines_written,
                        new_customers=new_customers)


# ---------------------------------------------------------------- customers

_CUSTOMER_FIELDS = ("email", "phone", "first_name", "last_name")


def _customer_key(o: OrderDraft) -> tuple[str, str] | None:
    # Matched by email; an order with only a phone is matched by phone.
    if o.email:
        return ("email", o.email)
    if o.phone:
        return ("phone", o.phone)
    return None


def _full_name(o: OrderDraft) -> str | None:
    name = " ".join(p for p in (o.first_name, o.last_name) if p)
    return name[:200] or None


def _resolve_customers(conn: Connection, store_id: int, orders: Sequence[OrderDraft],
                       now: Any) -> tuple[dict[tuple[str, str], int], int]:
    """Find or create one customer per email (or phone); later rows win for names,
    as they would if the orders had arrived one by one through the API."""
    wanted: dict[tuple[str, str], dict[str, str]] = {}
    for o in orders:
        key = _customer_key(o)
        if key is None:
            continue
        merged = wanted.setdefault(key, {})
        for name in _CUSTOMER_FIELDS:
            value = getattr(o, name)
            if value is not None:
                merged[name] = value
    found = _existing_customers(conn, store_id, wanted)
    ids: dict[tuple[str, str], int] = {}
    updates, events = [], []
    for key, (customer_id, current) in found.items():
        ids[key] = customer_id
        changed = {k: v for k, v in wanted[key].items() if current.get(k) != v}
        if changed:
            updates.append({"b_id": customer_id, **{k: current.get(k) for k in
                                                    _CUSTOMER_FIELDS}, **changed})
            events.append(_customer_event(store_id, customer_id, EventName.customer_updated,
                                          {"fields": sorted(changed)}, now))
    new_keys = [key for key in wanted if key not in found]
    new_ids = _IdAllocator(conn).take(_CUSTOMERS, len(new_keys))
    rows = []
    for customer_id, key in zip(new_ids, new_keys, strict=True):
        ids[key] = customer_id
        values = wanted[key]
        rows.append({"id": customer_id, "store_id": store_id, "email": values.get("email"),
                     "phone": values.get("phone"), "first_name": values.get("first_name"),
                     "last_name": values.get("last_name"), "orders_count": 0,
                     "total_spent_minor": 0, "created_at": now, "updated_at": now})
        events.append(_customer_event(store_id, customer_id, EventName.customer_created,
                                      {"source": SOURCE}, now))
    _insert(conn, _CUSTOMERS, rows)
    if updates:
        from sqlalchemy import bindparam

        stmt = _CUSTOMERS.update().where(_CUSTOMERS.c.id == bindparam("b_id")).values(
            updated_at=now)
        for chunk in _chunks(updates):
            conn.execute(stmt, list(chunk))
    _insert(conn, _EVENTS, events)
    return ids, len(rows)


def _existing_customers(conn: Connection, store_id: int,
                        wanted: dict[tuple[str, str], dict[str, str]]
                        ) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    c = _CUSTOMERS.c
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


def _customer_event(store_id: int, customer_id: int, name: EventName, payload: dict[str, Any],
                    now: Any) -> dict[str, Any]:
    return {"store_id": store_id, "name": name.value, "subject_type": "customer",
            "subject_id": customer_id, "payload": payload, "occurred_at": now,
            "recorded_at": now}


# ---------------------------------------------------------------- helpers

def _variants_by_sku(conn: Connection, store_id: int,
                     skus: set[str | None]) -> dict[str, tuple[int, int]]:
    v = Variant.__table__.c
    found: dict[str, tuple[int, int]] = {}
    for chunk in _chunks(sorted(s for s in skus if s)):
        for row in conn.execute(select(v.sku, v.id, v.product_id)
                                .where(v.store_id == store_id, v.sku.in_(chunk))):
            found[row.sku] = (row.id, row.product_id)
    return found


class _IdAllocator:
    """Primary keys handed out before the INSERT, so children can point at parents
    without RETURNING. SQLite: the transaction holds the write lock (BEGIN IMMEDIATE),
    so max(id) + 1 onwards is ours. PostgreSQL: values drawn from the id sequence."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.next: dict[str, int] = {}

    def take(self, table: Table, count: int) -> list[int]:
        if count == 0:
            return []
        if self.postgres:
            rows = self.conn.execute(text(
                "SELECT nextval(pg_get_serial_sequence(:t, 'id')) "
                "FROM generate_series(1, :n)"), {"t": table.name, "n": count})
            return [r[0] for r in rows]
        if table.name not in self.next:
            top = self.conn.scalar(select(func.coalesce(func.max(table.c.id), 0)))
            self.next[table.name] = int(top or 0) + 1
        first = self.next[table.name]
        self.next[table.name] = first + count
        return list(range(first, first + count))


def _insert(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    batch = list(rows)
    for chunk in _chunks(batch):
        conn.execute(table.insert(), list(chunk))


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
