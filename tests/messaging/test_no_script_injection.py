"""Every built-in email and SMS, in every language, rendered with hostile text in
each field a customer, a carrier, a store platform or a merchant controls: the
HTML shows it as text (no script, no event handler, no javascript: link, nothing
evaluated), the subject and the text part carry it unchanged (no HTML entities),
and a name with a line break never makes a header of its own."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from sqlalchemy import select

from afterward.commerce.models import Customer, Store
from afterward.journeys import message_templates
from afterward.messaging import (
    builtin_templates,
    module_templates,
    service,
    template_registry,
    templates,
)
from afterward.messaging.context import sample_context
from afterward.messaging.templates import TemplateSource
from tests.hostile import SCRIPT_URL, hostile, missing, parse
from tests.messaging.conftest import message_row, run_jobs

ORDER_NUMBER = "[order]\"><script>alert(1)</script>'{{7*7}}"
# An expression a built-in may print -> the hostile value it holds.
SHOWN = {
    "store.name": hostile("store", 200),
    "store.support_email": "\"><script>alert(1)</script>'@support.example",
    "customer.first_name": hostile("first", 100),
    "order.number": ORDER_NUMBER,
    "line.title": hostile("line", 300),
    "order.ship_name": hostile("ship name", 200),
    "order.ship_address1": hostile("address", 300),
    "order.ship_postal_code": "'\"><svg onload=x>",
    "order.ship_city": hostile("city", 100),
    "shipment.carrier_name": hostile("carrier", 32),
    "item.title": hostile("care title", 300),
    "item.care": hostile("care", 2000),
    "item.howto": hostile("howto", 2000),
    "product.title": hostile("recommended", 300),
    "data.offer_code": hostile("offer", 64),
    "offer.products": hostile("offer product", 300),  # a journey's code: what it is for
    "data.product_title": hostile("data title", 200),
    "return.reject_reason": hostile("reject reason", 500),
}
BREAK = "Ada\r\nBcc: evil@example.com\nX-Injected: yes"  # a name that would add headers
ENTITIES = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
BUILT_INS = [*builtin_templates.KEYS, *message_templates.KEYS, *module_templates.keys()]


def hostile_store(*, logo: bool) -> Store:
    return Store(id=1, slug="acme", name=SHOWN["store.name"], brand_primary="#1f3a5f",
                 brand_accent="#e07a1f", currency="EUR", timezone="Europe/Berlin",
                 locale="en", support_email=SHOWN["store.support_email"],
                 logo_url="https://cdn.example/logo.png?\"><script>alert(1)</script>"
                 if logo else None)


def hostile_context(locale: str, *, logo: bool) -> dict[str, Any]:
    context = sample_context(hostile_store(logo=logo), locale=locale,
                             public_url="https://shop.example", data={
                                 "offer_code": SHOWN["data.offer_code"],
                                 "product_title": SHOWN["data.product_title"],
                                 "review_url": SCRIPT_URL, "years": 2})
    context["customer"].update(first_name=SHOWN["customer.first_name"],
                               last_name=hostile("last", 100))
    order = context["order"]
    order.update(number=ORDER_NUMBER, ship_name=SHOWN["order.ship_name"],
                 ship_address1=SHOWN["order.ship_address1"],
                 ship_city=SHOWN["order.ship_city"],
                 ship_postal_code=SHOWN["order.ship_postal_code"])
    for line in order["lines"]:
        line.update(title=SHOWN["line.title"], sku=hostile("sku", 100))
    context["shipment"]["carrier_name"] = SHOWN["shipment.carrier_name"]
    context["recommendations"][0]["title"] = SHOWN["product.title"]
    context["goes_with"]["products"][0]["title"] = SHOWN["product.title"]  # insights' part
    context["care"] = [{"title": SHOWN["item.title"], "care": SHOWN["item.care"],
                        "howto": SHOWN["item.howto"]}]
    context["return"]["reject_reason"] = SHOWN["return.reject_reason"]
    context["offer"]["products"] = [SHOWN["offer.products"]]
    for line in context["return"]["lines"]:
        line["title"] = SHOWN["line.title"]
    return context


def printed(source: str) -> list[str]:
    """The hostile values this part of a template prints."""
    return [value for expression, value in SHOWN.items() if "{{ " + expression in source]


def the_source(key: str, channel: str, locale: str) -> TemplateSource:
    found = template_registry.source(key, channel, locale)
    assert found is not None
    return TemplateSource(*found)


@pytest.mark.parametrize(("key", "locale"), itertools.product(BUILT_INS,
                                                              builtin_templates.LOCALES))
def test_a_built_in_email_shows_hostile_text_as_text_in_every_part(key, locale):
    source = the_source(key, "email", locale)
    for logo in (True, False):
        rendered = templates.render("email", source, hostile_context(locale, logo=logo))
        document = parse(rendered.html or "", f"{key}/{locale}")

        assert document.problems == []
        assert missing(document, printed(source.body)) == []
        assert [v for v in printed(source.text_body or "") if v not in rendered.text] == []
        assert [v for v in printed(source.subject or "") if v not in (rendered.subject or "")
                ] == []
        assert ENTITIES.findall(rendered.text) == []
        assert ENTITIES.findall(rendered.subject or "") == []


def test_a_built_in_email_leaves_out_a_link_that_is_not_http():
    source = the_source("review_request", "email", "en")
    context = hostile_context("en", logo=False)

    refused = templates.render("email", source, context)
    context["data"]["review_url"] = "https://shop.example/review?o=1"
    linked = templates.render("email", source, context)

    assert SCRIPT_URL not in (refused.html or "") and SCRIPT_URL not in refused.text
    assert 'href="https://shop.example/review?o=1"' in (linked.html or "")
    assert "Write a review: https://shop.example/review?o=1" in linked.text


@pytest.mark.parametrize(("key", "locale"), itertools.product(
    [*builtin_templates.KEYS, *message_templates.SHIPMENT_KEYS], builtin_templates.LOCALES))
def test_a_built_in_sms_carries_hostile_text_unchanged(key, locale):
    source = the_source(key, "sms", locale)

    rendered = templates.render("sms", source, hostile_context(locale, logo=False))

    assert [v for v in printed(source.body) if v not in rendered.text] == []
    assert ENTITIES.findall(rendered.text) == []


def test_a_text_part_derived_from_html_carries_hostile_text_unchanged():
    source = TemplateSource("{{ store.name }}", "<mjml><mj-body><mj-section><mj-column>"
                            "<mj-text>{{ customer.first_name }}</mj-text></mj-column>"
                            "</mj-section></mj-body></mjml>")

    rendered = templates.render("email", source, hostile_context("en", logo=False))

    assert SHOWN["customer.first_name"] in rendered.text
    assert rendered.subject == SHOWN["store.name"]
    assert ENTITIES.findall(rendered.text) == []


def test_a_name_with_line_breaks_never_makes_a_header(db, make_store, smtp):
    store = make_store("acme")
    with db.transaction() as session:
        service.update_sending_settings(session, store_id=store.id,
                                        from_name=f"{SHOWN['store.name']}\r\nBcc: evil@example.com")
        customer = Customer(store_id=store.id, email="ada@example.com", first_name=BREAK)
        session.add(customer)
        session.flush()
        message = service.queue_message(
            session, store_id=store.id, channel="email", purpose="transactional",
            category="winback", idempotency_key="k-1", template_key="winback",
            customer_id=customer.id)
        message_id, customer_id = message.id, customer.id

    run_jobs(db)

    [mail] = smtp.mailbox.messages
    [envelope] = smtp.mailbox.envelopes
    assert envelope.rcpt_tos == ["ada@example.com"]
    assert mail.keys() == ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
                           "Content-Type"]
    assert mail["Subject"] == "We miss you, Ada Bcc: evil@example.com X-Injected: yes"
    assert mail["From"].addresses[0].display_name == (
        f"{SHOWN['store.name']} Bcc: evil@example.com")
    assert mail["From"].addresses[0].addr_spec == "shop@acme.example"
    assert parse(mail.get_body(("html",)).get_content()).problems == []
    assert message_row(db, message_id).status == "sent"
    with db.reading() as session:
        assert session.scalar(select(Customer.first_name).where(
            Customer.id == customer_id)) == BREAK  # kept as given; only headers fold it
