"""The demo's history went through the built-in journeys as it happened: enrolments at
the history's times, messages in the outbox for treated customers only, results
against each holdout from real orders, and the journey pages drawing exactly what the
results service computes."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from afterward.app import create_app
from afterward.commerce.models import Order
from afterward.config import Settings
from afterward.events import Event
from afterward.journeys import builtins, enrolments, service
from afterward.journeys import results as measured
from afterward.journeys.engine import CONTROL, TREATMENT
from afterward.journeys.models import Enrolment, Journey
from afterward.messaging.models import Message, MessageStatus, OutboxEntry
from afterward.storage.types import utcnow
from afterward.tracking.models import Shipment
from afterward.web.admin import journey_figures
from tests.demo.conftest import BIG_BUILD, NOW, SECRET, SWITCHED_ON
from tests.web.helpers import sign_in

# The tests reading the one demo build run in one test process, which builds it once.
pytestmark = BIG_BUILD

HOLDING = ["birthday_offer", "loyalty_points_earned", "purchase_anniversary",
           "replenishment_reminder", "second_purchase", "subscription_renewal_risk", "winback"]
# No order of the demo was bought on a subscription, and it computes no insights while
# its history replays (so none names a subscription): the renewal-risk journey, whose
# event (order.created) happens, never enrols there.
WITH_HOLDOUT = [key for key in HOLDING if key != "subscription_renewal_risk"]


@pytest.fixture(scope="module")
def admin(built) -> Iterator[TestClient]:
    db, summary = built
    settings = Settings(database_url=db.url, secret_key=SECRET, public_url="http://testserver")
    with TestClient(create_app(settings, db)) as client:
        sign_in(client, summary.admin_email, summary.admin_password)
        yield client


def journeys_by_key(db) -> dict[str, Journey]:
    with db.reading() as session:
        return {j.key: j for j in session.scalars(select(Journey))}


def test_every_built_in_journey_the_replayed_history_triggers_has_enrolments(built):
    db, _ = built
    with db.reading() as session:
        happened = set(session.scalars(select(Event.name).where(
            Event.occurred_at >= SWITCHED_ON).distinct()))
        enrolled = dict(session.execute(select(Journey.key, func.count(Enrolment.id))
                                        .join(Enrolment, Enrolment.journey_id == Journey.id)
                                        .group_by(Journey.key)).tuples().all())
    triggered = sorted(d["key"] for d in builtins.definitions()
                       if set(d["trigger"].get("events", [d["trigger"].get("event")]))
                       & happened)

    # No parcel of this history ended in an exception, and no return was turned down,
    # while the journeys were on; the demo's points expire a year after they became
    # spendable, after the history's end (no reminder is due); the demo's shoppers
    # answer no survey (its history has none), so no detractor is followed up; nobody
    # refers a friend, and nobody chats with the assistant.
    assert triggered == sorted(set(builtins.keys()) - {
        "shipment_exception", "return_rejected", "loyalty_points_expiring",
        "survey_follow_up", "loyalty_referral_friend", "conversation_reply",
        "assistant_tracking_link"})
    enrolling = [key for key in triggered if key != "subscription_renewal_risk"]
    assert {key: enrolled.get(key, 0) > 0 for key in enrolling} == dict.fromkeys(enrolling, True)
    assert enrolled.get("subscription_renewal_risk", 0) == 0


def test_the_journeys_were_switched_on_with_the_replay_and_saw_nothing_before(built):
    db, _ = built
    with db.reading() as session:
        switched_on = set(session.scalars(select(Journey.created_at)))
        before = session.scalar(select(func.count(Event.id)).where(
            Event.occurred_at < SWITCHED_ON))
        first_trigger = session.scalar(select(func.min(Event.occurred_at)).join(
            Enrolment, Enrolment.trigger_event_id == Event.id))
        first_message = session.scalar(select(func.min(Message.created_at)))

    assert switched_on == {SWITCHED_ON}
    assert before > 500  # the store's past, written before the journeys existed
    assert SWITCHED_ON <= first_trigger < SWITCHED_ON + timedelta(days=1)
    assert first_message >= SWITCHED_ON


def test_customers_were_enrolled_within_three_hours_of_the_event_that_enrolled_them(built):
    # The replay acts on what happened at the end of its three-hour batch (replay.BATCH).
    db, _ = built
    with db.reading() as session:
        delays = session.execute(select(Enrolment.enrolled_at, Event.occurred_at).join(
            Event, Event.id == Enrolment.trigger_event_id)).all()

    assert len(delays) > 500
    assert all(timedelta(0) <= enrolled - occurred <= timedelta(hours=3)
               for enrolled, occurred in delays)
    assert any(enrolled - occurred > timedelta(hours=1) for enrolled, occurred in delays)
    assert max(enrolled for enrolled, _ in delays) <= NOW


def test_the_second_purchase_nudge_saw_each_customer_as_they_were_at_their_first_order(built):
    # Its filter asks for orders_count == 1 when the order arrives: had the history been
    # written ahead of the journeys, only customers who never came back would qualify.
    db, _ = built
    with db.reading() as session:
        journey = session.scalar(select(Journey).where(Journey.key == "second_purchase"))
        enrolled = session.execute(select(Enrolment.customer_id, Order.placed_at).join(
            Order, Order.id == Enrolment.order_id).where(Enrolment.journey_id == journey.id)
        ).all()
        orders = session.execute(select(Order.customer_id, Order.placed_at)).all()
    placed: dict[int, list] = {}
    for customer_id, at in orders:
        placed.setdefault(customer_id, []).append(at)

    first_orders_replayed = {customer for customer, moments in placed.items()
                             if min(moments) >= SWITCHED_ON}
    assert sorted(customer for customer, _ in enrolled) == sorted(first_orders_replayed)
    assert all(min(placed[customer]) == first for customer, first in enrolled)
    assert sum(1 for customer, _ in enrolled if len(placed[customer]) > 1) >= 5


def test_parcels_late_by_the_lateness_rule_got_the_apology_before_they_arrived(built):
    db, _ = built
    with db.reading() as session:
        delayed = session.execute(select(Event.subject_id, Event.occurred_at, Event.payload)
                                  .where(Event.name == "shipment.delayed")).all()
        apologised = session.execute(
            select(Enrolment.shipment_id, Message.sent_at)
            .join(Journey, Journey.id == Enrolment.journey_id)
            .join(Message, Message.enrolment_id == Enrolment.id)
            .where(Journey.key == "shipment_delayed")).all()
        arrived = dict(session.execute(select(Shipment.id, Shipment.delivered_at)).tuples().all())

    assert len(delayed) >= 5
    # Late: the predicted window, from then on, ends after the promised day.
    assert all(date.fromisoformat(payload["window_last"])
               > date.fromisoformat(payload["promised_day"]) for _, _, payload in delayed)
    assert all(arrived[parcel] is None or arrived[parcel] > at for parcel, at, _ in delayed)
    assert sorted(parcel for parcel, _ in apologised) == sorted(p for p, _, _ in delayed)
    assert all(arrived[parcel] is None or sent < arrived[parcel] for parcel, sent in apologised)


def test_holdout_customers_get_no_message_from_the_journey_that_held_them_out(built):
    db, _ = built
    with db.reading() as session:
        by_group = dict(session.execute(
            select(Enrolment.holdout_group, func.count(Message.id))
            .join(Enrolment, Enrolment.id == Message.enrolment_id)
            .where(Enrolment.holdout_group.is_not(None))
            .group_by(Enrolment.holdout_group)).tuples().all())
        held_out = session.scalar(select(func.count(Enrolment.id)).where(
            Enrolment.holdout_group == CONTROL))

    assert held_out > 0
    assert CONTROL not in by_group
    assert by_group[TREATMENT] > 0


def test_treated_customers_of_every_journey_with_a_holdout_have_mail_in_the_outbox(built):
    db, _ = built
    with db.reading() as session:
        in_outbox = dict(session.execute(
            select(Journey.key, func.count(OutboxEntry.id))
            .join(Message, Message.id == OutboxEntry.message_id)
            .join(Enrolment, Enrolment.id == Message.enrolment_id)
            .join(Journey, Journey.id == Enrolment.journey_id)
            .where(Enrolment.holdout_group == TREATMENT)
            .group_by(Journey.key)).tuples().all())
        sent_at = session.scalars(select(Message.sent_at).where(
            Message.status == MessageStatus.sent.value)).all()

    assert sorted(in_outbox) == WITH_HOLDOUT
    assert all(count > 0 for count in in_outbox.values())
    assert all(SWITCHED_ON <= moment <= NOW for moment in sent_at)


def test_the_results_service_measures_every_journey_with_a_holdout(built):
    db, _ = built
    with db.reading() as session:
        journeys = {j.key: j for j in session.scalars(select(Journey))}
        found = {key: measured.journey_results(session, journey=journeys[key], window_days=30,
                                               now=utcnow())
                 for key in WITH_HOLDOUT}

    for key, results in found.items():
        assert results.treatment.customers > 0 and results.control.customers > 0, key
        intervals = [results.treatment.conversion, results.control.conversion,
                     results.conversion_lift, results.revenue_per_customer_lift]
        assert all(i is not None and i.low <= i.estimate <= i.high for i in intervals), key
        assert results.treatment.revenue_per_customer_minor is not None
        assert results.control.revenue_per_customer_minor is not None


def test_the_holdout_journeys_are_exactly_those_with_a_holdout_step(built):
    db, _ = built
    with db.reading() as session:
        holding = sorted(j.key for j in session.scalars(select(Journey))
                         if journey_figures.holds_out(enrolments.compiled(
                             service.version_of(session, journey=j, version=j.version))[0].steps))

    assert holding == HOLDING


@pytest.mark.parametrize("key", WITH_HOLDOUT)
def test_the_journey_page_draws_the_results_the_service_computes(built, admin, key):
    db, _ = built

    page = admin.get(f"/admin/journeys/{key}")

    assert page.status_code == 200
    found = re.search(r'<script type="application/json" id="results-chart-data">(.*?)</script>',
                      page.text, re.S)
    assert found is not None
    drawn = json.loads(html.unescape(found[1]))
    with db.reading() as session:
        results = measured.journey_results(session, journey=journeys_by_key(db)[key],
                                           window_days=30, now=utcnow())
    treated, holdout = results.treatment, results.control
    assert drawn["customers"] == {"treated": treated.customers, "holdout": holdout.customers}
    assert drawn["conversion"] == {
        "treated": interval(treated.conversion), "holdout": interval(holdout.conversion),
        "lift": interval(results.conversion_lift)}
    assert drawn["revenuePerCustomer"] == {
        "treated": treated.revenue_per_customer_minor,
        "holdout": holdout.revenue_per_customer_minor,
        "lift": interval(results.revenue_per_customer_lift)}
    assert (drawn["currency"], drawn["exponent"], drawn["windowDays"]) == ("EUR", 2, 30)
    assert '<script src="/static/journey-results.js" defer></script>' in page.text
    assert 'id="results-chart-table"' in page.text


def interval(value: measured.Interval | None) -> dict[str, float] | None:
    assert value is not None
    return {"estimate": value.estimate, "low": value.low, "high": value.high}


def test_the_journey_page_counts_the_messages_of_its_enrolments(built, admin):
    db, _ = built
    journey = journeys_by_key(db)["order_confirmation"]
    with db.reading() as session:
        statuses = dict(session.execute(
            select(Message.status, func.count(Message.id))
            .join(Enrolment, Enrolment.id == Message.enrolment_id)
            .where(Enrolment.journey_id == journey.id).group_by(Message.status)).tuples().all())

    page = admin.get("/admin/journeys/order_confirmation")

    text = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(page.text)).split())
    sent = statuses.pop(MessageStatus.sent.value)
    held_back = statuses.pop(MessageStatus.suppressed.value, 0)
    assert statuses == {}
    assert sent > 0
    assert (f"Messages {sent + held_back} ({sent} sent, {held_back} held back by consent or "
            "the contact budget, 0 failed, 0 waiting)") in text
    assert 'id="results-chart-data"' not in page.text  # no holdout, no chart


def test_the_journey_list_shows_messages_sent_and_each_holdouts_conversion_lift(built, admin):
    db, summary = built
    journeys = journeys_by_key(db)
    with db.reading() as session:
        sent = journey_figures.message_counts(session, store_id=summary.store_id)
        lifts = {key: journey_figures.conversion_lift(session, journey=journeys[key],
                                                      window_days=30, now=utcnow())
                 for key in HOLDING}

    page = admin.get("/admin/journeys")

    table = page.text[page.text.index('id="journeys"'):]
    rows = {m[1]: m[0] for m in re.finditer(
        r'<th scope="row" data-label="Journey"><a href="/admin/journeys/([a-z_]+)">.*?</tr>',
        table, re.S)}
    assert sorted(rows) == sorted(journeys)
    for key, journey in journeys.items():
        row = html.unescape(rows[key])
        counts = sent.get(journey.id, journey_figures.MessageCounts())
        assert f'data-label="Messages sent" class="num">{counts.sent}' in row, key
        lift = lifts.get(key)
        if lift is not None:
            assert f"{lift.estimate * 100:+.1f} points" in row, key
        elif key in lifts:  # a holdout, nobody enrolled
            assert "no closed window yet" in row, key
        else:
            assert "no holdout" in row, key
