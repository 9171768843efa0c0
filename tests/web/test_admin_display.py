"""What a merchant reads on admin pages: dates, times, counts and rates in the
store's locale and time zone, carriers by their names, enrolments by the customer's
name (linked to the customer)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from afterward import privacy
from afterward.commerce import stores
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment
from afterward.tracking.service import new_token
from afterward.web.admin import display
from tests.journeys.helpers import consume, definition, install, the_enrolments
from tests.web.helpers import add_shipment, make_admin, place_order, sign_in


def store_in(db, locale: str, timezone: str):
    with db.transaction() as session:
        store = stores.create_store(session, slug="acme", name="Acme", currency="EUR",
                                    timezone=timezone, locale=locale)
        key = stores.issue_api_key(session, store=store)
        return store.id, {"Authorization": f"Bearer {key}"}


def signed_in_to(client, db, locale: str = "en", timezone: str = "UTC"):
    store_id, auth = store_in(db, locale, timezone)
    make_admin(db)
    sign_in(client)
    return store_id, auth


@pytest.mark.parametrize(("locale", "figures"), [
    ("en", ("Mar 2, 2026, 12:30\u202fAM", "1,234", "€1,234.00")),
    ("de", ("02.03.2026, 00:30", "1.234", "1.234,00\xa0€")),
    ("fr", ("2 mars 2026, 00:30", "1\u202f234", "1\u202f234,00\xa0€")),
    ("pt_BR", ("2 de mar. de 2026 00:30", "1.234", "€\xa01.234,00")),
])
def test_the_order_page_writes_moments_counts_and_money_as_the_store_s_locale_does(
        client, db, locale, figures):
    _store, auth = signed_in_to(client, db, locale, "Europe/Berlin")
    order = place_order(client, auth, "1001", placed_at="2026-03-01T23:30:00Z", lines=[
        {"sku": "PIN-1", "title": "Pin", "quantity": 1234, "unit_price_minor": 100}],
        shipping_minor=0, tax_minor=0)
    placed, quantity, total = figures

    page = client.get(f"/admin/orders/{order['id']}")

    assert f"<dt>Placed</dt><dd>{placed}</dd>" in page.text
    assert f'<td data-label="Qty" class="num">{quantity}</td>' in page.text
    assert f'<div class="grand"><dt>Total</dt><dd>{total}</dd></div>' in page.text


def test_the_order_page_names_each_carrier_and_keeps_an_unknown_code(client, db):
    _store, auth = signed_in_to(client, db)
    order = place_order(client, auth, "1001")
    for number, carrier in (("1Z999AA10123456784", "UPS"), ("JD014600006281230704", "DHL"),
                            ("LOCAL-1", "Speedy Local Couriers")):
        add_shipment(client, auth, order["id"], number, carrier=carrier)

    page = client.get(f"/admin/orders/{order['id']}")

    carriers = re.findall(r'<td data-label="Carrier">([^<]+)</td>', page.text)
    assert sorted(carriers) == ["DHL Express", "Speedy Local Couriers", "UPS"]


def test_the_customer_page_names_the_customer_s_language_in_the_store_s_language(client, db):
    _store, auth = signed_in_to(client, db, "de")
    order = place_order(client, auth, "1001", customer={
        "email": "ada@example.com", "first_name": "Ada", "locale": "de-AT"})

    page = client.get(f"/admin/customers/{order['customer_id']}")

    assert "<dt>Language</dt><dd>Deutsch (Österreich)</dd>" in page.text


def enrol_two_customers(client, db, store_id, auth) -> list[int]:
    install(db, store_id, definition(steps=[{"key": "wait", "wait": {"duration": "P1D"}}]))
    now = utcnow().isoformat()
    place_order(client, auth, "1001", placed_at=now)
    place_order(client, auth, "1002", placed_at=now, email="bo@example.com",
                customer={"email": "bo@example.com"})
    consume(db, store_id)
    return [row.id for row in the_enrolments(db, store_id)]


def test_the_journey_page_lists_enrolments_by_customer_name_linked_to_the_customer(
        client, db):
    store_id, auth = signed_in_to(client, db)
    enrol_two_customers(client, db, store_id, auth)
    ada, bo = (row.customer_id for row in the_enrolments(db, store_id))

    page = client.get("/admin/journeys/thanks")

    cells = re.findall(r'<td data-label="Customer">(.*?)</td>', page.text)
    assert cells == [f'<a href="/admin/customers/{bo}">bo@example.com</a>',
                     f'<a href="/admin/customers/{ada}">Ada Lovelace</a>']


def test_the_enrolment_page_names_its_customer(client, db):
    store_id, auth = signed_in_to(client, db)
    first, _second = enrol_two_customers(client, db, store_id, auth)
    customer_id = the_enrolments(db, store_id)[0].customer_id

    page = client.get(f"/admin/journeys/enrolments/{first}")

    assert (f'<dt>Customer</dt><dd><a href="/admin/customers/{customer_id}">Ada Lovelace</a>'
            in page.text)


def test_an_erased_customer_is_listed_by_number(client, db):
    store_id, auth = signed_in_to(client, db)
    enrol_two_customers(client, db, store_id, auth)
    ada = the_enrolments(db, store_id)[0].customer_id
    with db.transaction() as session:
        privacy.erase_customer(session, store_id=store_id, customer_id=ada)

    page = client.get("/admin/journeys/thanks")

    assert f'<a href="/admin/customers/{ada}">Customer {ada}</a>' in page.text


def test_the_on_time_rate_is_a_percentage_as_the_store_s_locale_writes_it(client, db):
    store_id, _auth = signed_in_to(client, db, "de")
    with db.transaction() as session:
        session.add(Shipment(store_id=store_id, token=new_token(), status="delivered",
                             carrier="ups", tracking_number="1Z999AA10123456784",
                             delivered_at=utcnow() - timedelta(days=2),
                             promised_at=utcnow() - timedelta(days=1)))

    page = client.get("/admin/shipments?period=all")

    assert '<td data-label="On-time rate" class="num">100,0\xa0%</td>' in page.text


@pytest.mark.parametrize(("locale", "count", "rate", "lift", "language"), [
    ("en", "12,345", "95.3%", "-1.0", "German (Austria)"),
    ("de", "12.345", "95,3\xa0%", "-1,0", "Deutsch (Österreich)"),
    ("fr", "12\u202f345", "95,3\xa0%", "-1,0", "allemand (Autriche)"),
    ("pt_BR", "12.345", "95,3%", "-1,0", "alemão (Áustria)"),
    ("xx", "12,345", "95.3%", "-1.0", "German (Austria)"),  # unknown: English
])
def test_counts_rates_and_languages_are_written_the_locale_s_way(
        locale, count, rate, lift, language):
    assert display.number(12345, locale) == count
    assert display.percent(0.953, locale) == rate
    assert display.points(-1.04, locale) == lift
    assert display.points(2.5, "en") == "+2.5"
    assert display.language_name("de_AT", locale) == language


def test_a_missing_figure_is_a_dash_and_an_unknown_language_tag_is_kept():
    assert display.number(None, "en") == "—"
    assert display.percent(None, "en") == "—"
    assert display.language_name("not a tag", "en") == "not a tag"
    assert display.carrier_label("dhl_express") == "DHL Express"
    assert display.carrier_label("?") == "Unknown carrier"
