"""The streamed import (parsing in a forked process, writing while it parses) leaves
exactly what the sequential import leaves: the same report, orders, lines, customers,
events and jobs, and ids handed out in the same order. Each case imports the same
file into two stores, once each way, with batches of a few rows so that every file
crosses several batches."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from afterward.commerce import service
from afterward.commerce.ingest import csv_stream
from afterward.commerce.ingest.csv_import import import_orders
from afterward.commerce.models import Customer, Order, OrderLine
from afterward.commerce.schemas import CustomerIn, ProductIn
from afterward.events import Event
from afterward.jobs import Job
from tests.commerce.test_csv_format import row, text


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(csv_stream, "BATCH_ROWS", 3)


def state(db, store_id: int) -> dict[str, Any]:
    """What an import left in one store, with ids replaced by what they point at."""
    with db.reading() as session:
        customers = session.scalars(select(Customer).where(Customer.store_id == store_id)
                                    .order_by(Customer.id)).all()
        who = {c.id: c.email or c.phone for c in customers}
        orders = session.scalars(select(Order).where(Order.store_id == store_id)
                                 .order_by(Order.id)).all()
        number = {o.id: o.number for o in orders}
        lines = session.scalars(select(OrderLine).where(OrderLine.store_id == store_id)
                                .order_by(OrderLine.order_id, OrderLine.position)).all()
        events = session.scalars(select(Event).where(Event.store_id == store_id)).all()
        jobs = session.scalars(select(Job).where(Job.store_id == store_id)).all()

        def subject(e: Event) -> str | None:
            if e.subject_type == "order":
                return number.get(e.subject_id)
            return who.get(e.subject_id) if e.subject_type == "customer" else e.subject_type

        return {
            "customers": [(c.email, c.phone, c.first_name, c.last_name) for c in customers],
            "orders": [(o.number, who.get(o.customer_id) if o.customer_id else None, o.email,
                        o.phone, o.subtotal_minor, o.shipping_minor, o.tax_minor,
                        o.discount_minor, o.total_minor, o.placed_at, o.ship_name,
                        o.ship_city, o.ship_postal_code, o.ship_country) for o in orders],
            "lines": [(number[ln.order_id], ln.position, ln.sku, ln.title, ln.quantity,
                       ln.unit_price_minor, ln.total_minor, ln.variant_id is not None)
                      for ln in lines],
            "events": sorted((e.name, subject(e), repr(sorted(
                {**e.payload, "customer_id": who.get(e.payload["customer_id"])}.items()
                if "customer_id" in e.payload else e.payload.items()))) for e in events),
            "jobs": sorted((j.kind, tuple(who.get(c) for c in j.payload["customer_ids"]))
                           for j in jobs if "customer_ids" in j.payload),
            # what the installed modules asked for after the import (Module.imported)
            "requested": sorted(j.kind for j in jobs if "customer_ids" not in j.payload),
        }


def both_ways(db, make_store, data: bytes, mode: str = "reject",
              before: Any = None) -> tuple[Any, Any]:
    plain, streamed = make_store("plain"), make_store("streamed")
    results = []
    for store, parallel in ((plain, False), (streamed, True)):
        if before is not None:
            before(db, store.id)
        report = import_orders(db, store_id=store.id, source=data, on_error=mode,
                               parallel=parallel)
        results.append((report.as_dict(), report.new_customers, report.unreadable,
                        state(db, store.id)))
    return results[0], results[1]


def many_orders(count: int, **changes: str) -> list[str]:
    rows = []
    for n in range(count):
        email = f"c{n % 4}@example.com" if n % 5 else ""
        phone = "+4930901820" if n % 5 == 0 else ""
        rows.append(row(str(2000 + n), email=email, phone=phone,
                        first_name=f"Name{n % 3}", **changes))
        if n % 2:
            rows.append(row(str(2000 + n), email=email, phone=phone, first_name=f"Name{n % 3}",
                            sku="MUG-1", title="Mug", quantity="1", unit_price="12", **changes))
    return rows


def test_a_clean_file_with_repeat_customers_whose_names_change(db, make_store):
    data = text(*many_orders(23), row("3000", email="", phone="", first_name="",
                                      last_name="")).encode()

    plain, streamed = both_ways(db, make_store, data)

    assert plain == streamed
    assert plain[0]["imported_orders"] == 24
    assert {c[2] for c in plain[3]["customers"]} >= {"Name2", "Name1"}  # later rows won


def test_customers_already_in_the_store_are_updated_once(db, make_store):
    def known(db, store_id):
        with db.transaction() as session:
            service.upsert_customer(session, store_id=store_id,
                                    data=CustomerIn(email="c1@example.com", first_name="Old"))
            service.upsert_product(session, store_id=store_id, data=ProductIn(
                title="Tea", variants=[{"sku": "TEA-1", "price_minor": 450, "currency": "EUR"}]))

    plain, streamed = both_ways(db, make_store, text(*many_orders(12)).encode(), before=known)

    assert plain == streamed
    assert [e for e in plain[3]["events"] if e[0] == "customer.updated"] == [
        ("customer.updated", "c1@example.com", repr([("fields", ["first_name", "last_name"])]))]


@pytest.mark.parametrize("mode", ["reject", "skip"])
def test_bad_rows_late_in_the_file(db, make_store, mode):
    data = text(*many_orders(15), row("4000", currency="EURO"), row("4001", quantity="0"),
                row("4002")).encode()

    plain, streamed = both_ways(db, make_store, data, mode)

    assert plain == streamed
    assert [e["line"] for e in plain[0]["errors"]] == [24, 25]
    assert len(plain[3]["orders"]) == (0 if mode == "reject" else 16)


@pytest.mark.parametrize("mode", ["reject", "skip"])
def test_an_order_number_that_comes_back_later_after_its_first_rows_were_written(
        db, make_store, mode):
    data = text(row("5000"), *many_orders(12), row("5000")).encode()

    plain, streamed = both_ways(db, make_store, data, mode)

    assert plain == streamed
    assert plain[0]["errors"][0]["column"] == "order_number"
    assert "5000" not in {o[0] for o in plain[3]["orders"]}
    assert len(plain[3]["orders"]) == (0 if mode == "reject" else 12)


@pytest.mark.parametrize("mode", ["reject", "skip"])
def test_order_numbers_already_in_the_store(db, make_store, mode):
    def existing(db, store_id):
        import_orders(db, store_id=store_id, source=text(row("2003"), row("2009")).encode(),
                      parallel=False)

    plain, streamed = both_ways(db, make_store, text(*many_orders(12)).encode(), mode,
                                before=existing)

    assert plain == streamed
    assert [e["message"] for e in plain[0]["errors"]] == [
        "order 2003 already exists in this store", "order 2009 already exists in this store"]


def test_a_file_that_turns_unreadable_after_some_batches_imports_nothing(db, make_store):
    data = (text(*many_orders(12)) + '2999,"2026-03-01T10:00:00Z,EUR\n').encode()

    plain, streamed = both_ways(db, make_store, data)

    assert plain == streamed
    assert plain[2] is True
    assert plain[3]["orders"] == []


def test_the_parser_process_failing_is_an_error_and_nothing_is_written(db, store, monkeypatch):
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise MemoryError("no room")

    monkeypatch.setattr(csv_stream, "parse_orders", broken)

    with pytest.raises(RuntimeError, match="MemoryError: no room"):
        import_orders(db, store_id=store.id, source=text(row("1001")).encode(), parallel=True)
    assert state(db, store.id)["orders"] == []


def test_a_parser_process_that_sends_nothing_is_stopped_and_nothing_is_written(
        db, store, monkeypatch):
    def stuck(*_args: Any, **_kwargs: Any) -> None:
        time.sleep(60)  # as a child stuck on a lock it inherited at the fork

    monkeypatch.setattr(csv_stream, "parse_orders", stuck)
    monkeypatch.setattr(csv_stream, "CHILD_SILENCE_SECONDS", 1.0)

    with pytest.raises(RuntimeError, match="sent nothing for 1 s and was stopped"):
        import_orders(db, store_id=store.id, source=text(row("1001")).encode(), parallel=True)
    assert state(db, store.id)["orders"] == []


def test_large_files_on_sqlite_stream_by_default(db):
    big, small = "x" * csv_stream.MIN_BYTES, "x" * (csv_stream.MIN_BYTES - 1)

    assert csv_stream.worth_it(db, big) is (db.backend == "sqlite")
    assert csv_stream.worth_it(db, small) is False
