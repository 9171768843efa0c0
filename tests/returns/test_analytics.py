"""Return analytics, exactly: two orders (each 2 teas, a blue mug, 3 cups); a mug
refunded, 2 cups credited (damaged), the other order's mug exchanged for the large one,
a cup rejected (not counted). Rates by product, category and reason; shares of each
resolution; revenue retained against refunds; median and 90th percentile time to
resolution; one product's comments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from afterward.returns import analytics
from afterward.returns.analytics import Rate, Retained, Share
from afterward.returns.models import Return
from afterward.storage.types import utcnow
from tests.factories import order_body
from tests.returns.conftest import Shop
from tests.returns.test_photo_files import png
from tests.returns.test_photos_api import upload


def made(shop: Shop, sku: str, quantity: int, reason: str, resolution: str,
         order_number: str = "1001", comment: str | None = None, **extra: Any) -> int:
    answer = shop.request([{"sku": sku, "quantity": quantity, "reason": reason,
                            "comment": comment}], resolution=resolution,
                          order_number=order_number, **extra)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def received(shop: Shop, return_id: int, sku: str, quantity: int) -> None:
    answer = shop.post(f"/api/v1/returns/{return_id}/receive",
                       {"lines": [{"sku": sku, "quantity": quantity, "condition": "new"}]})
    assert answer.status_code == 200 and answer.json()["status"] == "resolved", answer.text


def took(shop: Shop, return_id: int, hours: int) -> None:
    """Asked for five days ago and resolved `hours` later."""
    asked = utcnow() - timedelta(days=5)
    with shop.db.transaction() as session:
        session.execute(update(Return).where(Return.id == return_id).values(
            created_at=asked, resolved_at=asked + timedelta(hours=hours)))


@pytest.fixture
def history(shop: Shop) -> dict[str, int]:
    placed = (utcnow() - timedelta(days=4)).isoformat().replace("+00:00", "Z")
    second = shop.client.post("/api/v1/orders", json=order_body("1002", placed_at=placed),
                              headers=shop.auth)
    assert second.status_code == 201, second.text
    ids = {
        "mug": made(shop, "MUG-1", 1, "too_small", "refund", comment="Too small for coffee"),
        "cups": made(shop, "CUP-1", 2, "damaged", "store_credit", comment="Chipped"),
        "exchange": made(shop, "MUG-1", 1, "too_small", "exchange", "1002",
                         comment="Wanted the large one", exchange_for_sku="MUG-3"),
        "rejected": made(shop, "CUP-1", 1, "changed_mind", "refund", "1002"),
    }
    assert shop.post(f"/api/v1/returns/{ids['rejected']}/reject",
                     {"reason": "no"}).status_code == 200
    # the damaged cups wait for their photo (the default policy asks for one)
    assert upload(shop, ids["cups"], png()).json()["status"] == "approved"
    received(shop, ids["mug"], "MUG-1", 1)
    received(shop, ids["cups"], "CUP-1", 2)
    received(shop, ids["exchange"], "MUG-1", 1)
    took(shop, ids["mug"], 24)
    took(shop, ids["cups"], 48)
    took(shop, ids["exchange"], 96)
    return ids


def period(days: int = 30) -> dict[str, Any]:
    now = utcnow()
    return {"since": now - timedelta(days=days), "until": now + timedelta(minutes=1)}


def test_the_rate_by_product_is_units_returned_of_units_sold_not_exchanges(shop, history):
    with shop.db.reading() as session:
        rates = analytics.rates_by_product(session, store_id=shop.store.id, **period())

    assert [(r.label, r.returned, r.sold) for r in rates] == [("Mug", 2, 2), ("Cup", 2, 6)]
    assert [r.rate for r in rates] == [1.0, 1 / 3]


def test_the_rate_by_category_and_the_units_by_reason(shop, history):
    with shop.db.reading() as session:
        categories = analytics.rates_by_category(session, store_id=shop.store.id, **period())
        reasons = analytics.units_by_reason(session, store_id=shop.store.id, **period())

    assert categories == [Rate("home", "home", 4, 8)]
    assert categories[0].rate == 0.5
    assert reasons == [Rate("damaged", "damaged", 2, 0), Rate("too_small", "too small", 2, 0)]


def test_each_resolution_has_its_share_and_rejected_returns_are_not_counted(shop, history):
    with shop.db.reading() as session:
        shares = analytics.resolution_shares(session, store_id=shop.store.id, **period())

    assert shares == [Share("refund", 1, 1 / 3), Share("store_credit", 1, 1 / 3),
                      Share("exchange", 1, 1 / 3), Share("keep", 0, 0.0)]


def test_revenue_retained_is_the_credit_and_exchange_value_against_the_refunds(shop, history):
    with shop.db.reading() as session:
        retained = analytics.revenue_retained(session, store_id=shop.store.id, **period())

    assert retained == [Retained("EUR", retained_minor=600 + 1200, refunded_minor=1200)]
    assert retained[0].share == 0.6


def test_time_to_resolution_has_its_median_and_90th_percentile(shop, history):
    with shop.db.reading() as session:
        durations = analytics.time_to_resolution(session, store_id=shop.store.id, **period())

    assert durations == analytics.Durations(count=3, median_hours=48.0, p90_hours=96.0)


def test_a_products_comments_stand_side_by_side_newest_first(shop, history):
    with shop.db.reading() as session:
        mug = dict((title, pid) for pid, title in
                   analytics.returned_products(session, store_id=shop.store.id))["Mug"]
        comments = analytics.product_comments(session, store_id=shop.store.id,
                                              product_id=mug, **period())

    assert [(c.sku, c.reason, c.comment) for c in comments] == [
        ("MUG-1", "too_small", "Wanted the large one"),
        ("MUG-1", "too_small", "Too small for coffee")]


def test_returns_asked_for_before_the_period_are_left_out(shop, history):
    since = utcnow() - timedelta(days=1)
    with shop.db.reading() as session:
        report = analytics.report(session, store_id=shop.store.id, since=since,
                                  until=utcnow() + timedelta(minutes=1))

    assert (report.by_product, report.by_reason) == ([], [])
    assert [s.count for s in report.resolutions] == [0, 0, 0, 0]
    assert report.retained == []
    assert report.time_to_resolution == analytics.Durations(0, None, None)


def test_another_stores_returns_are_not_counted(shop, history, make_store):
    other = make_store("other")
    with shop.db.reading() as session:
        report = analytics.report(session, store_id=other.id, **period())

    assert (report.by_product, report.by_category, report.by_reason) == ([], [], [])
    assert report.retained == []
