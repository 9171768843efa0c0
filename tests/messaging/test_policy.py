"""The send-time policy, without a database: consent, suppression list, holds,
quiet hours (across daylight-saving changes), the contact budget."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afterward.messaging.policy import (
    Action,
    Decision,
    PolicyFacts,
    Purpose,
    QuietHours,
    decide,
    in_quiet_hours,
    next_allowed_time,
)

NIGHT = QuietHours(time(21), time(8))
NOON_UTC = datetime(2026, 6, 10, 12, tzinfo=UTC)


def facts(**overrides) -> PolicyFacts:
    base = PolicyFacts(channel="email", purpose=Purpose.marketing, category="newsletter",
                       has_address=True, consent=True, timezone="Europe/Berlin",
                       quiet_hours=NIGHT, marketing_in_period=0, budget=3)
    return replace(base, **overrides)


def test_a_consenting_customer_at_noon_gets_marketing():
    assert decide(facts(), NOON_UTC) == Decision(Action.send)


def test_marketing_needs_explicit_consent():
    assert decide(facts(consent=None), NOON_UTC) == Decision(Action.suppress, "no_consent")
    assert decide(facts(consent=False), NOON_UTC) == Decision(Action.suppress, "no_consent")


def test_transactional_goes_out_unless_explicitly_revoked():
    transactional = facts(purpose=Purpose.transactional, category="order_confirmation")
    assert decide(replace(transactional, consent=None), NOON_UTC).action == Action.send
    assert decide(replace(transactional, consent=False), NOON_UTC) == Decision(
        Action.suppress, "no_consent")


def test_without_an_address_nothing_is_sent():
    assert decide(facts(has_address=False), NOON_UTC) == Decision(Action.suppress, "no_address")


@pytest.mark.parametrize(("reasons", "purpose", "expected"), [
    ({"hard_bounce"}, Purpose.transactional, "suppressed:hard_bounce"),
    ({"manual"}, Purpose.transactional, "suppressed:manual"),
    ({"unsubscribe"}, Purpose.transactional, None),
    ({"complaint"}, Purpose.transactional, None),
    ({"unsubscribe"}, Purpose.marketing, "suppressed:unsubscribe"),
    ({"complaint", "unsubscribe"}, Purpose.marketing, "suppressed:complaint"),
])
def test_the_suppression_list_stops_what_its_reason_covers(reasons, purpose, expected):
    decision = decide(facts(suppressions=frozenset(reasons), purpose=purpose), NOON_UTC)
    if expected is None:
        assert decision.action == Action.send
    else:
        assert decision == Decision(Action.suppress, expected)


def test_a_review_request_is_held_while_a_shipment_exception_is_open():
    held = facts(purpose=Purpose.transactional, category="review_request",
                 open_problem="shipment_exception")
    assert decide(held, NOON_UTC) == Decision(Action.suppress, "held:shipment_exception")
    other = replace(held, category="shipment_shipped")
    assert decide(other, NOON_UTC).action == Action.send


def test_the_budget_stops_marketing_but_not_transactional():
    spent = facts(marketing_in_period=3, budget=3)
    assert decide(spent, NOON_UTC) == Decision(Action.suppress, "contact_budget")
    assert decide(replace(spent, marketing_in_period=2), NOON_UTC).action == Action.send
    assert decide(replace(spent, purpose=Purpose.transactional), NOON_UTC).action == Action.send


def test_webhooks_are_not_people():
    assert decide(facts(channel="webhook", has_address=True, consent=None,
                        marketing_in_period=99), NOON_UTC).action == Action.send


def test_marketing_at_night_is_deferred_to_the_morning_not_dropped():
    late = datetime(2026, 6, 10, 21, 30, tzinfo=UTC)  # 23:30 in Berlin (CEST)
    assert decide(facts(), late) == Decision(
        Action.defer, "quiet_hours", datetime(2026, 6, 11, 6, tzinfo=UTC))  # 08:00 CEST


def test_transactional_ignores_quiet_hours():
    late = datetime(2026, 6, 10, 23, tzinfo=UTC)
    assert decide(facts(purpose=Purpose.transactional), late).action == Action.send


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        decide(facts(), datetime(2026, 6, 10, 12))


# --- daylight saving -----------------------------------------------------------------

def test_spring_forward_night_ends_at_eight_local_which_is_six_utc():
    # Berlin, Saturday 28 March 2026 22:00 CET (UTC+1); clocks go forward that night
    now = datetime(2026, 3, 28, 21, tzinfo=UTC)
    assert next_allowed_time(now, "Europe/Berlin", NIGHT) == datetime(2026, 3, 29, 6, tzinfo=UTC)


def test_fall_back_night_ends_at_eight_local_which_is_seven_utc():
    # Berlin, Saturday 24 October 2026 22:00 CEST (UTC+2); clocks go back that night
    now = datetime(2026, 10, 24, 20, tzinfo=UTC)
    assert next_allowed_time(now, "Europe/Berlin", NIGHT) == datetime(2026, 10, 25, 7, tzinfo=UTC)


def test_a_quiet_end_that_the_clocks_skip_ends_when_the_gap_ends():
    # quiet until 02:30, but on 29 March 2026 Berlin jumps from 02:00 to 03:00
    quiet = QuietHours(time(22), time(2, 30))
    now = datetime(2026, 3, 29, 0, 10, tzinfo=UTC)  # 01:10 CET
    assert next_allowed_time(now, "Europe/Berlin", quiet) == datetime(2026, 3, 29, 1, tzinfo=UTC)


def test_a_quiet_end_that_happens_twice_ends_the_first_time():
    # quiet until 02:30; on 25 October 2026 Berlin lives 02:00-03:00 twice
    quiet = QuietHours(time(22), time(2, 30))
    now = datetime(2026, 10, 24, 23, tzinfo=UTC)  # 01:00 CEST
    assert next_allowed_time(now, "Europe/Berlin", quiet) == datetime(2026, 10, 25, 0, 30,
                                                                       tzinfo=UTC)


def test_the_hour_after_a_fall_back_counts_as_quiet_both_times():
    quiet = QuietHours(time(2), time(3))
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert in_quiet_hours(first, "Europe/Berlin", quiet)
    assert in_quiet_hours(second, "Europe/Berlin", quiet)
    assert next_allowed_time(first, "Europe/Berlin", quiet) == datetime(2026, 10, 25, 2,
                                                                         tzinfo=UTC)


def test_a_window_that_does_not_cross_midnight():
    lunch = QuietHours(time(12), time(14))
    now = datetime(2026, 1, 5, 12, 30, tzinfo=UTC)
    assert next_allowed_time(now, "UTC", lunch) == datetime(2026, 1, 5, 14, tzinfo=UTC)
    assert next_allowed_time(now.replace(hour=15), "UTC", lunch) == now.replace(hour=15)


def test_an_empty_window_is_never_quiet():
    assert not in_quiet_hours(NOON_UTC, "UTC", QuietHours(time(9), time(9)))


# --- properties ------------------------------------------------------------------------

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
         "Pacific/Chatham", "America/Santiago", "UTC", "Pacific/Apia"]
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31),
                        timezones=st.just(UTC))
clock = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
windows = st.builds(QuietHours, clock, clock)


@settings(max_examples=400, deadline=None)
@given(instants, st.sampled_from(ZONES), windows)
def test_the_next_allowed_time_is_never_past_never_quiet_and_never_late(now, zone, quiet):
    allowed = next_allowed_time(now, zone, quiet)
    assert allowed >= now
    assert not in_quiet_hours(allowed, zone, quiet)
    if allowed > now:  # and the second before it was still quiet: we waited no longer
        assert in_quiet_hours(allowed - timedelta(seconds=1), zone, quiet)
        assert allowed - now <= timedelta(hours=26)


policy_facts = st.builds(
    PolicyFacts,
    channel=st.sampled_from(["email", "sms"]),
    purpose=st.sampled_from(list(Purpose)),
    category=st.sampled_from(["order_confirmation", "review_request", "newsletter"]),
    has_address=st.booleans(),
    consent=st.sampled_from([None, True, False]),
    suppressions=st.frozensets(st.sampled_from(["hard_bounce", "complaint", "unsubscribe",
                                                "manual"])),
    timezone=st.sampled_from(ZONES),
    quiet_hours=st.one_of(st.none(), windows),
    marketing_in_period=st.integers(0, 20),
    budget=st.integers(0, 10),
    open_problem=st.sampled_from([None, "shipment_exception", "return_open"]),
)


@settings(max_examples=500, deadline=None)
@given(policy_facts, instants)
def test_transactional_is_never_blocked_by_the_budget_or_quiet_hours(f, now):
    transactional = replace(f, purpose=Purpose.transactional)
    relaxed = replace(transactional, marketing_in_period=0, budget=10, quiet_hours=None)
    assert decide(transactional, now) == decide(relaxed, now)
    assert decide(transactional, now).action != Action.defer


@settings(max_examples=500, deadline=None)
@given(policy_facts, instants)
def test_a_deferral_is_never_in_the_past_nor_inside_quiet_hours(f, now):
    decision = decide(f, now)
    if decision.action == Action.defer:
        assert decision.until is not None and decision.until > now
        assert f.quiet_hours is not None
        assert not in_quiet_hours(decision.until, f.timezone, f.quiet_hours)


@settings(max_examples=500, deadline=None)
@given(policy_facts, instants)
def test_marketing_is_sent_only_with_consent_within_budget_outside_quiet_hours(f, now):
    decision = decide(f, now)
    if decision.action == Action.send and f.purpose == Purpose.marketing:
        assert f.consent is True and f.has_address and not f.suppressions
        assert f.marketing_in_period < f.budget
        assert f.quiet_hours is None or not in_quiet_hours(now, f.timezone, f.quiet_hours)
