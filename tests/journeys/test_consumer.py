"""The event consumer: triggers and filters, re-entry, exits and awaited events, and
a cursor that never loses or doubles an event, even when a batch fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from afterward.commerce.models import Order
from afterward.event_cursors import EventConsumer
from afterward.events import record
from afterward.jobs import Job
from afterward.journeys import consumer, enrolments
from afterward.journeys.models import Enrolment
from afterward.storage.types import utcnow
from tests.journeys.helpers import (
    consume,
    definition,
    emit,
    enrolment,
    history,
    install,
    messages,
    step,
    the_enrolments,
)
from tests.messaging.conftest import make_customer, make_order, make_product, make_shipment


def an_order(db, store_id, number="1001", *, email="ada@example.com", customer=None,
             price=1000, quantity=1):
    with db.transaction() as session:
        person = customer or make_customer(session, store_id, email=email)
        product = make_product(session, store_id, f"SKU-{number}", "Tea", price_minor=price)
        order = make_order(session, store_id, person, number, [(product, quantity)])
        return person, order.id


def order_created(db, store_id, order_id, customer_id, **payload):
    return emit(db, store_id, "order.created", "order", order_id, customer_id=customer_id,
                **payload)


def test_a_matching_event_enrols_once_and_the_cursor_moves(db, store):
    install(db, store.id, definition(trigger={"event": "order.created",
                                              "filter": {"gte": ["order.total_minor", 2000]}}))
    ada, big = an_order(db, store.id, "1001", price=2000)
    bob, small = an_order(db, store.id, "1002", email="bob@example.com", price=100)
    first = order_created(db, store.id, big, ada.id)
    last = order_created(db, store.id, small, bob.id)

    result = consume(db, store.id)
    again = consume(db, store.id)

    assert (result.events, result.enrolled, result.last_event_id) == (2, 1, last)
    assert (again.events, again.enrolled) == (0, 0)
    [only] = the_enrolments(db, store.id)
    assert (only.trigger_event_id, only.customer_id, only.order_id) == (first, ada.id, big)
    assert (only.subject_type, only.subject_id, only.entry_key) == ("order", big, f"order:{big}")
    assert history(db, only.id) == [(None, "enrolled")]
    with db.reading() as session:
        cursor = session.get(EventConsumer, consumer.consumer_name(store.id))
        assert (cursor.last_event_id, cursor.processed) == (last, 2)
        step_jobs = session.scalars(select(Job.payload).where(Job.kind == "journeys.step"))
        assert list(step_jobs) == [{"enrolment_id": only.id, "seq": 1}]


def test_filters_see_the_customer_and_the_event_payload(db, store):
    install(db, store.id, definition(trigger={"event": "shipment.exception", "filter": {
        "and": [{"eq": ["payload.substatus", "damaged"]}, {"exists": "customer.email"}]}}))
    ada, order_id = an_order(db, store.id)
    with db.transaction() as session:
        shipment = make_shipment(session, store.id, session.get(Order, order_id)).id
    emit(db, store.id, "shipment.exception", "shipment", shipment, substatus="lost")
    matching = emit(db, store.id, "shipment.exception", "shipment", shipment,
                    substatus="damaged")
    emit(db, store.id, "shipment.exception", "shipment", 10**9, substatus="damaged")

    consume(db, store.id)

    [only] = the_enrolments(db, store.id)
    assert (only.trigger_event_id, only.customer_id, only.order_id, only.shipment_id) == (
        matching, ada.id, order_id, shipment)


def test_another_store_s_events_never_enrol(db, store, make_store):
    other = make_store("other")
    install(db, store.id, definition())
    install(db, other.id, definition(trigger={"event": "customer.birthday"}))
    an_order(db, store.id)
    bob, other_order = an_order(db, other.id, "2001", email="bob@example.com")
    order_created(db, other.id, other_order, bob.id)

    assert consume(db, store.id).events == 0
    assert consume(db, other.id).enrolled == 0
    assert the_enrolments(db, store.id) == [] and the_enrolments(db, other.id) == []


def test_history_from_before_a_journey_was_on_and_stale_events_never_enrol(db, store):
    ada, old = an_order(db, store.id, "1001")
    _, new = an_order(db, store.id, "1002", customer=None, email="ada2@example.com")
    consume(db, store.id)  # the cursor exists, as it would for an earlier journey
    order_created(db, store.id, old, ada.id)
    install(db, store.id, definition())
    order_created(db, store.id, new, ada.id, occurred_at=None)
    emit(db, store.id, "order.created", "order", new, occurred_at=utcnow() - timedelta(days=4))

    result = consume(db, store.id)

    assert (result.events, result.enrolled) == (3, 1)
    assert [e.order_id for e in the_enrolments(db, store.id)] == [new]


@pytest.mark.parametrize(("re_entry", "days_later", "enrolled"), [
    ("never", 400, 1), ("always", 0, 2), ("after_days:30", 29, 1), ("after_days:30", 31, 2)])
def test_re_entry(db, store, re_entry, days_later, enrolled):
    install(db, store.id, definition(re_entry=re_entry, entry="customer"))
    ada, first = an_order(db, store.id, "1001")
    _, second = an_order(db, store.id, "1002", customer=ada)
    order_created(db, store.id, first, ada.id)
    consume(db, store.id)
    step(db, the_enrolments(db, store.id)[0].id)  # sends and completes
    later = utcnow() + timedelta(days=days_later)
    order_created(db, store.id, second, ada.id, occurred_at=later)

    consume(db, store.id, now=later)

    assert len(the_enrolments(db, store.id)) == enrolled


def test_one_active_enrolment_per_customer_and_subject(db, store):
    install(db, store.id, definition(steps=[{"wait": {"duration": "P3D"}}], entry="customer"))
    ada, first = an_order(db, store.id, "1001")
    _, second = an_order(db, store.id, "1002", customer=ada)
    order_created(db, store.id, first, ada.id)
    order_created(db, store.id, second, ada.id)

    result = consume(db, store.id)

    assert result.enrolled == 1
    [only] = the_enrolments(db, store.id)
    assert (only.order_id, only.active_key) == (first, f"customer:{ada.id}")


def test_an_exit_event_ends_the_enrolment_and_its_pending_step_sends_nothing(db, store):
    install(db, store.id, definition(
        steps=[{"key": "wait", "wait": {"duration": "P3D"}},
               {"key": "ask", "send": {"template": "order_confirmation"}}],
        exit=[{"event": "order.refunded", "match": "order"}]))
    ada, order_id = an_order(db, store.id)
    _, other_order = an_order(db, store.id, "1002", customer=ada)
    order_created(db, store.id, order_id, ada.id)
    consume(db, store.id)
    enrolment_id = the_enrolments(db, store.id)[0].id
    step(db, enrolment_id)  # now waiting three days
    emit(db, store.id, "order.refunded", "order", other_order)  # another order: stays
    refund = emit(db, store.id, "order.refunded", "order", order_id)

    result = consume(db, store.id)
    late = step(db, enrolment_id, now=utcnow() + timedelta(days=3))

    assert (result.exited, late) == (1, "stale")
    row = enrolment(db, enrolment_id)
    assert (row.status, row.exit_reason, row.active_key) == ("exited", "event order.refunded",
                                                            None)
    assert history(db, enrolment_id) == [(None, "enrolled"), ("wait", "wait"), (None, "exited")]
    assert refund > 0 and messages(db, store.id) == []


def test_the_trigger_event_itself_never_counts_as_an_exit(db, store):
    install(db, store.id, definition(steps=[{"wait": {"duration": "P3D"}}],
                                     exit=[{"event": "order.created"}], entry="customer"))
    ada, order_id = an_order(db, store.id)
    order_created(db, store.id, order_id, ada.id)

    result = consume(db, store.id)

    assert (result.enrolled, result.exited) == (1, 0)
    assert the_enrolments(db, store.id)[0].status == "active"


def test_an_awaited_event_resumes_the_enrolment(db, store):
    install(db, store.id, definition(steps=[
        {"key": "await", "wait": {"until_event": "customer.updated", "timeout": "7d",
                                  "on_timeout": "exit"}},
        {"key": "hello", "send": {"template": "order_confirmation"}}]))
    ada, order_id = an_order(db, store.id)
    order_created(db, store.id, order_id, ada.id)
    consume(db, store.id)
    enrolment_id = the_enrolments(db, store.id)[0].id
    step(db, enrolment_id)
    waiting = enrolment(db, enrolment_id)
    emit(db, store.id, "customer.updated", "customer", ada.id)

    result = consume(db, store.id)
    step(db, enrolment_id)

    assert waiting.waiting_event == "customer.updated"
    assert result.resumed == 1
    assert enrolment(db, enrolment_id).status == "completed"
    assert history(db, enrolment_id) == [
        (None, "enrolled"), ("await", "waiting_event"), ("await", "event"), ("hello", "send"),
        (None, "completed")]
    assert len(messages(db, store.id)) == 1


def snapshot(db, store_id):
    with db.reading() as session:
        cursor = session.get(EventConsumer, consumer.consumer_name(store_id))
        return (cursor.last_event_id, cursor.processed,
                session.scalar(select(func.count(Enrolment.id))),
                session.scalar(select(func.count(Job.id)).where(Job.kind == "journeys.step")))


def test_a_failed_batch_changes_nothing_and_the_retry_enrols_each_event_once(
        db, store, monkeypatch):
    install(db, store.id, definition())
    ada, o1 = an_order(db, store.id, "1001")
    _, o2 = an_order(db, store.id, "1002", customer=ada)
    _, o3 = an_order(db, store.id, "1003", customer=ada)
    for order_id in (o1, o2, o3):
        order_created(db, store.id, order_id, ada.id)
    before = snapshot(db, store.id)
    real_enrol, calls = enrolments.enrol, []

    def flaky(session, **kwargs):
        calls.append(kwargs["event"].id)
        if len(calls) == 2:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real_enrol(session, **kwargs)

    monkeypatch.setattr(enrolments, "enrol", flaky)
    with pytest.raises(OperationalError):
        consume(db, store.id)
    assert snapshot(db, store.id) == before

    monkeypatch.setattr(enrolments, "enrol", real_enrol)
    result = consume(db, store.id)
    again = consume(db, store.id)

    assert (result.events, result.enrolled, again.events) == (3, 3, 0)
    assert sorted(e.order_id for e in the_enrolments(db, store.id)) == [o1, o2, o3]
    assert snapshot(db, store.id)[1:] == (before[1] + 3, 3, 3)


def test_an_event_that_fails_by_a_bug_is_skipped_visibly_and_the_rest_go_on(
        db, store, monkeypatch):
    install(db, store.id, definition())
    ada, o1 = an_order(db, store.id, "1001")
    _, o2 = an_order(db, store.id, "1002", customer=ada)
    bad = order_created(db, store.id, o1, ada.id)
    order_created(db, store.id, o2, ada.id)
    real_enrol = enrolments.enrol

    def buggy(session, **kwargs):
        if kwargs["event"].id == bad:
            raise ValueError("boom")
        return real_enrol(session, **kwargs)

    monkeypatch.setattr(enrolments, "enrol", buggy)
    result = consume(db, store.id)

    assert (result.events, result.enrolled, result.failed) == (2, 1, 1)
    assert [e.order_id for e in the_enrolments(db, store.id)] == [o2]
    with db.reading() as session:
        cursor = session.get(EventConsumer, consumer.consumer_name(store.id))
        assert cursor.failures == 1
        assert cursor.last_error == f"event {bad} (order.created): ValueError('boom')"


def test_a_full_batch_says_there_is_more(db, store):
    install(db, store.id, definition())
    ada, order_id = an_order(db, store.id)
    ids = [order_created(db, store.id, order_id, ada.id) for _ in range(3)]

    with db.transaction() as session:
        first = consumer.consume(session, store_id=store.id, limit=2)
    with db.transaction() as session:
        second = consumer.consume(session, store_id=store.id, limit=2)

    assert (first.events, first.more, first.last_event_id) == (2, True, ids[1])
    assert (second.events, second.more, second.last_event_id) == (1, False, ids[2])


def test_an_event_committed_late_with_an_earlier_id_is_not_skipped(db, store):
    """PostgreSQL hands out ids before commit; SQLite has one writer, so this cannot
    happen there."""
    if db.backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer, so ids cannot commit out of "
                    "order there (this runs in the PostgreSQL pass of .ci/run)")
    install(db, store.id, definition())
    ada, o1 = an_order(db, store.id, "1001")
    _, o2 = an_order(db, store.id, "1002", customer=ada)
    slow = db.sessions()
    try:
        record(slow, store_id=store.id, name="order.created", subject_type="order",
               subject_id=o1, payload={"customer_id": ada.id})  # id n, not committed yet
        slow.flush()
        order_created(db, store.id, o2, ada.id)  # id n + 1, committed

        while_open = consume(db, store.id)
        slow.commit()
    finally:
        slow.close()
    after = consume(db, store.id)

    assert (while_open.events, after.events, after.enrolled) == (0, 2, 2)
    assert sorted(e.order_id for e in the_enrolments(db, store.id)) == [o1, o2]


def test_a_consume_reports_events_held_back_by_an_older_open_transaction(db, store):
    if db.backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer, so nothing is ever held back "
                    "(this runs in the PostgreSQL pass of .ci/run)")
    install(db, store.id, definition())
    ada, o1 = an_order(db, store.id, "1101")
    _, o2 = an_order(db, store.id, "1102", customer=ada)
    slow = db.sessions()
    try:
        record(slow, store_id=store.id, name="order.created", subject_type="order",
               subject_id=o1, payload={"customer_id": ada.id})  # older transaction, open
        slow.flush()
        order_created(db, store.id, o2, ada.id)  # a newer one, committed

        with db.transaction() as session:
            while_open = consumer.consume(session, store_id=store.id)
        slow.commit()
    finally:
        slow.close()
    with db.transaction() as session:
        after = consumer.consume(session, store_id=store.id)

    assert (while_open.events, while_open.held) == (0, True)
    assert (after.events, after.held, after.enrolled) == (2, False, 2)
