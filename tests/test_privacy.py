"""Export and erasure of one customer across commerce, tracking, messaging, journeys and
returns: everything personal goes, figures stay, another customer is untouched."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from afterward import privacy
from afterward.commerce.models import Consent, Customer, Order
from afterward.events import Event
from afterward.journeys.models import Enrolment
from afterward.messaging import service as messaging
from afterward.messaging.models import Message, OutboxEntry, Suppression
from afterward.tracking.models import Shipment, TrackingEvent
from tests.journeys.helpers import consume, definition, install
from tests.journeys.test_consumer import order_created
from tests.messaging.conftest import make_customer, make_order, make_product, make_shipment

AT = datetime(2026, 3, 3, 12, tzinfo=UTC)


def a_customer_with_a_history(db, store_id, email, number):
    """A customer with marketing consent, an order with a delivered parcel signed for,
    a sent email with its outbox copy, an unsubscribe, and an active enrolment."""
    with db.transaction() as session:
        person = make_customer(session, store_id, email=email, phone="+4915123456789",
                               marketing=True, birthday=datetime(1990, 5, 1).date())
        tea = make_product(session, store_id, f"TEA-{number}", "Green tea", price_minor=450)
        order = make_order(session, store_id, person, number, [(tea, 2)])
        order.payment_fingerprint = f"fp-{number}"
        parcel = make_shipment(session, store_id, order, tracking_number=f"JD01460000{number}")
        session.add(TrackingEvent(store_id=store_id, shipment_id=parcel.id, occurred_at=AT,
                                  status="delivered", provider="easypost", message="Delivered",
                                  location="Berlin DE", signed_by="A LOVELACE",
                                  dedupe_key=f"d-{number}",
                                  raw={"recipient": "Ada Lovelace", "street": "Unter den Linden"}))
        message = Message(store_id=store_id, customer_id=person.id, channel="email",
                          purpose="transactional", category="order_confirmation",
                          idempotency_key=f"k-{number}", recipient=email,
                          subject="Thanks, Ada", body_text="Hi Ada", body_html="<p>Hi Ada</p>",
                          payload={"first_name": "Ada"}, status="sent", sent_at=AT)
        session.add(message)
        session.flush()
        session.add(OutboxEntry(store_id=store_id, message_id=message.id, channel="email",
                                recipient=email, subject="Thanks, Ada", body_text="Hi Ada"))
        messaging.suppress(session, store_id=store_id, channel="email", address=email,
                           reason="unsubscribe")
        ids = person.id, order.id, parcel.id, parcel.token
    order_created(db, store_id, ids[1], ids[0])
    consume(db, store_id)
    return ids


@pytest.fixture
def two_customers(db, store):
    install(db, store.id, definition())
    consume(db, store.id)
    ada = a_customer_with_a_history(db, store.id, "ada@example.com", "1001")
    bob = a_customer_with_a_history(db, store.id, "bob@example.com", "1002")
    return ada, bob


def export(db, store_id, customer_id):
    with db.reading() as session:
        return privacy.export_customer(session, store_id=store_id, customer_id=customer_id)


def erase(db, store_id, customer_id):
    with db.transaction() as session:
        return privacy.erase_customer(session, store_id=store_id, customer_id=customer_id)


def test_an_export_holds_every_module_s_part(db, store, two_customers):
    (ada_id, order_id, _, _), _ = two_customers

    data = export(db, store.id, ada_id)

    assert sorted(data) == ["assistant", "commerce", "customer_id", "feedback", "insights",
                            "journeys", "loyalty", "messaging", "returns", "surveys",
                            "tracking"]
    assert data["customer_id"] == ada_id
    customer = data["commerce"]["customer"]
    assert (customer["email"], customer["phone"], customer["birthday"]) == (
        "ada@example.com", "+4915123456789", "1990-05-01")
    assert data["commerce"]["consents"][0]["channel"] == "email"
    [order] = data["commerce"]["orders"]
    assert (order["id"], order["ship_name"], order["total_minor"]) == (
        order_id, "Ada Lovelace", 900 + 495)
    assert order["lines"] == [{"sku": "TEA-1001", "title": "Green tea", "quantity": 2,
                               "unit_price_minor": 450, "total_minor": 900,
                               "refunded_quantity": 0}]
    [parcel] = data["tracking"]
    assert (parcel["tracking_number"], parcel["events"][-1]["signed_by"]) == (
        "JD014600001001", "A LOVELACE")
    assert [m["subject"] for m in data["messaging"]["messages"]] == ["Thanks, Ada"]
    assert data["messaging"]["suppressions"][0]["reason"] == "unsubscribe"
    assert [(e["journey"], e["status"]) for e in data["journeys"]] == [("thanks", "active")]


def test_erasure_removes_identity_everywhere_and_keeps_the_figures(db, store, two_customers):
    (ada_id, order_id, parcel_id, old_token), (bob_id, *_) = two_customers
    bob_before = export(db, store.id, bob_id)

    rows = erase(db, store.id, ada_id)

    assert rows == {"customers": 1, "consents": 1, "orders": 1, "shipments": 1,
                    "tracking_events": 2, "messages": 1, "message_outbox": 1,
                    "journey_enrolments": 1, "returns": 0, "return_lines": 0,
                    "loyalty_entries": 0, "loyalty_referrals": 0, "reviews": 0,
                    "review_photos": 0, "review_requests": 0, "survey_responses": 0,
                    "text_sentiments": 0, "text_themes": 0, "customer_insights": 0,
                    "replenishment_dates": 0, "recommendation_items": 0,
                    "customer_subscriptions": 0,
                    "conversations": 0, "conversation_messages": 0}
    with db.reading() as session:
        ada = session.get(Customer, ada_id)
        assert (ada.email, ada.phone, ada.first_name, ada.last_name, ada.birthday,
                ada.external_id) == (None, None, None, None, None, None)
        assert session.scalar(select(func.count()).select_from(Consent)
                              .where(Consent.customer_id == ada_id)) == 0
        order = session.get(Order, order_id)
        assert (order.email, order.ship_name, order.ship_address1, order.ship_city,
                order.ship_postal_code, order.payment_fingerprint) == (
            None, None, None, None, None, None)
        assert (order.total_minor, order.ship_country, order.customer_id) == (
            900 + 495, "DE", ada_id)
        parcel = session.get(Shipment, parcel_id)
        assert parcel.signed_by is None and parcel.token != old_token
        assert len(parcel.token) == 43
        scans = session.scalars(select(TrackingEvent).where(
            TrackingEvent.shipment_id == parcel_id).order_by(TrackingEvent.occurred_at)).all()
        assert [(s.signed_by, s.raw, s.status) for s in scans] == [
            (None, None, "in_transit"), (None, None, "delivered")]
        message = session.scalars(select(Message).where(Message.customer_id == ada_id)).one()
        assert (message.recipient, message.subject, message.body_text, message.body_html,
                message.payload, message.status) == (None, None, None, None, {}, "sent")
        assert session.scalars(select(OutboxEntry.recipient)).all() == ["bob@example.com"]
        assert session.scalars(select(Suppression.address).order_by(Suppression.id)).all() == [
            "ada@example.com", "bob@example.com"]  # an unsubscribe is still honoured
        enrolment = session.scalars(select(Enrolment)
                                    .where(Enrolment.customer_id == ada_id)).one()
        assert (enrolment.status, enrolment.exit_reason) == ("exited", "customer erased")
        assert session.scalars(select(Event.name).where(Event.subject_id == ada_id,
                                                        Event.subject_type == "customer")
                               ).all() == ["customer.erased"]
    assert export(db, store.id, bob_id) == bob_before


def test_erasing_twice_is_harmless(db, store, two_customers):
    (ada_id, *_), _ = two_customers
    erase(db, store.id, ada_id)
    first = export(db, store.id, ada_id)

    again = erase(db, store.id, ada_id)

    assert (again["journey_enrolments"], again["consents"], again["message_outbox"]) == (0, 0, 0)
    assert {k: v for k, v in export(db, store.id, ada_id).items() if k != "tracking"} == {
        k: v for k, v in first.items() if k != "tracking"}


def test_an_unknown_customer_or_another_store_s_is_refused_and_nothing_changes(
        db, store, make_store, two_customers):
    (ada_id, *_), _ = two_customers
    other = make_store("other")
    before = export(db, store.id, ada_id)

    with pytest.raises(privacy.UnknownCustomer):
        erase(db, other.id, ada_id)
    with pytest.raises(privacy.UnknownCustomer):
        export(db, store.id, 999_999)

    assert export(db, store.id, ada_id) == before
