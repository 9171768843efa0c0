"""One truth for late, end to end: a parcel's window moves past its promised day ->
exactly one `shipment.delayed` -> the built-in delay journey sends exactly one email
naming the new window (through the worker, to a real SMTP server) -> the tracking page
shows the same notice and window. A window that moves but still ends by the promised
day gives no event, no email and no notice, whatever the carrier says; a window that
moves later again sends no second email (the rule in docs/journeys.md).

The scene happens from next week on (the store's model counts business days from a
Monday), so nothing of it has passed when the worker and the page judge it by the
clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_interval
from sqlalchemy import select

from afterward.events import Event
from afterward.journeys import builtins
from afterward.storage.types import utcnow
from afterward.tracking import eta_cache
from afterward.tracking import service as tracking
from afterward.tracking.carriers.base import CarrierEvent
from afterward.tracking.models import Shipment
from afterward.tracking.statuses import Status
from tests.journeys.helpers import emit, install, messages, the_enrolments
from tests.messaging.conftest import (
    make_customer,
    make_jobs_due,
    make_order,
    make_product,
    run_jobs,
)

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def fresh_cache():
    eta_cache.CACHE.clear()
    yield
    eta_cache.CACHE.clear()


def next_monday() -> datetime:
    """Midnight in Berlin of a Monday at least a day ahead."""
    today = utcnow().astimezone(BERLIN).date()
    ahead = 7 - today.weekday()
    return datetime.combine(today + timedelta(days=ahead if ahead > 1 else ahead + 7),
                            time(), BERLIN)


def window_words(first: date, last: date) -> str:
    return format_interval(first, last, skeleton="MMMEd", locale="en")


def day_words(day: date) -> str:
    return window_words(day, day)


@pytest.fixture
def scene(db, make_store):
    """A Berlin store with only the built-in delay journey, and Ada's parcel, handed
    over at `monday` 00:00."""
    store = make_store("late", timezone="Europe/Berlin")
    delayed = next(d for d in builtins.definitions() if d["key"] == "shipment_delayed")
    install(db, store.id, delayed)
    monday = next_monday()
    with db.transaction() as session:
        ada = make_customer(session, store.id)
        tea = make_product(session, store.id, "TEA-1", "Green tea")
        order = make_order(session, store.id, ada, "1001", [(tea, 1)])
        shipment = Shipment(store_id=store.id, order_id=order.id, token=tracking.new_token(),
                            carrier="ups", tracking_number="1Z999AA10123456784",
                            shipped_at=monday, status="pending", direction="outbound")
        session.add(shipment)
        session.flush()
        return store.id, shipment.id, shipment.token, monday


def scan(db, shipment_id: int, at: datetime, substatus: str | None = None) -> None:
    event = CarrierEvent(occurred_at=at, status=Status.in_transit, provider="easypost",
                         provider_status="in_transit", message="Arrived at facility",
                         location="Leipzig, DE", substatus=substatus)
    with db.transaction() as session:
        tracking.add_events(session, shipment=session.get(Shipment, shipment_id),
                            events=[event], now=at)
    make_jobs_due(db)  # the journeys' consumer, queued again for a few seconds later
    run_jobs(db)


def delays(db, shipment_id: int) -> list[dict]:
    with db.reading() as session:
        return [e.payload for e in session.scalars(select(Event).where(
            Event.name == "shipment.delayed", Event.subject_id == shipment_id))]


def page(client, token: str) -> str:
    response = client.get(f"/t/{token}?lang=en")
    assert response.status_code == 200
    return " ".join(response.text.split())


def test_a_window_moving_past_the_promised_day_gives_one_event_one_email_one_notice(
        db, client, smtp, scene):
    store_id, shipment_id, token, monday = scene
    scan(db, shipment_id, monday + timedelta(hours=12))  # promised: the next Monday
    promised = monday.date() + timedelta(days=7)

    scan(db, shipment_id, monday + timedelta(hours=48))  # the window now ends Tuesday

    first, last = monday.date() + timedelta(days=2), monday.date() + timedelta(days=8)
    assert [(p["promised_day"], p["window_first"], p["window_last"])
            for p in delays(db, shipment_id)] == [
        (promised.isoformat(), first.isoformat(), last.isoformat())]
    assert [m.category for m in messages(db, store_id)] == ["shipment_delayed"]
    [mail] = smtp.mailbox.messages
    assert mail["Subject"] == "Your order 1001 is running late, sorry"
    text = " ".join(mail.get_body(("plain",)).get_content().split())
    notice = f"New estimated delivery: {' '.join(window_words(first, last).split())}"
    assert notice in text
    assert "Expected delivery" not in text  # never the promise it has just broken
    body = page(client, token)
    assert '<p class="delay-headline">Your parcel is running late</p>' in body
    assert (f"<p>We promised delivery by {day_words(promised)} and it will arrive later. "
            "We are sorry.</p>") in body
    assert f'<p class="estimate">{notice}</p>' in body
    assert "Estimated delivery:" not in body


def test_a_window_moving_later_again_sends_no_second_email_and_the_page_follows(
        db, client, smtp, scene):
    store_id, shipment_id, token, monday = scene
    scan(db, shipment_id, monday + timedelta(hours=12))
    scan(db, shipment_id, monday + timedelta(hours=48))

    scan(db, shipment_id, monday + timedelta(hours=96))  # now Friday to next Thursday

    assert len(delays(db, shipment_id)) == 1
    assert [m.category for m in messages(db, store_id)] == ["shipment_delayed"]
    assert len(smtp.mailbox.messages) == 1
    first, last = monday.date() + timedelta(days=4), monday.date() + timedelta(days=10)
    words = " ".join(window_words(first, last).split())
    assert f'<p class="estimate">New estimated delivery: {words}</p>' in page(client, token)


def test_a_window_moving_but_still_ending_on_the_promised_day_gives_nothing(
        db, client, smtp, scene):
    store_id, shipment_id, token, monday = scene
    scan(db, shipment_id, monday + timedelta(hours=12))

    # Later by eight hours, still ending on the promised Monday, though the carrier
    # calls it delayed.
    scan(db, shipment_id, monday + timedelta(hours=36), substatus="delayed")

    with db.reading() as session:
        s = session.get(Shipment, shipment_id)
        assert s.eta_latest.astimezone(BERLIN) == monday + timedelta(days=7, hours=20.1)
        assert s.delayed_at is None
    assert delays(db, shipment_id) == []
    assert messages(db, store_id) == []
    assert smtp.mailbox.messages == []
    body = page(client, token)
    window = " ".join(window_words(monday.date() + timedelta(days=1),
                                   monday.date() + timedelta(days=7)).split())
    assert f'<p class="estimate">Estimated delivery: {window}</p>' in body
    assert "running late" not in body
    assert "Delayed" not in body


def test_the_journey_sends_nothing_for_a_delayed_event_the_rule_does_not_back(
        db, smtp, scene):
    store_id, shipment_id, _, monday = scene
    scan(db, shipment_id, monday + timedelta(hours=12))  # on time

    emit(db, store_id, "shipment.delayed", "shipment", shipment_id)  # said by someone else
    make_jobs_due(db)
    run_jobs(db)

    assert the_enrolments(db, store_id) == []
    assert messages(db, store_id) == []
    assert smtp.mailbox.messages == []
