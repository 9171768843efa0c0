"""The built-in review_request email carries the order's review form link (the
`review` part of its context), and the built-in journey reminds at most twice, only
while the request is open."""

from __future__ import annotations

import json
import re
from importlib import resources

from afterward.commerce.models import Customer, Store
from afterward.feedback import links
from afterward.messaging import template_registry, templates
from afterward.messaging.context import Links, build_context
from afterward.messaging.templates import TemplateSource
from tests.feedback.scene import SECRET


def test_the_review_request_email_links_the_orders_review_form(shop, db):
    order = shop.order("1001")
    source = TemplateSource(*template_registry.source("review_request", "email", "de"))
    with db.reading() as session:
        context = build_context(
            session, store=session.get(Store, shop.store.id),
            customer=session.get(Customer, order["customer_id"]),
            refs={"order_id": order["id"]}, data={}, locale="de", timezone="UTC",
            public_url="https://shop.example", links=Links(unsubscribe=None),
            secret_key=SECRET)

    rendered = templates.render("email", source, context)

    found = re.search(r'href="https://shop\.example/review/([^"]+)"', rendered.html or "")
    assert found is not None
    reading = links.read(SECRET, found.group(1))
    assert reading is not None and (reading.store_id, reading.order_id) == (
        shop.store.id, order["id"])
    assert f"https://shop.example/review/{found.group(1)}" in rendered.text


def test_the_built_in_journey_reminds_twice_only_while_the_review_is_open():
    raw = resources.files("afterward.journeys.builtins").joinpath("review_request.json")
    journey = json.loads(raw.read_text())

    sends = [s for s in json.dumps(journey["steps"]).split('"send"')[1:]]
    branches = [s for s in journey["steps"] if "branch" in s]

    assert len(sends) == 3
    assert [b["branch"]["if"] for b in branches] == [{"eq": ["review.open", True]}] * 2
    assert {e["event"] for e in journey["exit"]} == {"return.requested", "order.refunded",
                                                     "order.cancelled"}
