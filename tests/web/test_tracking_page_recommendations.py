"""The tracking page's "Goes with what you bought" reads the same list as the API and
the emails (insights/recs_serve.py): the latest run's, with the serving rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from afterward.commerce.models import Order
from afterward.insights import recs_store
from tests.insights import recs_scene
from tests.messaging.conftest import make_shipment
from tests.web.test_tracking_page import all_text

ANN_LAST, BOB = 6, 1


@pytest.fixture
def shop(db, store):
    found = recs_scene.build(db, store.id)
    pytest.importorskip("scipy")
    with db.transaction() as session:
        recs_store.recompute_recommendations(session, store_id=store.id,
                                             now=datetime(2026, 4, 1, tzinfo=UTC))
    return found


def token_of(db, shop, index):
    with db.transaction() as session:
        order = session.get(Order, shop.orders[index])
        return make_shipment(session, shop.store_id, order,
                             tracking_number=f"JD01460000{index}").token


@pytest.mark.parametrize(("lang", "heading"), [("en", "Goes with what you bought"),
                                               ("de", "Passt zu Ihrem Einkauf")])
def test_the_page_shows_what_goes_with_the_order_by_its_catalogue_title(
        client, db, shop, lang, heading):
    token = token_of(db, shop, ANN_LAST)

    body = client.get(f"/t/{token}", params={"lang": lang}).text

    assert heading in body
    assert all_text(body, "suggestion-title") == ["Teapot"]  # Ann has a cup already
    assert all_text(body, "suggestion-price") == ["€5.00" if lang == "en" else "5,00 €"]


def test_the_page_shows_no_block_when_all_that_goes_with_it_is_out_of_stock(client, db, shop):
    # Bob bought tea, a cup and a whisk: only the pot goes with them
    token = token_of(db, shop, BOB)
    before = all_text(client.get(f"/t/{token}").text, "suggestion-title")
    recs_scene.out_of_stock(db, shop.store_id, "POT")

    body = client.get(f"/t/{token}").text

    assert before == ["Teapot"]
    assert all_text(body, "suggestion-title") == []
    assert "Goes with what you bought" not in body
