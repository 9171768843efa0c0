"""The returns portal's reasons per product category, exchanges for another product
(found by a search, with the difference per option) and gift returns (store credit or
an exchange for the recipient, never a refund to the buyer)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from afterward.commerce.models import Customer
from afterward.returns.models import Return
from tests.returns.conftest import make_shop
from tests.web.portal_steps import Portal, action, fields, problem

MUG = {"MUG-1": (1, "too_small")}
INSTANT = {"label_carrier": "easypost", "instant_exchange": True, "return_address": {
    "name": "Acme Returns", "street1": "Lagerstrasse 1", "city": "Hamburg", "zip": "20095",
    "country": "DE"}}
SOONER = "Sending the exchange before your parcel arrives is not offered for this return."
GIFT = {"gift": "1", "gift_email": "bea@example.com", "gift_name": "Bea Lovelace"}


@pytest.fixture
def portal(client, db, store) -> Portal:
    return Portal(make_shop(client, db, store))


def reasons_of(html: str, line_id: int) -> list[str]:
    select_html = re.search(rf'<select id="reason_{line_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select_html, f"no reasons for line {line_id}"
    return [unescape(label) for label in re.findall(r">([^<]+)</option>", select_html.group(1))]


def exchange_choices(html: str) -> list[tuple[str, str, str]]:
    """(sku, title and price, difference) of each exchange option on the page."""
    return [(sku, unescape(title), unescape(difference)) for sku, title, difference in re.findall(
        r'name="exchange_for_sku" value="([^"]+)"[^>]*>\s*<label[^>]*>([^<]+)<br>'
        r'<span class="muted">([^<]+)</span>', html)]


def test_each_line_offers_the_reasons_of_its_category(portal):
    portal.shop.put_policy(reasons_by_category={"tea": ["arrived_late", "not_as_described"]})
    ids = portal.line_ids()

    page = portal.start()
    german = portal.start("de")

    assert reasons_of(page.text, ids["TEA-1"]) == ["Arrived too late", "Not as described"]
    assert reasons_of(page.text, ids["MUG-1"])[:3] == ["Too small", "Too large",
                                                       "Not as described"]
    assert reasons_of(german.text, ids["TEA-1"]) == ["Zu spät angekommen",
                                                     "Nicht wie beschrieben"]


def test_a_reason_of_another_category_is_refused_readably(portal):
    portal.shop.put_policy(reasons_by_category={"tea": ["arrived_late"]})

    page = portal.review({"TEA-1": (1, "too_small")})

    assert page.status_code == 422
    assert problem(page.text) == "Choose a reason for each item from the list."
    assert portal.nothing_recorded()


def test_the_resolution_step_offers_other_products_with_the_difference(portal):
    page = portal.review(MUG)

    assert exchange_choices(page.text) == [
        ("MUG-3", "Mug, Large (€15.00)", "You pay €3.00"),
        ("CUP-1", "Cup (€3.00)", "You get €10.20 back"),
        ("TEA-1", "Green tea (€4.50)", "You get €8.70 back"),
        ("CARD-1", "Gift card (€20.00)", "You pay €6.80"),
        ("POT-1", "Teapot (€25.00)", "You pay €11.80")]
    assert 'form="exchange-search"' in page.text


def test_a_search_narrows_the_other_products_and_selects_the_exchange(portal):
    page = portal.review(MUG)

    found = portal.client.post(action(page.text).replace("/check", "/review"),
                               data=fields(page.text) | {"q": "  TEAPOT "})

    assert found.status_code == 200
    assert [sku for sku, _, _ in exchange_choices(found.text)] == ["MUG-3", "POT-1"]
    assert 'value="exchange" checked' in found.text
    assert 'value="  TEAPOT "' not in found.text and 'value="TEAPOT"' in found.text


def test_a_search_without_a_match_says_so(portal):
    page = portal.review(MUG)

    found = portal.client.post(action(page.text).replace("/check", "/review"),
                               data=fields(page.text) | {"q": "bicycle"})

    assert "No product in stock matches “bicycle”." in found.text


def test_products_that_cannot_be_returned_are_not_offered_in_exchange(portal):
    portal.shop.put_policy(non_returnable_categories=["gift_cards"])

    page = portal.review(MUG)

    assert "CARD-1" not in [sku for sku, _, _ in exchange_choices(page.text)]


def test_an_exchange_for_another_product_is_made_with_the_bonus_and_difference(portal):
    page = portal.confirm(MUG, "exchange", "POT-1")

    [rma] = portal.returns()
    assert (rma.exchange_for_sku, rma.exchange_minor, rma.bonus_minor,
            rma.difference_minor) == ("POT-1", 2500, 120, 1180)
    assert "<dt>You pay the difference</dt><dd>€11.80</dd>" in page.text


def test_the_confirmation_of_another_product_shows_the_bonus_and_what_comes_back(portal):
    page = portal.check(MUG, "exchange", "CUP-1")

    assert "<dt>Bonus</dt><dd>€1.20</dd>" in page.text
    assert "<dt>You receive</dt><dd>1 \u00d7 Cup</dd>" in page.text
    assert "<dt>We refund the difference</dt><dd>€10.20</dd>" in page.text


@pytest.mark.parametrize("sku", ["NOPE-1", "MUG-2", "MUG-1"],
                         ids=["unknown", "out of stock", "the item itself"])
def test_an_exchange_sku_changed_by_hand_is_refused_and_records_nothing(portal, sku):
    page = portal.check(MUG, "exchange", sku)

    assert page.status_code == 422
    assert problem(page.text) == "Choose an item to exchange for from the list."
    assert portal.nothing_recorded()


def test_without_other_products_allowed_only_variants_are_offered(portal):
    portal.shop.put_policy(exchange_other_products=False)

    page = portal.review(MUG)
    refused = portal.check(MUG, "exchange", "POT-1")

    assert [sku for sku, _, _ in exchange_choices(page.text)] == ["MUG-3"]
    assert 'form="exchange-search"' not in page.text
    assert problem(refused.text) == "Choose an item to exchange for from the list."


def test_a_gift_recipient_is_offered_credit_or_exchange_and_never_a_refund(portal):
    page = portal.review(MUG, **GIFT)

    assert page.status_code == 200
    assert 'value="refund"' not in page.text
    assert ("€13.20 in store credit for bea@example.com, including a bonus of €1.20"
            in page.text)


def test_a_gift_return_credits_the_recipient(portal):
    page = portal.confirm(MUG, "store_credit", **GIFT)

    [rma] = portal.returns()
    with portal.shop.db.reading() as session:
        recipient = session.scalar(select(Customer).where(Customer.email == "bea@example.com"))
    assert recipient is not None
    assert (rma.gift_recipient_email, rma.gift_recipient_name, rma.gift_customer_id,
            rma.customer_id) == ("bea@example.com", "Bea Lovelace", recipient.id,
                                 portal.shop.customer_id)
    assert "A gift return: the store credit goes to bea@example.com." in page.text


def test_a_gift_without_the_recipient_s_email_is_refused_readably(portal):
    page = portal.review(MUG, gift="1", gift_email="not-an-email")

    assert page.status_code == 422
    assert problem(page.text) == ("For a gift, please give your email address: the store "
                                  "credit will be yours.")
    assert 'id="gift" name="gift" value="1" checked' in page.text


def test_a_refund_forced_into_a_gift_return_records_nothing(portal):
    url, body = portal.confirm_form(MUG, "store_credit", **GIFT)

    page = portal.client.post(url, data=body | {"resolution": "refund"})

    assert page.status_code == 422
    assert portal.shop.count(Return) == 0


def test_a_store_without_gift_returns_does_not_ask_and_refuses_one(portal):
    portal.shop.put_policy(gift_returns=False)

    page = portal.start()
    refused = portal.review(MUG, **GIFT)

    assert "Was this a gift?" not in page.text
    assert problem(refused.text) == "This store does not take gift returns."


def test_the_returns_lookup_tells_a_gift_recipient_to_use_the_postal_code(portal):
    page = portal.client.get("/returns?store=acme&lang=fr")
    tracking = portal.client.get("/track")

    assert "Reçu en cadeau ? Saisissez le code postal où il a été livré." in page.text
    assert "postal code it was sent to" not in tracking.text


def test_a_recipient_finds_the_gift_by_its_postal_code_and_returns_it_for_credit(portal):
    found = portal.client.post("/returns", data={"order_number": "1001", "email": "10115",
                                                 "store": "acme"})
    url, body = portal.choices(MUG, page=found)
    resolution = portal.client.post(url, data=body | GIFT)
    confirmation = portal.client.post(action(resolution.text), data=fields(resolution.text) | {
        "resolution": "store_credit"})

    done = portal.client.post(action(confirmation.text), data=fields(confirmation.text))

    assert found.url.path.startswith("/returns/o/")
    assert done.status_code == 200
    [rma] = portal.returns()
    assert (rma.status, rma.gift_recipient_email, rma.credit_minor) == (
        "approved", "bea@example.com", 1320)


def test_the_status_page_of_an_exchange_says_what_comes_and_the_bonus(portal):
    page = portal.confirm(MUG, "exchange", "POT-1")

    assert "<dt>You receive</dt><dd>1 \u00d7 Teapot</dd>" in page.text
    assert "<dt>Bonus</dt><dd>€1.20</dd>" in page.text
    assert "<dt>You pay the difference</dt><dd>€11.80</dd>" in page.text


def _exchange_now(page_text: str) -> dict[str, str]:
    return fields(page_text) | {"resolution": "exchange", "exchange_for_sku": "MUG-3",
                                "instant_exchange": "1"}


def test_an_instant_exchange_is_offered_when_the_policy_allows_it_and_recorded(portal):
    portal.shop.put_policy(**INSTANT)
    page = portal.review(MUG)
    assert 'name="instant_exchange" value="1"' in page.text

    checked = portal.client.post(action(page.text), data=_exchange_now(page.text))
    assert ("<dt>When we send it</dt><dd>as soon as the carrier scans your parcel</dd>"
            in checked.text)
    done = portal.client.post(action(checked.text), data=fields(checked.text))

    assert done.status_code == 200, problem(done.text)
    [rma] = portal.returns()
    assert (rma.resolution, rma.exchange_for_sku, rma.instant_exchange) == (
        "exchange", "MUG-3", True)


def test_an_instant_exchange_the_policy_does_not_offer_is_refused_and_records_nothing(portal):
    page = portal.review(MUG)
    assert 'name="instant_exchange"' not in page.text

    refused = portal.client.post(action(page.text), data=_exchange_now(page.text))

    assert refused.status_code == 422
    assert problem(refused.text) == SOONER
    assert portal.nothing_recorded()

