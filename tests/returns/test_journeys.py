"""Returns and the built-in journeys: asking for a return ends the review request."""

from __future__ import annotations

from sqlalchemy import select

from afterward.journeys import builtins
from afterward.journeys.models import Enrolment, Journey
from afterward.tracking.models import Shipment
from tests.journeys.helpers import consume, emit


def review_requests(db, store_id):
    with db.reading() as session:
        return [(e.status, e.exit_reason) for e in session.scalars(
            select(Enrolment).join(Journey, Journey.id == Enrolment.journey_id)
            .where(Journey.store_id == store_id, Journey.key == "review_request"))]


def test_a_return_request_ends_the_review_request_of_its_order(shop, db):
    with db.transaction() as session:
        builtins.install(session, store_id=shop.store.id)
        parcel = session.scalar(select(Shipment.id).where(Shipment.order_id == shop.order_id))
    emit(db, shop.store.id, "shipment.delivered", "shipment", parcel)
    consume(db, shop.store.id)
    assert review_requests(db, shop.store.id) == [("active", None)]

    assert shop.request().status_code == 201
    consume(db, shop.store.id)

    assert review_requests(db, shop.store.id) == [("exited", "event return.requested")]
