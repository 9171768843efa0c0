"""The delivery-date model on tiny hand-made histories, with exact values.

2024-06-03 is a Monday; durations are business days (Mon-Fri) unless a test says so."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from afterward.tracking import eta


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2024, 6, day, hour, minute, tzinfo=UTC)


MONDAY = at(3)
UPS_GROUND = eta.Route(carrier="ups", service="ground", origin="CA", destination="NY")


def history(route: eta.Route, transits: list[float], shipped_at: datetime = MONDAY
            ) -> list[eta.Delivery]:
    clock = eta.Clock()
    return [eta.Delivery(route, shipped_at, clock.advance(shipped_at, t)) for t in transits]


def exact_model(transits: list[float], *, coverage: float = 0.9) -> eta.EtaModel:
    """No shrinkage: the lane's own quantiles."""
    return eta.fit(history(UPS_GROUND, transits), as_of=at(28),
                   config=eta.EtaConfig(shrinkage=0.0, coverage=coverage))


# Clock

def test_business_clock_skips_the_weekend():
    clock = eta.Clock()

    assert clock.between(at(7, 12), at(10, 12)) == 1.0
    assert clock.between(at(8, 9), at(9, 20)) == 0.0
    assert clock.advance(at(7, 18), 0.5) == at(10, 6)


def test_saturday_and_calendar_clocks_count_more_days():
    assert eta.Clock(working_days=6).between(at(7, 12), at(10, 12)) == 2.0
    assert eta.Clock(working_days=7).between(at(7, 12), at(10, 12)) == 3.0


def test_clock_counts_weekdays_in_the_store_time_zone():
    berlin = eta.Clock(tz=ZoneInfo("Europe/Berlin"))

    # Friday 23:00 to Monday 08:00 in Berlin: one hour of Friday, eight of Monday.
    assert berlin.between(at(7, 21), at(10, 6)) == pytest.approx(9 / 24)
    assert berlin.local_date(at(7, 23)) == datetime(2024, 6, 8).date()


def test_clock_rejects_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        eta.Clock().units(datetime(2024, 6, 3))


def test_clock_rejects_impossible_weeks():
    with pytest.raises(ValueError):
        eta.Clock(working_days=0)


# Quantiles

def test_empirical_quantiles_put_each_sample_mid_way_through_its_share():
    q = eta.Quantiles.from_values([4, 1, 3, 2])

    assert (q.at(0), q.at(0.25), q.at(0.5), q.at(0.95), q.at(1)) == (1, 1.5, 2.5, 4, 4)
    assert (q.cdf(0.5), q.cdf(1.5), q.cdf(2.5), q.cdf(4)) == (0, 0.25, 0.5, 1)


def test_weighted_quantiles_lean_toward_the_heavy_sample():
    q = eta.Quantiles.from_weighted([(1, 1.0), (3, 3.0)])

    assert q.at(0.12) == 1
    assert q.at(0.5) == pytest.approx(2.5)


def test_quantiles_need_samples_and_order():
    with pytest.raises(ValueError):
        eta.Quantiles.from_values([])
    with pytest.raises(ValueError):
        eta.Quantiles(tuple(range(eta.GRID, -1, -1)))


def test_blend_mixes_quantile_by_quantile():
    q = eta.Quantiles.from_values([1, 2, 3, 4]).blend(eta.Quantiles.from_values([10]), 0.25)

    assert q.at(0.5) == pytest.approx(0.25 * 2.5 + 0.75 * 10)


def test_sum_of_two_durations():
    assert eta.Quantiles.from_values([1]).plus(eta.Quantiles.from_values([2])).at(0.5) == 3
    both = eta.Quantiles.from_values([1, 3]).plus(eta.Quantiles.from_values([10, 20]))
    assert both.at(0.5) == pytest.approx(17)


def test_shortest_interval_starts_low_for_a_long_right_tail():
    assert eta.Quantiles.from_values([1, 2, 3, 4, 100]).shortest(0.6) == (0.0, 0.6)


def test_offset_is_the_remaining_time_given_none_arrived_yet():
    q = eta.Quantiles.from_values([1, 2, 3, 4])

    assert q.offset(0.5, 0) == 2.5
    # 37.5% arrive within 2 days; the median of the rest is at p = 0.6875.
    assert q.offset(0.5, 2) == pytest.approx(3.25)


def test_offset_past_the_tail_keeps_moving_with_a_spread_of_one_day():
    q = eta.Quantiles.from_values([1, 2, 3, 4])

    assert [q.offset(p, 5) for p in (0, 0.5, 1)] == [5, 5.5, 6]


# The fallback chain

def test_thin_levels_are_shrunk_toward_their_parents():
    other_lane = eta.Route(carrier="ups", service="ground", origin="CA", destination="TX")
    deliveries = history(UPS_GROUND, [2, 4]) + history(other_lane, [1, 1])
    config = eta.EtaConfig(shrinkage=2.0)

    estimate = eta.fit(deliveries, as_of=at(28), config=config).transit_for(UPS_GROUND)

    # medians: lane 3 (n 2), carrier+service 1.5 (4), carrier+NY 3 (2), carrier 1.5 (4),
    # store 1.5 (4), prior 3; each w = n / (n + 2), folded from the prior up.
    store = 2 / 3 * 1.5 + 1 / 3 * 3
    carrier = 2 / 3 * 1.5 + 1 / 3 * store
    to_ny = 1 / 2 * 3 + 1 / 2 * carrier
    ups_ground = 2 / 3 * 1.5 + 1 / 3 * to_ny
    assert estimate.quantiles.at(0.5) == pytest.approx(1 / 2 * 3 + 1 / 2 * ups_ground)
    assert (estimate.level, estimate.n) == ("lane", 2)


def test_unknown_lane_falls_back_to_the_carrier_service():
    model = exact_model([1, 2, 3, 4])
    elsewhere = eta.Route(carrier="ups", service="ground", origin="WA", destination="FL")

    estimate = model.transit_for(elsewhere)

    assert (estimate.level, estimate.n, estimate.quantiles.at(0.5)) == ("carrier_service", 4, 2.5)


def test_a_route_without_service_skips_the_service_level():
    model = exact_model([1, 2, 3, 4])

    estimate = model.transit_for(eta.Route(carrier="ups", destination="NY"))

    assert (estimate.level, estimate.n) == ("carrier_destination", 4)


def test_unknown_carrier_uses_the_store_and_no_history_the_prior():
    assert exact_model([1, 2]).transit_for(eta.Route(carrier="dhl")).level == "store"
    empty = eta.fit([], as_of=MONDAY).transit_for(UPS_GROUND)
    assert (empty.level, empty.n, empty.quantiles.at(0.5)) == ("prior", 0, 3.0)


def test_parcels_that_arrive_before_they_left_are_ignored():
    broken = eta.Delivery(UPS_GROUND, at(5), at(4))

    model = eta.fit([*history(UPS_GROUND, [2]), broken], as_of=at(28))

    assert model.transit_for(UPS_GROUND).n == 1


def test_older_deliveries_weigh_less_with_a_half_life():
    old = history(UPS_GROUND, [10], shipped_at=at(3))
    recent = history(UPS_GROUND, [2], shipped_at=eta.Clock().advance(at(3), 50))
    config = eta.EtaConfig(shrinkage=0.0, half_life_days=10.0)

    q = eta.fit(old + recent, as_of=recent[0].delivered_at, config=config).transit_for(UPS_GROUND)

    assert q.quantiles.at(0.5) < 3
    assert eta.recency_weight(20, 10) == 0.25
    assert eta.recency_weight(20, None) == 1.0


# Windows

def test_window_at_hand_over():
    window = eta.estimate(exact_model([1, 2, 3, 4]), UPS_GROUND, shipped_at=MONDAY, now=MONDAY)

    assert (window.earliest, window.likely, window.latest) == (at(4), at(5, 12), at(7))
    assert (window.level, window.n) == ("lane", 4)


def test_window_moves_on_when_the_parcel_is_still_travelling():
    window = eta.estimate(exact_model([1, 2, 3, 4]), UPS_GROUND, shipped_at=MONDAY, now=at(5),
                          status="in_transit", last_event_at=at(4, 18))

    assert (window.earliest, window.likely, window.latest) == (at(5), at(6, 6), at(7))


def test_an_overdue_parcel_gets_a_window_from_now():
    window = eta.estimate(exact_model([1, 2, 3, 4]), UPS_GROUND, shipped_at=MONDAY, now=at(10),
                          status="in_transit")

    assert (window.earliest, window.likely) == (at(10), at(10, 12))
    assert window.latest == at(10, 21, 36)


def test_a_friday_parcel_arrives_after_the_weekend():
    window = eta.estimate(exact_model([1, 1, 1]), UPS_GROUND, shipped_at=at(7, 12),
                          now=at(7, 12))

    assert window.likely == at(10, 12)


def test_out_for_delivery_today_means_today():
    window = eta.estimate(exact_model([1, 2, 3, 4]), UPS_GROUND, shipped_at=MONDAY,
                          now=at(4, 9), status="out_for_delivery", last_event_at=at(4, 8))

    assert (window.earliest, window.likely, window.latest) == (at(4, 9), at(4, 16, 30), at(5))
    assert window.level == "out_for_delivery"


def test_out_for_delivery_yesterday_falls_back_to_the_transit_model():
    window = eta.estimate(exact_model([1, 2, 3, 4]), UPS_GROUND, shipped_at=MONDAY,
                          now=at(5), status="out_for_delivery", last_event_at=at(4, 8))

    assert window.level == "lane"


def test_a_delivered_parcel_has_arrived():
    window = eta.estimate(exact_model([1]), UPS_GROUND, shipped_at=MONDAY, now=at(6),
                          status="delivered", delivered_at=at(5, 14))

    assert (window.earliest, window.likely, window.latest, window.level) == (
        at(5, 14), at(5, 14), at(5, 14), "delivered")


def test_a_label_shipped_in_the_future_is_not_predicted_before_it():
    window = eta.estimate(exact_model([1]), UPS_GROUND, shipped_at=at(5), now=MONDAY)

    assert window.earliest == at(6)


def test_at_purchase_the_hand_over_time_is_added():
    handover = eta.Estimate(eta.Quantiles.from_values([1]), "store", 5)

    window = eta.estimate_from_order(exact_model([2]), UPS_GROUND, handover,
                                     ordered_at=MONDAY, now=MONDAY)

    assert (window.earliest, window.likely, window.latest) == (at(6), at(6), at(6))
    assert (window.level, window.n) == ("lane", 1)


def test_window_rejects_naive_or_unordered_moments():
    with pytest.raises(ValueError):
        eta.Window(datetime(2024, 6, 3), at(4), at(5), "lane", 1)
    with pytest.raises(ValueError):
        eta.Window(at(5), at(4), at(6), "lane", 1)


# Promise and stall (late or not: test_lateness.py)

def test_promise_is_the_end_of_the_latest_day():
    clock = eta.Clock()

    assert eta.promise_for(eta.Window(at(4), at(5, 12), at(7), "lane", 4), clock) == at(7)
    assert eta.promise_for(eta.Window(at(4), at(5), at(5, 12), "lane", 4), clock) == at(6)


def test_scan_gaps_are_learned_per_carrier_with_fallbacks():
    clock = eta.Clock()
    timelines = [("ups", [at(3), at(3, 12), at(5)]), ("dhl", [at(3)])]

    gaps = eta.learn_scan_gaps(timelines, clock=clock, quantile=0.5, min_gaps=2)

    assert gaps.allowance("ups") == 1.0
    assert gaps.allowance("fedex") == 1.0  # store-wide
    assert eta.learn_scan_gaps([], clock=clock).allowance("ups") == 3.0


def test_stalled_after_more_working_days_than_allowed_without_a_scan():
    assert eta.is_stalled(at(7, 12), at(11, 11)) is False  # 1.96 business days
    assert eta.is_stalled(at(7, 12), at(13, 13)) is True  # 4.04
    assert eta.is_stalled(at(7, 12), at(10, 13), clock=eta.Clock(working_days=7)) is True
    assert eta.is_stalled(at(7, 12), at(11, 11), allowed=1.5) is True
