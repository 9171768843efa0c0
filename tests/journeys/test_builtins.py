"""The built-in journeys: installed idempotently (API, CLI), their templates in four
languages, and how the date- and recency-driven ones behave."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from afterward.cli.main import app as cli
from afterward.commerce.code_models import DiscountCode
from afterward.commerce.models import Store
from afterward.events import Event
from afterward.journeys import builtins, engine, message_templates, parsing, scans, service
from afterward.journeys import definition as spec
from afterward.journeys.models import JourneyVersion
from afterward.messaging import template_registry, templates
from afterward.messaging.context import sample_context
from afterward.messaging.models import Message
from afterward.messaging.templates import TemplateSource
from afterward.storage.types import utcnow
from tests.journeys.helpers import consume, emit, enrolment, history, step, the_enrolments
from tests.messaging.conftest import make_customer, make_order, make_product

runner = CliRunner()


def install(db, store_id):
    with db.transaction() as session:
        return [(i.key, i.outcome, i.version) for i in builtins.install(session,
                                                                         store_id=store_id)]


def test_installing_twice_changes_nothing_the_second_time(db, store):
    first = install(db, store.id)
    second = install(db, store.id)

    assert [o for _, o, _ in first] == ["created"] * 27
    assert [o for _, o, _ in second] == ["unchanged"] * 27
    assert [k for k, _, _ in first] == sorted(builtins.keys())
    with db.reading() as session:
        assert session.scalar(select(func.count(JourneyVersion.id))) == 27
        assert all(s.journey.enabled and s.journey.version == 1
                   for s in service.list_journeys(session, store_id=store.id))


def test_a_built_in_the_merchant_edited_is_kept_and_a_disabled_one_switched_back_on(db, store):
    install(db, store.id)
    with db.transaction() as session:
        raw = builtins.definitions()[builtins.keys().index("winback")]
        service.save(session, store_id=store.id, raw={**raw, "name": "Come back!"})
        service.set_enabled(session, store_id=store.id, key="order_confirmation", enabled=False)

    again = {k: (o, v) for k, o, v in install(db, store.id)}

    assert again["winback"] == ("kept", 2)
    assert again["order_confirmation"] == ("enabled", 1)


def test_the_cli_installs_for_a_store_and_refuses_an_unknown_one(db, store, monkeypatch, db_url):
    monkeypatch.setenv("AFTERWARD_DATABASE_URL", db_url)

    first = runner.invoke(cli, ["journeys", "install-builtins", "acme", "--json"])
    second = runner.invoke(cli, ["journeys", "install-builtins", "acme", "--json"])
    unknown = runner.invoke(cli, ["journeys", "install-builtins", "nope"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    rows = json.loads(second.stdout.strip().splitlines()[-1])
    assert {r["outcome"] for r in rows} == {"unchanged"} and len(rows) == 27
    assert unknown.exit_code == 1
    assert unknown.output.strip().splitlines()[-1] == "error: no store 'nope'"


def test_the_cli_validates_a_definition_file(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("AFTERWARD_DATABASE_URL", db_url)
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(builtins.definitions()[0]))
    bad.write_text('{"key": "x", "name": "X", "trigger": {"event": "order.created"},\n'
                   ' "steps": [{"wait": {"duration": "soon"}}]}')

    ok = runner.invoke(cli, ["journeys", "validate", str(good)])
    refused = runner.invoke(cli, ["journeys", "validate", str(bad)])

    assert ok.exit_code == 0
    assert refused.exit_code == 1
    assert "steps[0].wait.duration: 'soon' is not a duration" in " ".join(refused.output.split())


def a_store() -> Store:
    return Store(id=1, name="Acme", brand_primary="#1f3a5f", brand_accent="#e07a1f",
                 currency="EUR", timezone="Europe/Berlin", locale="en",
                 support_email="help@acme.example")


@pytest.mark.parametrize("locale", message_templates.LOCALES)
@pytest.mark.parametrize("key", message_templates.KEYS)
def test_every_journey_template_renders_in_every_language(key, locale):
    context = sample_context(a_store(), locale=locale, public_url="https://shop.example")
    email = templates.validate("email", TemplateSource(*template_registry.source(
        key, "email", locale)), context)
    assert f'lang="{locale.split("_")[0]}"' in email.html
    assert email.subject and email.text.strip()
    if key in message_templates.SHIPMENT_KEYS:
        sms = templates.validate("sms", TemplateSource(*template_registry.source(
            key, "sms", locale)), context)
        assert "1001" in sms.text and sms.segments == 1, sms.text


def test_every_template_a_built_in_journey_sends_exists():
    for raw in builtins.definitions():
        for step_ in spec.walk(parsing.parse(raw).steps):
            if isinstance(step_, spec.Send):
                assert template_registry.source(step_.template, step_.channel, "en"), step_


def test_the_replenishment_reminder_data_reaches_the_email():
    context = sample_context(a_store(), data={"product_title": "Green tea"})
    rendered = templates.render("email", TemplateSource(*template_registry.source(
        "replenishment_reminder", "email", "en")), context)

    assert rendered.subject == "Running low on Green tea?"
    assert "By our count, Green tea will run out in a few days." in rendered.text


# --- behaviour -----------------------------------------------------------------------

def keyed(db, store_id):
    rows = the_enrolments(db, store_id)
    with db.reading() as session:
        keys = service.journey_keys(session, store_id=store_id,
                                    journey_ids={r.journey_id for r in rows})
    return [(keys[r.journey_id], r) for r in rows]


def treated_customer(db, store_id, journey_key, **fields):
    """A customer the holdout of `journey_key` lets through (the split is by id)."""
    for n in range(20):
        with db.transaction() as session:
            person = make_customer(session, store_id, email=f"p{n}@example.com", **fields)
        draw = engine.holdout_draw(store_id=store_id, journey_key=journey_key,
                                   unit=f"customer:{person.id}")
        if draw >= 0.1:
            return person
    raise AssertionError("no treated customer in 20")


def test_replenishment_waits_until_five_days_before_run_out_and_exits_on_a_reorder(db, store):
    install(db, store.id)
    ada = treated_customer(db, store.id, "replenishment_reminder")
    with db.transaction() as session:
        beans = make_product(session, store.id, "BEANS", "Coffee beans", replenishment_days=30)
        first = make_order(session, store.id, ada, "1001", [(beans, 1)]).id
        second = make_order(session, store.id, ada, "1002", [(beans, 1)]).id
    emit(db, store.id, "order.created", "order", first, customer_id=ada.id)
    consume(db, store.id)
    [row] = [r for k, r in keyed(db, store.id) if k == "replenishment_reminder"]
    step(db, row.id)
    waiting = enrolment(db, row.id)
    emit(db, store.id, "order.created", "order", second, customer_id=ada.id)

    consume(db, store.id)

    assert round((waiting.due_at - waiting.enrolled_at).total_seconds() / 86400, 3) == 25.0
    assert waiting.holdout_group == "treatment"
    old, new = (r for k, r in keyed(db, store.id) if k == "replenishment_reminder")
    assert (enrolment(db, old.id).status, enrolment(db, old.id).exit_reason) == (
        "exited", "event order.created")
    assert (new.status, new.order_id) == ("active", second)


def test_the_second_purchase_nudge_goes_only_to_one_time_buyers(db, store):
    install(db, store.id)
    ada = treated_customer(db, store.id, "second_purchase")
    with db.transaction() as session:
        tea = make_product(session, store.id, "TEA", "Tea")
        order_id = make_order(session, store.id, ada, "1001", [(tea, 1)]).id
    emit(db, store.id, "order.created", "order", order_id, customer_id=ada.id)
    consume(db, store.id)
    [row] = [r for k, r in keyed(db, store.id) if k == "second_purchase"]
    step(db, row.id)
    after_30_days = utcnow() + timedelta(days=30, minutes=1)

    step(db, row.id, now=after_30_days)  # the branch: still one order -> wait for 10:00
    step(db, row.id, now=after_30_days + timedelta(days=1))

    assert [k for _, k in history(db, row.id)] == [
        "enrolled", "holdout", "wait", "waited", "branch", "wait", "waited", "offer", "send",
        "completed"]
    with db.reading() as session:
        [message] = session.scalars(select(Message).where(Message.enrolment_id == row.id))
        assert (message.purpose, message.category) == ("marketing", "second_purchase")
        [code] = session.scalars(select(DiscountCode).where(DiscountCode.enrolment_id == row.id))
        assert (code.kind, code.percent, code.source, code.source_id, code.customer_id,
                code.skus, code.categories) == (
            "discount", 10, "journey", "second_purchase", ada.id, None, None)
        assert code.expires_at is not None and code.expires_at > after_30_days + timedelta(days=30)
        assert message.payload["refs"]["offer_code_id"] == code.id


def test_a_birthday_today_in_the_customer_s_zone_is_emitted_once(db, store):
    # 23:30 UTC on 9 March is already 10 March in Berlin, still 9 March in New York.
    now = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    with db.transaction() as session:
        berlin = make_customer(session, store.id, email="b@example.com",
                               timezone="Europe/Berlin", birthday=date(1990, 3, 10))
        new_york = make_customer(session, store.id, email="n@example.com",
                                 timezone="America/New_York", birthday=date(1990, 3, 10))
        leap = make_customer(session, store.id, email="l@example.com", timezone="UTC",
                             birthday=date(2000, 2, 29))
        found = scans.scan(session, store_id=store.id, now=now)
    with db.transaction() as session:
        again = scans.scan(session, store_id=store.id, now=now + timedelta(hours=1))
    with db.transaction() as session:
        later = scans.scan(session, store_id=store.id, now=now + timedelta(hours=12))
    with db.transaction() as session:
        # 2027 is not a leap year: the 29 February birthday is on the 28th.
        leap_day = scans.scan(session, store_id=store.id,
                              now=datetime(2027, 2, 28, 12, tzinfo=UTC))

    assert found[scans.BIRTHDAY] == 1 and again[scans.BIRTHDAY] == 0
    assert later[scans.BIRTHDAY] == 1 and leap_day[scans.BIRTHDAY] == 1
    with db.reading() as session:
        emitted = [(e.subject_id, e.payload["date"]) for e in session.scalars(
            select(Event).where(Event.name == scans.BIRTHDAY).order_by(Event.id))]
    assert emitted == [(berlin.id, "2026-03-10"), (new_york.id, "2026-03-10"),
                       (leap.id, "2027-02-28")]


def test_a_first_purchase_anniversary_is_emitted_on_the_local_day(db, store):
    now = datetime(2026, 5, 4, 8, tzinfo=UTC)
    with db.transaction() as session:
        ada = make_customer(session, store.id, timezone="Asia/Tokyo",
                            first_order_at=datetime(2024, 5, 3, 20, tzinfo=UTC))  # 4 May there
        make_customer(session, store.id, email="new@example.com",
                      first_order_at=datetime(2026, 2, 4, 8, tzinfo=UTC))
        found = scans.scan(session, store_id=store.id, now=now)

    assert found[scans.ANNIVERSARY] == 1
    with db.reading() as session:
        event = session.scalar(select(Event).where(Event.name == scans.ANNIVERSARY))
        assert (event.subject_id, event.payload) == (
            ada.id, {"customer_id": ada.id, "years": 2, "date": "2026-05-04"})


@pytest.mark.parametrize(("count", "first_days_ago", "last_days_ago", "lapse_days"), [
    (1, 200, 200, 120),  # a one-time buyer
    (3, 100, 40, 60),  # gaps of 30 days: twice that
    (5, 400, 0, 200),  # gaps of 100 days: twice that
    (3, 20, 0, 30),  # gaps of 10 days: never less than the 30-day floor
])
def test_the_churn_risk_rule(count, first_days_ago, last_days_ago, lapse_days):
    now = datetime(2026, 6, 1, tzinfo=UTC)
    lapse = scans.at_risk_after(count, now - timedelta(days=first_days_ago),
                                now - timedelta(days=last_days_ago))
    assert lapse == timedelta(days=lapse_days)


@pytest.mark.parametrize(("count", "first_days_ago", "last_days_ago", "flagged"), [
    (1, 149, 149, True),  # a one-time buyer, 29 days past the line: still fresh
    (1, 151, 151, False),  # 31 days past it: too late
    (3, 200, 100, True),  # gaps of 50 days: crossed 100 days after the last order, today
    (2, 500, 200, False),  # a gap of 300 days: 600 days before they are at risk
])
def test_the_scan_flags_exactly_the_customers_who_crossed_the_line_lately(
        db, store, count, first_days_ago, last_days_ago, flagged):
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with db.transaction() as session:
        make_customer(session, store.id, orders_count=count,
                      first_order_at=now - timedelta(days=first_days_ago),
                      last_order_at=now - timedelta(days=last_days_ago))
        found = scans.scan(session, store_id=store.id, now=now)

    assert found[scans.AT_RISK] == int(flagged)


def test_customers_at_risk_are_flagged_once_when_they_cross_the_line(db, store):
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with db.transaction() as session:
        lapsed = make_customer(session, store.id, orders_count=1,
                               first_order_at=now - timedelta(days=121),
                               last_order_at=now - timedelta(days=121))
        make_customer(session, store.id, email="recent@example.com", orders_count=1,
                      first_order_at=now - timedelta(days=100),
                      last_order_at=now - timedelta(days=100))
        make_customer(session, store.id, email="long-gone@example.com", orders_count=1,
                      first_order_at=now - timedelta(days=400),
                      last_order_at=now - timedelta(days=400))
        found = scans.scan(session, store_id=store.id, now=now)
    with db.transaction() as session:
        again = scans.scan(session, store_id=store.id, now=now + timedelta(days=1))

    assert (found[scans.AT_RISK], again[scans.AT_RISK]) == (1, 0)
    with db.reading() as session:
        event = session.scalar(select(Event).where(Event.name == scans.AT_RISK))
        assert (event.subject_id, event.payload["threshold_days"]) == (lapsed.id, 120)
