"""Holdout measurement: intervals checked against published values, and a journey's
treated and control customers counted exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from afterward.journeys import results, service
from afterward.journeys.models import Enrolment
from afterward.storage.types import utcnow
from tests.journeys.helpers import definition, install
from tests.messaging.conftest import make_customer, make_order, make_product

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "low", "high"), [
    # Newcombe (1998), Statistics in Medicine 17:873, table II, method 10.
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (5, 56, 0, 29, -0.0381, 0.1926),
])
def test_the_difference_of_proportions_matches_newcombe(k1, n1, k2, n2, low, high):
    found = results.newcombe(k1, n1, k2, n2)

    assert found is not None
    assert (round(found.low, 4), round(found.high, 4)) == (low, high)
    assert found.estimate == pytest.approx(k1 / n1 - k2 / n2)


def test_a_rate_of_zero_or_one_lies_inside_its_own_interval():
    # Rounding put the lower bound of 0 out of 3 at 5.6e-17, above the rate.
    assert results.wilson(0, 3).low == 0.0
    assert results.wilson(3, 3).high == 1.0
    assert all(i.low <= i.estimate <= i.high
               for n in range(1, 60) for k in range(n + 1) if (i := results.wilson(k, n)))


def test_wilson_stays_inside_zero_and_one():
    assert results.wilson(0, 10) == results.Interval(0.0, 0.0, pytest.approx(0.27753, abs=1e-5))
    assert results.wilson(0, 0) is None
    assert results.newcombe(1, 2, 0, 0) is None


def test_the_revenue_bootstrap_is_reproducible():
    treated, control = [0, 0, 1000, 2000, 0, 500], [0, 0, 0, 1000]

    first = results.bootstrap_mean_difference(treated, control)
    second = results.bootstrap_mean_difference(treated, control)

    assert first == second
    assert first is not None and first.estimate == pytest.approx(1000 / 3)
    assert first.low < first.estimate < first.high
    assert results.bootstrap_mean_difference([], control) is None
    assert results.resamples_for(10) == 2000 and results.resamples_for(100_000) == 200


def seed_winback_results(db, store_id, now=NOW):
    """Seven customers through a 50% holdout forty days ago, and their orders since."""
    install(db, store_id, definition(key="winback", steps=[
        {"holdout": {"share": 0.5}}, {"send": {"template": "winback"}}]))
    with db.transaction() as session:
        journey = service.get(session, store_id=store_id, key="winback")
        version = service.version_of(session, journey=journey, version=1)
        tea = make_product(session, store_id, "TEA", "Tea", price_minor=2000)
        enrolled_at = now - timedelta(days=40)
        plan = [  # group, orders placed this many days after enrolment (None: no order)
            ("treatment", [5, 10]), ("treatment", [35]), ("treatment", []),
            ("treatment", [1]), ("control", [3]), ("control", []), ("control", []),
        ]
        number = 1000
        for i, (group, offsets) in enumerate(plan):
            person = make_customer(session, store_id, email=f"c{i}@example.com")
            session.add(Enrolment(
                store_id=store_id, journey_id=journey.id, version_id=version.id,
                customer_id=person.id, subject_type="customer", subject_id=person.id,
                trigger_event_id=i + 1, entry_key=f"customer:{person.id}", status="completed",
                holdout_group=group, enrolled_at=enrolled_at, seq=1, position=2))
            for offset in offsets:
                number += 1
                order = make_order(session, store_id, person, str(number), [(tea, 1)],
                                   shipping_minor=0)
                order.placed_at = enrolled_at + timedelta(days=offset)
        # enrolled ten days ago: its 30-day window is still open
        late = make_customer(session, store_id, email="late@example.com")
        session.add(Enrolment(
            store_id=store_id, journey_id=journey.id, version_id=version.id,
            customer_id=late.id, subject_type="customer", subject_id=late.id,
            trigger_event_id=99, entry_key=f"customer:{late.id}", status="completed",
            holdout_group="control", enrolled_at=now - timedelta(days=10), seq=1, position=2))


def test_a_journey_s_groups_are_counted_per_customer_in_their_window(db, store):
    seed_winback_results(db, store.id)

    with db.reading() as session:
        journey = service.get(session, store_id=store.id, key="winback")
        found = results.journey_results(session, journey=journey, window_days=30, now=NOW)

    assert (found.treatment.customers, found.treatment.converted,
            found.treatment.revenue_minor) == (4, 2, 6000)
    assert (found.control.customers, found.control.converted,
            found.control.revenue_minor) == (3, 1, 2000)
    assert found.pending == 1
    assert found.treatment.revenue_per_customer_minor == 1500
    assert found.conversion_lift is not None
    assert found.conversion_lift.estimate == pytest.approx(0.5 - 1 / 3)
    assert found.revenue_per_customer_lift is not None
    assert found.revenue_per_customer_lift.estimate == pytest.approx(1500 - 2000 / 3)
    assert found.bootstrap_resamples == 2000


def test_customers_needed_is_the_two_proportion_sample_size():
    # (1.95996 + 0.84162)^2 * 0.1 * 0.9 / (0.01^2 * 0.5 * 0.5) = 28,255.9...
    assert results.customers_needed(0.10, 0.01, 0.5) == 28256
    # a 10% holdout needs (0.5 * 0.5) / (0.1 * 0.9) = 2.78 times as many
    assert results.customers_needed(0.10, 0.01, 0.1) == 78489
    assert [results.customers_needed(p, 0.01, 0.5) for p in (0.0, 1.0)] == [None, None]
    assert results.customers_needed(0.1, 0.0, 0.5) is None


def test_the_detectable_lift_shrinks_with_the_square_root_of_the_customers():
    small = results.detectable_lift(0.2, 100, 100)
    large = results.detectable_lift(0.2, 400, 400)

    assert small is not None and large is not None
    assert round(small, 6) == round((1.959963984540054 + 0.8416212335729143)
                                    * (0.16 * 2 / 100) ** 0.5, 6)
    assert round(small / large, 9) == 2.0
    assert results.detectable_lift(0.2, 0, 100) is None


def test_a_small_journey_says_how_many_weeks_it_needs_and_that_nothing_is_significant(
        db, store):
    seed_winback_results(db, store.id)

    with db.reading() as session:
        journey = service.get(session, store_id=store.id, key="winback")
        found = results.journey_results(session, journey=journey, window_days=30, now=NOW)

    d = found.detection
    assert d is not None
    assert found.significant is False
    # control converts 1 of 3; 8 customers reached the holdout step in the last 8 weeks
    assert (round(d.baseline, 6), d.weekly_customers, round(d.target_lift, 6)) == (
        round(1 / 3, 6), 1.0, round(1 / 30, 6))
    needed = results.customers_needed(1 / 3, 1 / 30, 3 / 7)
    assert needed is not None and d.customers_needed == needed
    assert d.weeks_needed == needed - 7


def test_the_results_api_says_whether_the_lift_is_significant_and_when_it_could_be(
        db, store, client):
    seed_winback_results(db, store.id, now=utcnow())

    answer = client.get("/api/v1/journeys/winback/results?window_days=30", headers=store.auth)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["significant"] is False
    assert body["detection"]["weekly_customers"] == 1.0
    assert body["detection"]["customers_needed"] == results.customers_needed(
        1 / 3, 1 / 30, 3 / 7)
