"""Webhooks out as any module raises them (afterward/outbound.py): a job for the
messaging worker when an endpoint of the store takes the event type, and none when
no endpoint does."""

from __future__ import annotations

from sqlalchemy import func, select

from afterward import outbound
from afterward.jobs import Job
from afterward.messaging.models import WebhookEndpoint
from tests.webhook_listeners import listening


def publish(db, store_id: int, event_type: str = "return.refund_requested",
            event_id: str = "refund_request_1", dedupe_key: str | None = None) -> None:
    with db.transaction() as session:
        outbound.publish(session, store_id=store_id, event_type=event_type,
                         event_id=event_id, data={"amount_minor": 1200},
                         dedupe_key=dedupe_key)


def queued(db) -> list[tuple[int | None, dict]]:
    with db.reading() as session:
        return [(job.store_id, job.payload) for job in session.scalars(
            select(Job).where(Job.kind == outbound.PUBLISH_JOB).order_by(Job.id))]


def test_a_store_without_endpoints_queues_nothing(db, store):
    publish(db, store.id)

    assert queued(db) == []


def test_an_endpoint_taking_every_event_gets_the_event_as_one_job(db, store):
    listening(db, store.id)

    publish(db, store.id)

    assert queued(db) == [(store.id, {"event_type": "return.refund_requested",
                                      "event_id": "refund_request_1",
                                      "data": {"amount_minor": 1200}})]


def test_an_endpoint_taking_other_events_or_switched_off_queues_nothing(db, store, make_store):
    listening(db, store.id, events=["order.created"])
    other = make_store("other")
    listening(db, other.id)
    with db.transaction() as session:
        session.execute(WebhookEndpoint.__table__.update()
                        .where(WebhookEndpoint.store_id == other.id).values(active=False))

    publish(db, store.id)
    publish(db, other.id)

    assert queued(db) == []


def test_an_endpoint_taking_the_event_type_gets_it(db, store):
    listening(db, store.id, events=["order.created", "return.refund_requested"])

    publish(db, store.id)

    assert [payload["event_type"] for _, payload in queued(db)] == ["return.refund_requested"]


def test_a_dedupe_key_used_before_queues_nothing_more(db, store):
    listening(db, store.id)

    publish(db, store.id, dedupe_key="returns.refund:1")
    publish(db, store.id, dedupe_key="returns.refund:1")

    assert len(queued(db)) == 1


def test_many_events_of_one_type_go_as_one_job_each_in_order(db, store):
    listening(db, store.id, events=["loyalty.tier_changed"])

    with db.transaction() as session:
        outbound.publish_many(session, store_id=store.id, event_type="loyalty.tier_changed",
                              events=[("tier_1", {"to": "silver"}), ("tier_2", {"to": "gold"})])
        outbound.publish_many(session, store_id=store.id, event_type="loyalty.tier_changed",
                              events=[])

    assert [(p["event_id"], p["data"]) for _, p in queued(db)] == [
        ("tier_1", {"to": "silver"}), ("tier_2", {"to": "gold"})]
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 2
