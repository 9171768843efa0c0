"""GET /api/v1/orders/{id}/recommendations and /customers/{id}/recommendations: the
lists the tracking page and the emails show, as {"items": [{"sku", "title", "score"}]}."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from afterward.insights import recs_store
from tests.insights import recs_scene

ANN_LAST = 6


@pytest.fixture
def shop(db, store):
    found = recs_scene.build(db, store.id)
    pytest.importorskip("scipy")
    with db.transaction() as session:
        recs_store.recompute_recommendations(session, store_id=store.id,
                                             now=datetime(2026, 4, 1, tzinfo=UTC))
    return found


def test_an_order_s_recommendations_are_what_goes_with_it(client, store, shop):
    response = client.get(f"/api/v1/orders/{shop.orders[ANN_LAST]}/recommendations",
                          headers=store.auth)

    assert response.status_code == 200
    assert response.json() == {"items": [{"sku": "POT", "title": "Teapot", "score": 0.4}]}


def test_a_customer_s_recommendations_come_with_a_limit(client, store, shop):
    url = f"/api/v1/customers/{shop.customers['ann']}/recommendations"
    first = client.get(url, params={"limit": 2}, headers=store.auth)
    default = client.get(url, headers=store.auth)

    assert first.status_code == 200
    assert [i["sku"] for i in first.json()["items"]] == ["TEA", "CUP"]
    assert [i["title"] for i in first.json()["items"]] == ["Green tea", "Tea cup"]
    assert len(default.json()["items"]) == 6


@pytest.mark.parametrize("limit", ["0", "21", "two", "1.5"])
def test_a_limit_outside_1_to_20_is_refused(client, store, shop, limit):
    response = client.get(f"/api/v1/orders/{shop.orders[0]}/recommendations",
                          params={"limit": limit}, headers=store.auth)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "limit"


def test_another_store_s_order_or_customer_is_not_found(client, shop, make_store):
    other = make_store("other")

    for path in (f"/api/v1/orders/{shop.orders[0]}/recommendations",
                 f"/api/v1/customers/{shop.customers['ann']}/recommendations"):
        response = client.get(path, headers=other.auth)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
