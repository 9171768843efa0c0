"""The returns portal's way in: /returns finds the order with its number and the email
address or postal code (the /track throttle counts it, a miss says nothing of which
fact was wrong), the tracking page's "Start a return" lands on the order's portal
without the email in any URL, and the item page says what can come back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from afterward.tracking.models import Shipment
from afterward.web.pages import lookup
from tests.returns.conftest import make_shop
from tests.web.portal_steps import Portal


@pytest.fixture
def portal(client, db, store) -> Portal:
    return Portal(make_shop(client, db, store))


def tracking_token(portal: Portal) -> str:
    with portal.shop.db.reading() as session:
        return str(session.scalar(select(Shipment.token)))


def test_the_lookup_form_asks_for_the_order_number_and_email_or_postal_code(client):
    page = client.get("/returns?store=acme&order_number=1001")

    assert page.status_code == 200
    assert '<h1 id="returns-heading">Return an item</h1>' in page.text
    assert 'name="order_number" type="text" value="1001"' in page.text


def test_the_order_number_and_email_lead_to_the_orders_portal_without_the_email(portal):
    answer = portal.client.post("/returns", data={
        "order_number": "1001", "email": "ADA@example.com", "store": "acme"},
        follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/returns/o/")
    assert "ada" not in answer.headers["location"].lower()
    page = portal.client.get(answer.headers["location"])
    assert "What would you like to return?" in page.text


def test_the_postal_code_finds_the_order_too(portal):
    answer = portal.client.post("/returns", data={
        "order_number": "#1001", "email": "10115", "store": "acme"}, follow_redirects=False)

    assert answer.status_code == 303


@pytest.mark.parametrize(("number", "contact"), [("1001", "eve@example.com"),
                                                 ("9999", "ada@example.com"),
                                                 ("1001", "99999")])
def test_a_miss_gives_the_same_page_whichever_fact_was_wrong(portal, number, contact):
    page = portal.client.post("/returns", data={"order_number": number, "email": contact,
                                                "store": "acme"})

    assert page.status_code == 404
    assert "We could not find that order" in page.text


def test_one_missing_fact_asks_for_both(portal):
    page = portal.client.post("/returns", data={"order_number": "1001", "store": "acme"})

    assert page.status_code == 400
    assert "Two details are needed" in page.text


def test_the_portal_lookup_counts_against_the_same_limit_as_track(portal):
    for _ in range(lookup.LIMIT):
        portal.client.post("/track", data={"order_number": "9", "email": "x@example.com",
                                           "store": "acme"})

    page = portal.client.post("/returns", data={"order_number": "1001",
                                                "email": "ada@example.com", "store": "acme"})

    assert page.status_code == 429
    assert page.headers["retry-after"] == str(lookup.WINDOW_SECONDS)
    assert "Too many attempts" in page.text


def test_the_tracking_pages_start_a_return_lands_on_the_orders_portal(portal):
    token = tracking_token(portal)
    tracking_page = portal.client.get(f"/t/{token}").text
    assert f'href="/returns/from/{token}"' in tracking_page

    answer = portal.client.get(f"/returns/from/{token}?lang=de", follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/returns/o/")
    assert answer.headers["location"].endswith("?lang=de")
    page = portal.client.get(answer.headers["location"])
    assert "Was möchten Sie zurücksenden?" in page.text


def test_an_unknown_tracking_token_is_a_readable_404(portal):
    page = portal.client.get("/returns/from/not-a-token")

    assert page.status_code == 404
    assert "We could not find this page" in page.text


@pytest.mark.parametrize("token", ["WzEsMV0.forged.signature", "x" * 400, "WzEsMV0"])
def test_a_forged_or_altered_portal_link_is_a_readable_404(portal, token):
    page = portal.client.get(f"/returns/o/{token}")

    assert page.status_code == 404
    assert "We could not find this page" in page.text


def test_the_item_page_offers_what_can_come_back_of_each_line(portal):
    page = portal.start()

    ids = portal.line_ids()
    assert page.status_code == 200
    assert page.url.path.startswith("/returns/o/")
    assert f'<select id="qty_{ids["TEA-1"]}" name="qty_{ids["TEA-1"]}">' in page.text
    assert '<option value="2">2</option>' in page.text
    assert '<option value="changed_mind">Changed my mind</option>' in page.text
    assert "You can start a return until" in page.text


def test_a_final_sale_line_says_why_it_cannot_come_back(portal):
    portal.shop.put_policy(final_sale_skus=["CUP-1"])

    page = portal.start()

    ids = portal.line_ids()
    assert f'name="qty_{ids["CUP-1"]}"' not in page.text
    assert "<legend>Cup</legend>\n      <p class=\"muted\">Cannot be returned</p>" in page.text


def test_after_the_window_nothing_can_be_returned_and_the_page_says_so(portal):
    from datetime import timedelta

    from afterward.storage.types import utcnow

    portal.shop.deliver(utcnow() - timedelta(days=31))

    page = portal.start()

    assert "Nothing in this order can be returned." in page.text
    assert "<li>Mug: The return window has closed</li>" in page.text
    assert "<form method=\"post\"" not in page.text


def test_the_item_page_speaks_the_shoppers_language(portal):
    page = portal.start(lang="fr")

    assert "Que souhaitez-vous retourner ?" in page.text
    assert '<option value="too_small">Trop petit</option>' in page.text


def test_an_unshipped_orders_page_links_to_the_lookup_with_its_number_only(portal):
    from tests.factories import order_body

    placed = portal.client.post("/api/v1/orders", json=order_body("1002"),
                                headers=portal.shop.auth)
    assert placed.status_code == 201, placed.text

    page = portal.client.post("/track", data={"order_number": "1002",
                                              "email": "ada@example.com", "store": "acme"})

    assert 'href="/returns?order_number=1002&amp;store=acme"' in page.text
    assert "ada%40example.com" not in page.text
