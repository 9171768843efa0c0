"""Properties of the delivery-date window that must hold for any history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from afterward.tracking import eta

ROUTE = eta.Route(carrier="ups", service="ground", origin="CA", destination="NY")
OTHER = eta.Route(carrier="ups", service="ground", origin="CA", destination="TX")
# Moments come back from float day counts: equal to within a microsecond or two.
SLACK = timedelta(microseconds=5)

transits = st.lists(st.floats(min_value=0, max_value=40, allow_nan=False), min_size=1,
                    max_size=30)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                       timezones=st.just(UTC))
hours = st.floats(min_value=0, max_value=2_000, allow_nan=False)
clocks = st.builds(eta.Clock, working_days=st.sampled_from([5, 6, 7]))
configs = st.builds(eta.EtaConfig, clock=clocks,
                    coverage=st.floats(min_value=0.5, max_value=0.99),
                    shrinkage=st.sampled_from([0.0, 2.0, 10.0]))


def model_for(config: eta.EtaConfig, lane: list[float], other: list[float]) -> eta.EtaModel:
    start = datetime(2019, 6, 3, tzinfo=UTC)
    deliveries = [eta.Delivery(route, start, config.clock.advance(start, t))
                  for route, values in ((ROUTE, lane), (OTHER, other)) for t in values]
    return eta.fit(deliveries, as_of=start + timedelta(days=400), config=config)


@settings(max_examples=200, deadline=None)
@given(configs, transits, transits, moments, hours)
def test_a_window_is_ordered_and_never_before_shipping_or_now(config, lane, other, shipped,
                                                              elapsed):
    now = shipped + timedelta(hours=elapsed)

    window = eta.estimate(model_for(config, lane, other), ROUTE, shipped_at=shipped, now=now,
                          status="in_transit")

    assert window.earliest <= window.likely <= window.latest
    assert window.earliest >= shipped
    assert window.earliest >= now


@settings(max_examples=200, deadline=None)
@given(configs, transits, transits, moments, hours, hours)
def test_more_time_without_delivery_never_brings_the_window_forward(config, lane, other,
                                                                     shipped, first, more):
    model = model_for(config, lane, other)
    sooner, later = (eta.estimate(model, ROUTE, shipped_at=shipped, status="in_transit",
                                  now=shipped + timedelta(hours=h))
                     for h in (first, first + more))

    assert later.earliest >= sooner.earliest - SLACK
    assert later.likely >= sooner.likely - SLACK
    assert later.latest >= sooner.latest - SLACK


@settings(max_examples=200, deadline=None)
@given(transits, st.floats(min_value=0, max_value=1))
def test_cdf_undoes_the_quantile_function(values, p):
    q = eta.Quantiles.from_values(values)

    assert abs(q.at(q.cdf(q.at(p))) - q.at(p)) < 1e-9


@settings(max_examples=200, deadline=None)
@given(moments.filter(lambda m: m.weekday() < 5), st.floats(min_value=0, max_value=200))
def test_the_business_clock_advances_and_measures_alike(start, units):
    clock = eta.Clock()

    assert abs(clock.between(start, clock.advance(start, units)) - units) < 1e-6
    assert abs(clock.moment(clock.units(start)) - start) <= SLACK
