"""Write validated CSV orders in bulk, in the caller's transaction: customers (found by
email or phone, else created), orders, lines, their order.created events and
customers.refresh_stats jobs. Rows go in through storage/bulk.py, events through
events.record_many and jobs through jobs.enqueue_many, as every bulk path writes them;
look-ups are Core queries, one per chunk of values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.orm import Session

from afterward import events, jobs
from afterward.commerce.ingest.csv_format import OrderDraft, ProgressFn
from afterward.commerce.models import Customer, Order, OrderLine, Variant
from afterward.events import EventName, NewEvent
from afterward.storage import bulk
from afterward.storage.types import utcnow

SOURCE = "csv"
CHUNK = 5000  # orders per bulk insert and values per IN (...), well under SQLite's limits
ORDERS = cast(Table, Order.__table__)
LINES = cast(Table, OrderLine.__table__)
CUSTOMERS = cast(Table, Customer.__table__)
# Customers whose stats one customers.refresh_stats job recomputes (a 50,000-order
# import touches ~27,000 customers: 54 jobs, not 27,000 rows in the queue).
REFRESH_BATCH = 500
CUSTOMER_FIELDS = ("email", "phone", "first_name", "last_name")
Key = tuple[str, str]  # ("email", address) or ("phone", number)
Wanted = dict[Key, dict[str, str]]
Found = dict[Key, tuple[int, dict[str, Any]]]  # key -> (customer id, its stored fields)


def write_orders(session: Session, *, store_id: int, orders: Sequence[OrderDraft],
                 progress: ProgressFn | None = None) -> tuple[int, int]:
    """Insert the orders and all that comes with them; returns (lines, new customers)."""
    conn = session.connection()
    now = utcnow()
    customer_ids, new_customers = resolve_customers(conn, store_id, orders, now)
    variants = variants_by_sku(conn, store_id, {ln.sku for o in orders for ln in o.lines})
    lines = 0
    for start in range(0, len(orders), CHUNK):
        end = min(start + CHUNK, len(orders))
        lines += write_chunk(conn, store_id, orders[start:end], customer_ids[start:end],
                             variants, now)
        if progress is not None:
            progress("writing", end, len(orders))
    enqueue_refreshes(conn, store_id, customer_ids, now)
    return lines, new_customers


def write_chunk(conn: Connection, store_id: int, orders: Sequence[OrderDraft],
                customer_ids: Sequence[int | None], variants: dict[str, tuple[int, int]],
                now: datetime) -> int:
    """One chunk's orders, then their lines and events; returns the lines written."""
    rows = [order_row(store_id, o, customer_id, now)
            for o, customer_id in zip(orders, customer_ids, strict=True)]
    order_ids = bulk.insert_values(conn, ORDERS, ORDER_COLUMNS, rows, returning_ids=True)
    lines = [line for o, order_id in zip(orders, order_ids, strict=True)
             for line in line_rows(store_id, order_id, o, variants)]
    bulk.insert_values(conn, LINES, LINE_COLUMNS, lines)
    events.record_many(conn, store_id=store_id, recorded_at=now, events=[
        NewEvent(EventName.order_created, "order", order_id, order_payload(row),
                 row[PLACED_AT]) for row, order_id in zip(rows, order_ids, strict=True)])
    return len(lines)


ORDER_COLUMNS = (
    "store_id", "number", "source", "customer_id", "email", "phone", "currency",
    "subtotal_minor", "shipping_minor", "tax_minor", "discount_minor", "total_minor",
    "refunded_minor", "status", "placed_at", "ship_name", "ship_city", "ship_postal_code",
    "ship_country", "created_at", "updated_at")
NUMBER, CUSTOMER_ID, CURRENCY, TOTAL, PLACED_AT = map(ORDER_COLUMNS.index, (
    "number", "customer_id", "currency", "total_minor", "placed_at"))


def order_row(store_id: int, o: OrderDraft, customer_id: int | None,
              now: datetime) -> tuple[Any, ...]:
    """The order's values in ORDER_COLUMNS' order."""
    subtotal = o.subtotal_minor
    total = max(0, subtotal + o.shipping_minor + o.tax_minor - o.discount_minor)
    return (store_id, o.number, SOURCE, customer_id, o.email, o.phone, o.currency,
            subtotal, o.shipping_minor, o.tax_minor, o.discount_minor, total,
            0, "open", o.placed_at, full_name(o), o.ship_city, o.ship_postal_code,
            o.ship_country, now, now)


def order_payload(row: tuple[Any, ...]) -> dict[str, Any]:
    """What save_order's order.created event says."""
    return {"number": row[NUMBER], "total_minor": row[TOTAL], "currency": row[CURRENCY],
            "customer_id": row[CUSTOMER_ID], "source": SOURCE}


LINE_COLUMNS = ("store_id", "order_id", "position", "variant_id", "product_id", "sku",
                "title", "quantity", "unit_price_minor", "total_minor", "refunded_quantity")


def line_rows(store_id: int, order_id: int, o: OrderDraft,
              variants: dict[str, tuple[int, int]]) -> list[tuple[Any, ...]]:
    """The order's lines' values in LINE_COLUMNS' order."""
    rows = []
    for position, ln in enumerate(o.lines):
        variant_id, product_id = variants.get(ln.sku, (None, None)) if ln.sku else (None, None)
        rows.append((store_id, order_id, position, variant_id, product_id, ln.sku, ln.title,
                     ln.quantity, ln.unit_price_minor, ln.quantity * ln.unit_price_minor, 0))
    return rows


def full_name(o: OrderDraft) -> str | None:
    name = " ".join(p for p in (o.first_name, o.last_name) if p)
    return name[:200] or None


def enqueue_refreshes(conn: Connection, store_id: int, customer_ids: Iterable[int | None],
                      now: datetime) -> None:
    """customers.refresh_stats jobs for every customer touched, in id order."""
    touched = sorted({cid for cid in customer_ids if cid is not None})
    jobs.enqueue_many(conn, "customers.refresh_stats", [
        {"customer_ids": touched[start:start + REFRESH_BATCH]}
        for start in range(0, len(touched), REFRESH_BATCH)], store_id=store_id, run_at=now)


# ---------------------------------------------------------------- customers

def customer_key(o: OrderDraft) -> Key | None:
    # Matched by email; an order with only a phone is matched by phone.
    if o.email:
        return ("email", o.email)
    if o.phone:
        return ("phone", o.phone)
    return None


def resolve_customers(conn: Connection, store_id: int, orders: Sequence[OrderDraft],
                      now: datetime) -> tuple[list[int | None], int]:
    """Find or create one customer per email (or phone); later rows win for names,
    as they would if the orders had arrived one by one through the API."""
    wanted: Wanted = {}
    keys = merge_customers(orders, wanted)
    found = existing_customers(conn, store_id, wanted)
    ids = {key: customer_id for key, (customer_id, _) in found.items()}
    new_keys = [key for key in wanted if key not in found]
    ids.update(zip(new_keys, create_customers(conn, store_id, new_keys, wanted, now),
                   strict=True))
    apply_changes(conn, store_id, found, wanted, now)
    return [ids[key] if key else None for key in keys], len(new_keys)


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


def create_customers(conn: Connection, store_id: int, keys: Sequence[Key], wanted: Wanted,
                     now: datetime) -> list[int]:
    """Customers new to the store, with one customer.created event each; their ids."""
    ids = bulk.insert(conn, CUSTOMERS, [
        {"store_id": store_id, **{name: wanted[key].get(name) for name in CUSTOMER_FIELDS},
         "orders_count": 0, "total_spent_minor": 0, "created_at": now, "updated_at": now}
        for key in keys], returning_ids=True)
    payload = {"source": SOURCE}  # one object: written as JSON once (bulk.py)
    events.record_many(conn, store_id=store_id, recorded_at=now, events=[
        NewEvent(EventName.customer_created, "customer", customer_id, payload, now)
        for customer_id in ids])
    return ids


def apply_changes(conn: Connection, store_id: int, found: Found, wanted: Wanted,
                  now: datetime) -> None:
    """For customers already in the store: the updates the file asks for, and one
    customer.updated event each."""
    updates, updated = [], []
    for key, (customer_id, current) in found.items():
        changed = {k: v for k, v in wanted[key].items() if current.get(k) != v}
        if changed:
            updates.append({"b_id": customer_id, **{k: current.get(k) for k in
                                                    CUSTOMER_FIELDS}, **changed})
            updated.append(NewEvent(EventName.customer_updated, "customer", customer_id,
                                    {"fields": sorted(changed)}, now))
    update_customers(conn, updates, at=now)
    events.record_many(conn, store_id=store_id, events=updated, recorded_at=now)


def update_customers(conn: Connection, updates: list[dict[str, Any]], *,
                     at: datetime) -> None:
    """Each {"b_id": id, field: value...}: the customer's fields, as merged from the file."""
    if not updates:
        return
    stmt = (CUSTOMERS.update().where(CUSTOMERS.c.id == bindparam("b_id"))
            .values(updated_at=at))
    for chunk in chunks(updates):
        conn.execute(stmt, list(chunk))


def existing_customers(conn: Connection, store_id: int, wanted: Wanted) -> Found:
    c = CUSTOMERS.c
    found: Found = {}
    for kind, column in (("email", c.email), ("phone", c.phone)):
        values = [value for k, value in wanted if k == kind]
        for chunk in chunks(values):
            rows = conn.execute(select(c.id, c.email, c.phone, c.first_name, c.last_name)
                                .where(c.store_id == store_id, column.in_(chunk))
                                .order_by(c.id.desc()))
            # Descending ids: the oldest customer with that email is the one kept.
            for row in rows:
                found[(kind, getattr(row, kind))] = (row.id, dict(row._mapping))
    return found


# ---------------------------------------------------------------- look-ups

def variants_by_sku(conn: Connection, store_id: int,
                    skus: set[str | None]) -> dict[str, tuple[int, int]]:
    v = Variant.__table__.c
    found: dict[str, tuple[int, int]] = {}
    for chunk in chunks(sorted(s for s in skus if s)):
        for row in conn.execute(select(v.sku, v.id, v.product_id)
                                .where(v.store_id == store_id, v.sku.in_(chunk))):
            found[row.sku] = (row.id, row.product_id)
    return found


def existing_numbers(session: Session, *, store_id: int, numbers: Sequence[str]) -> set[str]:
    # Plain SQL: an expanding IN of thousands of values costs SQLAlchemy more to render
    # than the database needs to answer it.
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    found: set[str] = set()
    for chunk in chunks(numbers):
        sql = (f"SELECT number FROM orders WHERE store_id = {mark} "
               f"AND number IN ({', '.join([mark] * len(chunk))})")
        found.update(row[0] for row in conn.exec_driver_sql(sql, (store_id, *chunk)))
    return found


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
