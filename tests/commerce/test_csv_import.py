"""Importing a CSV file of orders into a real database: exact rows, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from afterward.commerce import service
from afterward.commerce.ingest.csv_import import import_orders
from afterward.commerce.models import Customer, Order, OrderLine
from afterward.commerce.schemas import CustomerIn, ProductIn
from afterward.events import Event
from afterward.jobs import Job
from afterward.worker import Worker
from tests.commerce.test_csv_format import row, text

MODELS = (Order, OrderLine, Customer, Event, Job)


def counts(db) -> dict[str, int]:
    with db.reading() as session:
        return {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in MODELS}


def three_orders() -> bytes:
    return text(
        row("1001"),
        row("1001", sku="MUG-1", title="Mug", quantity="1", unit_price="12"),
        row("1002", email="grace@example.com", first_name="Grace", last_name="Hopper",
            discount="1.00"),
        row("1003", placed_at="2026-03-02T08:30:00Z", sku="", title="Gift card",
            quantity="1", unit_price="25"),
    ).encode()


def test_it_imports_orders_lines_customers_events_and_jobs_exactly(db, store):
    report = import_orders(db, store_id=store.id, source=three_orders())

    assert (report.imported_orders, report.imported_lines, report.skipped_orders) == (3, 4, 0)
    assert report.errors == []
    # the customers' stats, and the recompute insights asks for (Module.imported)
    assert counts(db) == {"Order": 3, "OrderLine": 4, "Customer": 2, "Event": 5, "Job": 2}
    with db.reading() as session:
        orders = session.scalars(select(Order).order_by(Order.number)).all()
        ada = session.scalar(select(Customer).where(Customer.email == "ada@example.com"))
        names = session.scalars(select(Event.name).order_by(Event.id)).all()
        payload = session.scalar(select(Event.payload).where(Event.subject_id == orders[0].id,
                                                             Event.subject_type == "order"))
        assert [(o.number, o.subtotal_minor, o.total_minor, o.source) for o in orders] == [
            ("1001", 2100, 2595, "csv"), ("1002", 900, 1295, "csv"), ("1003", 2500, 2995, "csv")]
        assert orders[0].placed_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
        assert [(ln.position, ln.sku, ln.title, ln.total_minor) for ln in orders[0].lines] == [
            (0, "TEA-1", "Green tea", 900), (1, "MUG-1", "Mug", 1200)]
        assert orders[0].customer_id == orders[2].customer_id == ada.id
        assert (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
        assert (orders[0].ship_name, orders[0].ship_country) == ("Ada Lovelace", "DE")
    assert names == ["customer.created"] * 2 + ["order.created"] * 3
    assert payload == {"number": "1001", "total_minor": 2595, "currency": "EUR",
                       "customer_id": ada.id, "source": "csv"}


def test_the_refresh_jobs_fill_in_customer_stats(db, store):
    import_orders(db, store_id=store.id, source=three_orders())

    Worker(db).run(until_idle=True)

    with db.reading() as session:
        ada = session.scalar(select(Customer).where(Customer.email == "ada@example.com"))
        assert (ada.orders_count, ada.total_spent_minor) == (2, 2595 + 2995)
        assert ada.last_order_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def test_an_import_asks_for_its_customers_stats_in_jobs_of_500(db, store, monkeypatch):
    monkeypatch.setattr("afterward.commerce.ingest.csv_write.REFRESH_BATCH", 2)
    rows = [row(str(1001 + n), email=f"c{n}@example.com") for n in range(5)]

    import_orders(db, store_id=store.id, source=text(*rows).encode(), parallel=False)

    with db.reading() as session:
        ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))
        jobs = session.scalars(select(Job).order_by(Job.id)).all()
    assert [(j.kind, j.payload) for j in jobs] == [
        ("customers.refresh_stats", {"customer_ids": ids[0:2]}),
        ("customers.refresh_stats", {"customer_ids": ids[2:4]}),
        ("customers.refresh_stats", {"customer_ids": ids[4:5]}),
        ("insights.recompute", {"store_id": store.id})]


def test_reject_mode_writes_nothing_when_one_row_is_bad(db, store):
    import_orders(db, store_id=store.id, source=text(row("900")).encode())
    before = counts(db)
    bad = text(row("1001"), row("1002"), row("1002", quantity="0"), row("1003")).encode()

    report = import_orders(db, store_id=store.id, source=bad)

    assert [str(e) for e in report.errors] == ["line 4: quantity: must be between 1 and 100000"]
    assert (report.imported_orders, report.imported_lines, report.skipped_orders) == (0, 0, 3)
    assert counts(db) == before


def test_skip_mode_imports_exactly_the_good_orders(db, store):
    mixed = text(row("1001"), row("1002"), row("1002", currency="USD"), row("1003"),
                 row("1004", email="x@", first_name="Nobody"), row("1005")).encode()

    report = import_orders(db, store_id=store.id, source=mixed, on_error="skip")

    assert (report.imported_orders, report.imported_lines, report.skipped_orders) == (3, 3, 2)
    assert [e.line for e in report.errors] == [4, 6]
    with db.reading() as session:
        numbers = session.scalars(select(Order.number).order_by(Order.number)).all()
        lines = session.scalar(select(func.count()).select_from(OrderLine))
    assert numbers == ["1001", "1003", "1005"]
    assert lines == 3
    assert counts(db)["Customer"] == 1


def test_an_order_number_already_in_the_store_is_an_error(db, store):
    import_orders(db, store_id=store.id, source=text(row("1001")).encode())

    report = import_orders(db, store_id=store.id, source=text(row("1002"), row("1001"),
                                                              row("1001")).encode())

    assert [str(e) for e in report.errors] == [
        "line 3: order_number: order 1001 already exists in this store"]
    assert counts(db)["Order"] == 1

    skipped = import_orders(db, store_id=store.id, on_error="skip",
                            source=text(row("1002"), row("1001")).encode())

    assert (skipped.imported_orders, skipped.skipped_orders) == (1, 1)
    assert counts(db)["Order"] == 2


def test_a_non_utf8_file_is_refused_whole_in_both_modes(db, store):
    data = text(row("1001")).encode() + "1002,Café".encode("latin-1") + b"\n"
    offset = data.index(b"\xe9")
    before = counts(db)

    for mode in ("reject", "skip"):
        report = import_orders(db, store_id=store.id, source=data, on_error=mode)

        assert report.unreadable
        assert [(e.line, e.column) for e in report.errors] == [(3, "file")]
        assert f"byte offset {offset}" in report.errors[0].message
    assert counts(db) == before


def test_existing_customers_are_matched_by_email_and_updated(db, store):
    with db.transaction() as session:
        known, _ = service.upsert_customer(session, store_id=store.id,
                                           data=CustomerIn(email="ada@example.com"))
        service.upsert_product(session, store_id=store.id, data=ProductIn(
            title="Tea", variants=[{"sku": "TEA-1", "price_minor": 450, "currency": "EUR"}]))

    import_orders(db, store_id=store.id, source=text(row("1001", phone="+4930901820")).encode())

    with db.reading() as session:
        customers = session.scalars(select(Customer)).all()
        line = session.scalar(select(OrderLine))
        updated = session.scalar(select(Event.payload).where(Event.name == "customer.updated"))
        assert [(c.id, c.first_name, c.phone) for c in customers] == [
            (known.id, "Ada", "+4930901820")]
        assert line.variant_id is not None and line.product_id is not None
    assert updated == {"fields": ["first_name", "last_name", "phone"]}


def test_a_phone_only_order_is_matched_by_phone_and_an_anonymous_one_has_no_customer(db, store):
    source = text(row("1001", email="", phone="+4930901820"),
                  row("1002", email="", phone="+49 30 901820"),
                  row("1003", email="", first_name="", last_name="")).encode()

    import_orders(db, store_id=store.id, source=source)

    with db.reading() as session:
        customer_ids = session.scalars(select(Order.customer_id).order_by(Order.number)).all()
    assert customer_ids[0] == customer_ids[1] is not None
    assert customer_ids[2] is None
    assert counts(db)["Customer"] == 1


def test_orders_of_other_stores_do_not_clash(db, make_store):
    acme, other = make_store("acme"), make_store("other")
    import_orders(db, store_id=other.id, source=text(row("1001")).encode())

    report = import_orders(db, store_id=acme.id, source=text(row("1001")).encode())

    assert (report.imported_orders, report.errors) == (1, [])
    assert counts(db)["Customer"] == 2


def test_a_file_path_works_and_progress_is_reported(db, store, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(three_orders())
    seen: list[tuple[str, int, int]] = []

    report = import_orders(db, store_id=store.id, source=path,
                           progress=lambda *args: seen.append(args))

    assert report.imported_orders == 3
    assert seen[-1] == ("writing", 3, 3)
    assert ("reading", 6, 6) in seen


def test_a_file_with_only_a_header_imports_nothing_and_succeeds(db, store):
    report = import_orders(db, store_id=store.id, source=text().encode())

    assert (report.imported_orders, report.errors, report.unreadable) == (0, [], False)
    assert counts(db) == {"Order": 0, "OrderLine": 0, "Customer": 0, "Event": 0, "Job": 0}


def test_an_empty_file_is_unreadable(db, store):
    report = import_orders(db, store_id=store.id, source=b"")

    assert report.unreadable
    assert [(e.line, e.column) for e in report.errors] == [(1, "file")]


def test_amounts_follow_the_currency_of_each_order(db, store):
    source = text(row("J-1", currency="JPY", unit_price="1200", shipping="500"),
                  row("K-1", currency="KWD", unit_price="1.250", shipping="")).encode()

    import_orders(db, store_id=store.id, source=source)

    with db.reading() as session:
        totals = session.execute(select(Order.number, Order.currency, Order.total_minor)
                                 .order_by(Order.number)).all()
    assert [tuple(t) for t in totals] == [("J-1", "JPY", 2 * 1200 + 500), ("K-1", "KWD", 2500)]
