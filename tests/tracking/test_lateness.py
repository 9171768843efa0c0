"""The one rule for late (tracking/lateness.py), pure: a table of parcels with their
promised day, predicted window, status and the moment they are judged, in several
time zones; the promised day is a day in the store's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

import pytest

from afterward.tracking import lateness
from afterward.tracking.lateness import DayWindow, Lateness

BERLIN, NEW_YORK, TOKYO = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), \
    ZoneInfo("Asia/Tokyo")
MONDAY = date(2027, 1, 11)  # the promised day in every case below
NOW = datetime(2027, 1, 6, 9, tzinfo=UTC)  # the Wednesday before, 10:00 in Berlin


def utc(day: int, hour: float = 0, minute: int = 0) -> datetime:
    return datetime(2027, 1, day, int(hour), minute, tzinfo=UTC)


def local(zone: tzinfo, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=zone)


def days(first: int, last: int) -> DayWindow:
    return DayWindow(date(2027, 1, first), date(2027, 1, last))


@dataclass(frozen=True)
class Case:
    window: tuple[datetime, datetime] | None
    expected: Lateness
    status: str = "in_transit"
    zone: tzinfo = BERLIN
    now: datetime = NOW
    promised: date | None = MONDAY


CASES = {
    "ends during the promised day": Case(
        (local(BERLIN, 8, 9), local(BERLIN, 11, 23, 59)),
        Lateness(False, MONDAY, days(8, 11))),
    "ends at the midnight that closes the promised day": Case(
        (local(BERLIN, 8, 9), local(BERLIN, 12)),
        Lateness(False, MONDAY, days(8, 11))),
    "ends a minute into the next day": Case(
        (local(BERLIN, 8, 9), local(BERLIN, 12, 0, 1)),
        Lateness(True, MONDAY, days(8, 12))),
    "ends days later": Case(
        (local(BERLIN, 12, 9), local(BERLIN, 15, 18)),
        Lateness(True, MONDAY, days(12, 15))),
    "23:30 UTC is Tuesday in Berlin": Case(
        (utc(8, 9), utc(11, 23, 30)), Lateness(True, MONDAY, days(8, 12))),
    "23:30 UTC is still Monday in New York": Case(
        (utc(8, 9), utc(11, 23, 30)), Lateness(False, MONDAY, days(8, 11)), zone=NEW_YORK),
    "16:00 UTC is already Tuesday in Tokyo": Case(
        (utc(8, 9), utc(11, 16)), Lateness(True, MONDAY, days(8, 12)), zone=TOKYO),
    "14:00 UTC is still Monday in Tokyo": Case(
        (utc(8, 9), utc(11, 14)), Lateness(False, MONDAY, days(8, 11)), zone=TOKYO),
    "a New York window starting before midnight UTC starts the day before": Case(
        (utc(9, 3), utc(13, 3)), Lateness(True, MONDAY, days(8, 12)), zone=NEW_YORK),
    "out for delivery on the promised day, until its end": Case(
        (local(BERLIN, 11, 8), local(BERLIN, 12)), Lateness(False, MONDAY, days(11, 11)),
        status="out_for_delivery", now=local(BERLIN, 11, 8)),
    "out for delivery the day after": Case(
        (local(BERLIN, 12, 8), local(BERLIN, 13)), Lateness(True, MONDAY, days(12, 12)),
        status="out_for_delivery", now=local(BERLIN, 12, 8)),
    "a failed attempt can be late": Case(
        (local(BERLIN, 12, 8), local(BERLIN, 13, 18)), Lateness(True, MONDAY, days(12, 13)),
        status="failed_attempt"),
    "not handed over yet can be late": Case(
        (local(BERLIN, 12, 8), local(BERLIN, 13, 18)), Lateness(True, MONDAY, days(12, 13)),
        status="pending"),
    "label created can be late": Case(
        (local(BERLIN, 12, 8), local(BERLIN, 13, 18)), Lateness(True, MONDAY, days(12, 13)),
        status="info_received"),
    "delivered is never late afterwards": Case(
        (local(BERLIN, 14, 8), local(BERLIN, 14, 8)), Lateness(False, MONDAY, None),
        status="delivered", now=local(BERLIN, 20)),
    "waiting at a pickup point has arrived": Case(
        (local(BERLIN, 12, 8), local(BERLIN, 15)), Lateness(False, MONDAY, None),
        status="available_for_pickup"),
    "an exception is its own message, not a delay": Case(
        (local(BERLIN, 12, 8), local(BERLIN, 15)), Lateness(False, MONDAY, None),
        status="exception"),
    "returned to sender": Case(
        (local(BERLIN, 12, 8), local(BERLIN, 15)), Lateness(False, MONDAY, None),
        status="returned_to_sender"),
    "cancelled": Case(
        (local(BERLIN, 12, 8), local(BERLIN, 15)), Lateness(False, MONDAY, None),
        status="cancelled"),
    "expired": Case(
        (local(BERLIN, 12, 8), local(BERLIN, 15)), Lateness(False, MONDAY, None),
        status="expired"),
    "nothing promised": Case(
        (local(BERLIN, 12, 8), local(BERLIN, 15)), Lateness(False, None, days(12, 14)),
        promised=None),
    "nothing predicted": Case(None, Lateness(False, MONDAY, None)),
    "a run-out window on the promised day itself is not late yet": Case(
        (local(BERLIN, 8, 9), local(BERLIN, 11, 12)), Lateness(False, MONDAY, days(11, 11)),
        now=local(BERLIN, 11, 20)),
    "a run-out window after the promised day ends now: late": Case(
        (local(BERLIN, 8, 9), local(BERLIN, 11, 12)), Lateness(True, MONDAY, days(12, 12)),
        now=local(BERLIN, 12, 0, 5)),
    "a window that started earlier starts today": Case(
        (local(BERLIN, 4, 9), local(BERLIN, 13, 12)), Lateness(True, MONDAY, days(6, 13))),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_late_only_when_the_window_ends_after_the_promised_day(case: Case):
    verdict = lateness.judge(promised_day=case.promised, window=case.window,
                             status=case.status, now=case.now, zone=case.zone)

    assert verdict == case.expected


@pytest.mark.parametrize(("promised_at", "zone", "day"), [
    (local(BERLIN, 12), BERLIN, MONDAY),  # "by the end of Monday", stored as Tuesday 00:00
    (local(BERLIN, 11, 20), BERLIN, MONDAY),  # a promise at a time of day: that day
    (utc(11, 23), BERLIN, MONDAY),  # Berlin's midnight, written in UTC
    (utc(11, 23, 1), BERLIN, date(2027, 1, 12)),  # a minute into Tuesday in Berlin
    (utc(11, 23, 1), NEW_YORK, MONDAY),
    (utc(12, 5), NEW_YORK, MONDAY),  # New York's midnight
    (datetime(2027, 3, 29, 0, tzinfo=BERLIN), BERLIN, date(2027, 3, 28)),  # a 23-hour day
])
def test_the_promised_day_is_the_stores_day_the_promise_ends_on(promised_at, zone, day):
    assert lateness.day_ending(promised_at, zone) == day


END_OF_MONDAY, TUESDAY_MORNING, WEDNESDAY_EVENING = (
    local(BERLIN, 12), local(BERLIN, 12, 9), local(BERLIN, 13, 18))


@dataclass(frozen=True)
class Row:
    direction: str = "outbound"
    status: str = "in_transit"
    promised_at: datetime | None = END_OF_MONDAY
    eta_earliest: datetime | None = TUESDAY_MORNING
    eta_latest: datetime | None = WEDNESDAY_EVENING


def test_a_stored_shipment_is_judged_by_its_promise_window_and_status():
    judged = lateness.of_parcel(Row(), zone=BERLIN, now=NOW)

    assert judged == Lateness(True, MONDAY, days(12, 13))


def test_a_return_parcel_is_never_late():
    judged = lateness.of_parcel(Row(direction="return"), zone=BERLIN, now=NOW)

    assert judged == Lateness(False, None, None)


def test_a_shipment_without_a_stored_window_is_not_judged():
    judged = lateness.of_parcel(Row(eta_earliest=None), zone=BERLIN, now=NOW)

    assert judged == Lateness(False, MONDAY, None)


def test_an_unknown_store_time_zone_counts_days_in_utc():
    assert lateness.store_zone("Mars/Olympus_Mons") is UTC
    assert lateness.store_zone(None) is UTC
    assert lateness.store_zone("Europe/Berlin") == BERLIN


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="naive datetime"):
        lateness.judge(promised_day=MONDAY, window=(datetime(2027, 1, 8), utc(12)),
                       status="in_transit", now=NOW, zone=BERLIN)
