"""The policy at send time, against the database: consent, the suppression list,
holds while a shipment exception is open, the contact budget, quiet hours in the
customer's time zone (deferred, not dropped)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from afterward.commerce.models import Consent
from afterward.jobs import Job
from afterward.messaging import pipeline, service
from afterward.tracking import service as tracking
from afterward.tracking.statuses import Status
from tests.messaging.conftest import (
    make_customer,
    make_order,
    make_product,
    message_row,
    queue,
    run_jobs,
    shop,
)


def marketing(db, store_id, customer_id, key="promo-1", **fields):
    values = {"customer_id": customer_id, "purpose": "marketing", "category": "newsletter",
              "template_key": "order_confirmation", "idempotency_key": key}
    values.update(fields)
    return queue(db, store_id, **values)


def settings(db, store_id, **changes):
    with db.transaction() as session:
        service.update_sending_settings(session, store_id=store_id, **changes)


def outcome(db, message_id):
    row = message_row(db, message_id)
    return row.status, row.status_reason


def prepare_at(db, message_id, now):
    with db.transaction() as session:
        return pipeline.prepare(session, message_id=message_id, now=now)


def test_marketing_without_consent_is_suppressed_and_says_why(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id, marketing=None)
    settings(db, store.id, quiet_start="00:00", quiet_end="00:00")
    message_id = marketing(db, store.id, customer_id, refs={"order_id": order_id})

    run_jobs(db)

    assert outcome(db, message_id) == ("suppressed", "no_consent")
    assert message_row(db, message_id).finished_at is not None
    assert smtp.mailbox.messages == []


def test_a_revoked_transactional_consent_is_respected(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id)
    with db.transaction() as session:
        session.add(Consent(store_id=store.id, customer_id=customer_id, channel="email",
                            purpose="transactional", granted=False))
    message_id = queue(db, store.id, customer_id=customer_id, refs={"order_id": order_id},
                       template_key="order_confirmation")

    run_jobs(db)

    assert outcome(db, message_id) == ("suppressed", "no_consent")


def test_a_hard_bounced_address_gets_nothing_an_unsubscribed_one_gets_receipts(
        db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id, marketing=True, email="Ada@Example.com")
    settings(db, store.id, quiet_start="00:00", quiet_end="00:00")
    with db.transaction() as session:
        service.suppress(session, store_id=store.id, channel="email", address="ada@example.com",
                         reason="unsubscribe")
    receipt = queue(db, store.id, customer_id=customer_id, refs={"order_id": order_id},
                    template_key="order_confirmation", idempotency_key="receipt")
    promo = marketing(db, store.id, customer_id, refs={"order_id": order_id})
    run_jobs(db)
    assert outcome(db, receipt) == ("sent", None)
    assert outcome(db, promo) == ("suppressed", "suppressed:unsubscribe")

    with db.transaction() as session:
        service.suppress(session, store_id=store.id, channel="email", address="ADA@example.com",
                         reason="hard_bounce")
    second = queue(db, store.id, customer_id=customer_id, refs={"order_id": order_id},
                   template_key="order_confirmation", idempotency_key="receipt-2")
    run_jobs(db)

    assert outcome(db, second) == ("suppressed", "suppressed:hard_bounce")
    assert len(smtp.mailbox.messages) == 1


def test_a_message_with_no_address_is_suppressed(db, make_store):
    store = make_store("acme")
    with db.transaction() as session:
        customer_id = make_customer(session, store.id, email=None).id
    message_id = queue(db, store.id, customer_id=customer_id, template_key="order_confirmation")

    run_jobs(db)

    assert outcome(db, message_id) == ("suppressed", "no_address")


def test_the_order_s_email_is_used_when_there_is_no_customer(db, make_store, smtp):
    store = make_store("acme")
    with db.transaction() as session:
        tea = make_product(session, store.id, "TEA-1", "Green tea")
        order = make_order(session, store.id, None, "2001", [(tea, 1)])
        order.email = "guest@example.com"
        order_id = order.id
    message_id = queue(db, store.id, refs={"order_id": order_id},
                       template_key="order_confirmation")

    run_jobs(db)

    assert outcome(db, message_id) == ("sent", None)
    assert smtp.mailbox.envelopes[0].rcpt_tos == ["guest@example.com"]
    assert "Hello," in smtp.mailbox.messages[0].get_body(("plain",)).get_content()


def test_no_review_request_while_a_shipment_exception_is_open(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, shipment_id, _ = shop(db, store.id)
    with db.transaction() as session:
        shipment = tracking.get_shipment(session, store_id=store.id, shipment_id=shipment_id)
        tracking.add_event(session, shipment=shipment, event=tracking.CarrierEvent(
            occurred_at=datetime(2026, 3, 3, 8, tzinfo=UTC), status=Status.exception,
            provider="dhl", provider_status="damaged", message="Parcel damaged",
            location="Leipzig"))
    review = queue(db, store.id, customer_id=customer_id, refs={"order_id": order_id},
                   category="review_request", template_key="shipment_delivered",
                   idempotency_key="review-1")
    update = queue(db, store.id, customer_id=customer_id, refs={"order_id": order_id},
                   category="shipment_exception", template_key="shipment_shipped",
                   idempotency_key="apology-1")

    run_jobs(db)

    assert outcome(db, review) == ("suppressed", "held:shipment_exception")
    assert outcome(db, update) == ("sent", None)

    # once the parcel is delivered, the exception is no longer open
    with db.transaction() as session:
        shipment = tracking.get_shipment(session, store_id=store.id, shipment_id=shipment_id)
        tracking.add_event(session, shipment=shipment, event=tracking.CarrierEvent(
            occurred_at=datetime(2026, 3, 5, 8, tzinfo=UTC), status=Status.delivered,
            provider="dhl", provider_status="delivered", message=None, location="Berlin"))
    again = queue(db, store.id, customer_id=customer_id, refs={"order_id": order_id},
                  category="review_request", template_key="shipment_delivered",
                  idempotency_key="review-2")
    run_jobs(db)
    assert outcome(db, again) == ("sent", None)


def test_the_contact_budget_caps_marketing_and_lets_receipts_through(db, make_store, smtp):
    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id, marketing=True)
    settings(db, store.id, quiet_start="00:00", quiet_end="00:00", marketing_budget=2,
             budget_days=7)
    promos = [marketing(db, store.id, customer_id, key=f"promo-{i}",
                        refs={"order_id": order_id}) for i in range(3)]
    receipt = queue(db, store.id, customer_id=customer_id, refs={"order_id": order_id},
                    template_key="order_confirmation", idempotency_key="receipt")

    run_jobs(db)

    assert [outcome(db, m) for m in promos] == [
        ("sent", None), ("sent", None), ("suppressed", "contact_budget")]
    assert outcome(db, receipt) == ("sent", None)
    assert len(smtp.mailbox.messages) == 3


def test_the_budget_is_per_customer(db, make_store):
    store = make_store("acme")
    settings(db, store.id, quiet_start="00:00", quiet_end="00:00", marketing_budget=1)
    with db.transaction() as session:
        ada = make_customer(session, store.id, marketing=True).id
        bob = make_customer(session, store.id, email="bob@example.com", marketing=True).id
        tea = make_product(session, store.id, "TEA-1", "Green tea")
        order_id = make_order(session, store.id, None, "3001", [(tea, 1)]).id
    first = marketing(db, store.id, ada, key="a", refs={"order_id": order_id})
    second = marketing(db, store.id, bob, key="b", refs={"order_id": order_id})

    run_jobs(db)

    assert outcome(db, first)[0] == outcome(db, second)[0] == "sent"


def test_marketing_at_night_in_berlin_waits_for_the_morning(db, make_store):
    store = make_store("acme", timezone="America/New_York")
    customer_id, order_id, _, _ = shop(db, store.id, marketing=True, timezone="Europe/Berlin")
    message_id = marketing(db, store.id, customer_id, refs={"order_id": order_id})
    night = datetime(2026, 3, 28, 21, 30, tzinfo=UTC)  # 22:30 CET, the night clocks go forward

    assert prepare_at(db, message_id, night) == "deferred"

    waiting = message_row(db, message_id)
    morning = datetime(2026, 3, 29, 6, tzinfo=UTC)  # 08:00 CEST
    assert (waiting.status, waiting.status_reason, waiting.send_after) == (
        "queued", "quiet_hours", morning)
    with db.reading() as session:
        prepares = session.scalars(select(Job).where(Job.kind == "messaging.prepare")
                                   .order_by(Job.id)).all()
    assert [j.run_at for j in prepares][-1] == morning

    assert prepare_at(db, message_id, morning) == "ready"
    assert message_row(db, message_id).approved_at == morning


def test_the_store_s_time_zone_applies_when_the_customer_has_none(db, make_store):
    store = make_store("acme", timezone="America/New_York")
    customer_id, order_id, _, _ = shop(db, store.id, marketing=True)
    message_id = marketing(db, store.id, customer_id, refs={"order_id": order_id})
    evening = datetime(2026, 11, 1, 2, tzinfo=UTC)  # 22:00 EDT, hours before clocks go back

    prepare_at(db, message_id, evening)

    assert message_row(db, message_id).send_after == datetime(2026, 11, 1, 13, tzinfo=UTC)


def test_a_detractor_gets_no_marketing_for_a_while_but_still_gets_receipts(
        db, make_store, smtp):
    from afterward.feedback import surveys

    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id, marketing=True)
    settings(db, store.id, quiet_start="00:00", quiet_end="00:00")
    with db.transaction() as session:
        surveys.answer(session, store_id=store.id, order_id=order_id, survey="nps", score=2,
                       source="link")
    promo = marketing(db, store.id, customer_id, refs={"order_id": order_id})
    receipt = queue(db, store.id, customer_id=customer_id, refs={"order_id": order_id},
                    template_key="order_confirmation", idempotency_key="receipt")

    run_jobs(db)

    assert outcome(db, promo) == ("suppressed", "held:survey_detractor")
    assert outcome(db, receipt) == ("sent", None)


def test_a_promoter_s_marketing_goes_out(db, make_store, smtp):
    from afterward.feedback import surveys

    store = make_store("acme")
    customer_id, order_id, _, _ = shop(db, store.id, marketing=True)
    settings(db, store.id, quiet_start="00:00", quiet_end="00:00")
    with db.transaction() as session:
        surveys.answer(session, store_id=store.id, order_id=order_id, survey="nps", score=10,
                       source="link")
    promo = marketing(db, store.id, customer_id, refs={"order_id": order_id})

    run_jobs(db)

    assert outcome(db, promo) == ("sent", None)
