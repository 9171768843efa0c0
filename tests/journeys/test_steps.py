"""Steps at run time: a send is one message per (enrolment, step) however often the
step runs; a disabled journey stops its enrolments; an order placed through the
API ends, through the worker, as an email on a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from afterward.jobs import Job
from afterward.journeys import builtins, enrolments, service
from afterward.journeys.models import Enrolment, EnrolmentStep
from afterward.messaging import service as messaging
from afterward.storage.types import utcnow
from afterward.tracking import service as tracking
from afterward.tracking.carriers.base import CarrierEvent
from afterward.tracking.statuses import Status
from tests.factories import order_body
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
from tests.messaging.conftest import (
    make_customer,
    make_jobs_due,
    make_order,
    run_jobs,
    shop,
)


def enrolled(db, store_id, raw):
    install(db, store_id, raw)
    customer_id, order_id, _, _ = shop(db, store_id)
    emit(db, store_id, "order.created", "order", order_id, customer_id=customer_id)
    consume(db, store_id)
    [row] = the_enrolments(db, store_id)
    return row.id, customer_id, order_id


def test_a_send_step_queues_one_message_keyed_by_enrolment_and_step(db, store):
    enrolment_id, customer_id, order_id = enrolled(db, store.id, definition())

    assert step(db, enrolment_id) == "completed"

    [message] = messages(db, store.id)
    assert (message.idempotency_key, message.enrolment_id, message.step_key) == (
        f"enr:{enrolment_id}:hello", enrolment_id, "hello")
    assert (message.customer_id, message.payload["refs"], message.template_key) == (
        customer_id, {"order_id": order_id}, "order_confirmation")
    assert (message.channel, message.purpose, message.category) == (
        "email", "transactional", "order_confirmation")
    assert history(db, enrolment_id) == [(None, "enrolled"), ("hello", "send"),
                                         (None, "completed")]


def test_a_step_that_runs_twice_still_sends_once(db, store):
    enrolment_id, _, _ = enrolled(db, store.id, definition())
    step(db, enrolment_id)
    # As if the step had run again from the start: a duplicate job, a replayed run.
    with db.transaction() as session:
        session.execute(update(Enrolment).where(Enrolment.id == enrolment_id).values(
            status="active", position=0, active_key=None, finished_at=None))

    step(db, enrolment_id)

    [message] = messages(db, store.id)
    with db.reading() as session:
        sends = list(session.scalars(select(EnrolmentStep.message_id).where(
            EnrolmentStep.enrolment_id == enrolment_id, EnrolmentStep.kind == "send")))
    assert sends == [message.id, message.id]


def test_a_step_job_that_fails_after_queueing_is_retried_and_sends_once(
        db, store, monkeypatch):
    install(db, store.id, definition())
    customer_id, order_id, _, _ = shop(db, store.id)
    emit(db, store.id, "order.created", "order", order_id, customer_id=customer_id)
    consume(db, store.id)
    real_finish, failures = enrolments.finish, []

    def crash_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise RuntimeError("worker trouble after the send was queued")
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(enrolments, "finish", crash_once)
    run_jobs(db)
    make_jobs_due(db)
    run_jobs(db)

    assert failures == [1]
    [message] = messages(db, store.id)
    assert message.status == "sent"
    [row] = the_enrolments(db, store.id)
    assert row.status == "completed"
    assert [k for _, k in history(db, row.id)] == ["enrolled", "send", "completed"]


def test_due_steps_run_together_and_one_that_fails_is_retried_alone(db, store, monkeypatch):
    install(db, store.id, definition())
    customer_id, order_id, _, _ = shop(db, store.id)
    with db.transaction() as session:
        other = make_customer(session, store.id, email="grace@example.com")
        second = make_order(session, store.id, other, "1002", [])
        other_id, second_id = other.id, second.id
    emit(db, store.id, "order.created", "order", order_id, customer_id=customer_id)
    emit(db, store.id, "order.created", "order", second_id, customer_id=other_id)
    consume(db, store.id)
    _, second_row = the_enrolments(db, store.id)
    real_advance = enrolments.advance

    def fail_for_the_second(session, *, enrolment_id, seq, now):
        if enrolment_id == second_row.id:
            raise RuntimeError("this step fails")
        return real_advance(session, enrolment_id=enrolment_id, seq=seq, now=now)

    monkeypatch.setattr(enrolments, "advance", fail_for_the_second)
    run_jobs(db)  # both steps in one batch; the failed one waits for its retry

    assert [row.status for row in the_enrolments(db, store.id)] == ["completed", "active"]
    with db.reading() as session:
        jobs_left = session.execute(select(Job.status, Job.attempts, Job.last_error).where(
            Job.kind == enrolments.STEP_JOB).order_by(Job.id)).all()
    assert jobs_left == [("done", 1, None), ("queued", 1, "RuntimeError: this step fails")]
    assert [m.customer_id for m in messages(db, store.id)] == [customer_id]

    monkeypatch.setattr(enrolments, "advance", real_advance)
    make_jobs_due(db)
    run_jobs(db)

    assert [row.status for row in the_enrolments(db, store.id)] == ["completed", "completed"]
    assert sorted(m.customer_id for m in messages(db, store.id)) == sorted(
        [customer_id, other_id])


def test_a_disabled_journey_lets_its_enrolments_go_at_their_next_step(db, store):
    enrolment_id, _, _ = enrolled(db, store.id, definition(steps=[
        {"key": "wait", "wait": {"duration": "P1D"}}, {"send": {"template": "t"}}]))
    step(db, enrolment_id)
    with db.transaction() as session:
        service.set_enabled(session, store_id=store.id, key="thanks", enabled=False)

    assert step(db, enrolment_id, now=utcnow() + timedelta(days=1)) == "exited"

    row = enrolment(db, enrolment_id)
    assert (row.status, row.exit_reason) == ("exited", "journey disabled")
    assert messages(db, store.id) == []


def test_enrolments_keep_the_version_they_started_with(db, store):
    enrolment_id, _, _ = enrolled(db, store.id, definition(steps=[
        {"key": "wait", "wait": {"duration": "P1D"}},
        {"key": "hello", "send": {"template": "order_confirmation"}}]))
    step(db, enrolment_id)
    with db.transaction() as session:
        saved = service.save(session, store_id=store.id, raw=definition(steps=[
            {"key": "wait", "wait": {"duration": "P1D"}},
            {"key": "hello", "send": {"template": "shipment_shipped"}}]))

    step(db, enrolment_id, now=utcnow() + timedelta(days=1))

    assert saved.version.version == 2
    assert [m.template_key for m in messages(db, store.id)] == ["order_confirmation"]


def test_an_order_placed_through_the_api_is_confirmed_by_email(client, db, store, smtp):
    with db.transaction() as session:
        builtins.install(session, store_id=store.id)

    body = order_body("1001", placed_at=utcnow().isoformat())
    response = client.post("/api/v1/orders", json=body, headers=store.auth)
    assert response.status_code == 201
    run_jobs(db)

    [mail] = smtp.mailbox.messages
    assert mail["Subject"] == "Your order 1001 is confirmed"
    assert mail["To"] == "ada@example.com"
    text = mail.get_body(("plain",)).get_content()
    assert "2 x Green tea" in text
    with db.reading() as session:
        keys = service.journey_keys(session, store_id=store.id, journey_ids={
            e.journey_id for e in the_enrolments(db, store.id)})
    rows = {keys[e.journey_id]: e for e in the_enrolments(db, store.id)}
    assert sorted(rows) == ["order_confirmation", "second_purchase"]
    confirmation = rows["order_confirmation"]
    assert (confirmation.status, confirmation.order_id) == ("completed", response.json()["id"])
    assert history(db, confirmation.id) == [(None, "enrolled"), ("confirm", "send"),
                                            (None, "completed")]
    assert [m.category for m in messages(db, store.id)] == ["order_confirmation"]


def test_a_delivered_parcel_gets_care_tips_and_schedules_the_review_request(db, store, smtp):
    with db.transaction() as session:
        builtins.install(session, store_id=store.id)
    customer_id, order_id, shipment_id, _ = shop(db, store.id)
    with db.transaction() as session:
        shipment = tracking.get_shipment(session, store_id=store.id, shipment_id=shipment_id)
        tracking.add_event(session, shipment=shipment, event=CarrierEvent(
            occurred_at=utcnow(), status=Status.delivered, provider="test",
            provider_status="delivered", message="Delivered", location="Berlin"))
    run_jobs(db)

    subjects = sorted(m["Subject"] for m in smtp.mailbox.messages)
    assert subjects == ["Your order 1001 has arrived"]
    html = smtp.mailbox.messages[0].get_body(("html",)).get_content()
    assert "Keep dry and away from light." in html
    review = next(e for e in the_enrolments(db, store.id) if e.status == "active")
    assert review.order_id == order_id and review.customer_id == customer_id
    assert review.due_at is not None
    days = (review.due_at - review.enrolled_at).total_seconds() / 86400
    assert round(days, 3) == 7.0  # no category on the products: the default
    with db.reading() as session:
        due = session.scalars(select(Job.run_at).where(
            Job.kind == "journeys.step", Job.status == "queued"))
        assert review.due_at in list(due)


def test_a_webhook_step_posts_once_to_each_subscribed_endpoint(db, store):
    with db.transaction() as session:
        endpoint = messaging.add_webhook_endpoint(session, store_id=store.id,
                                                  url="https://hooks.example/in").id
        messaging.add_webhook_endpoint(session, store_id=store.id, url="https://other.example",
                                       events=["order.created"])
    enrolment_id, customer_id, order_id = enrolled(db, store.id, definition(steps=[
        {"key": "notify", "send": {"channel": "webhook", "event_type": "journey.vip_order",
                                   "data": {"total": "order.total_minor"}}}]))

    step(db, enrolment_id)

    [message] = messages(db, store.id)
    assert (message.channel, message.idempotency_key) == (
        "webhook", f"webhook:{endpoint}:enr:{enrolment_id}:notify")
    body = message.payload["body"]
    assert (body["type"], body["id"]) == ("journey.vip_order", f"enr:{enrolment_id}:notify")
    assert body["data"] == {"journey": "thanks", "enrolment_id": enrolment_id, "step": "notify",
                            "customer_id": customer_id, "order_id": order_id,
                            "shipment_id": None, "total": 2595}
    assert history(db, enrolment_id)[1] == ("notify", "send")
