"""Subscriptions, pure: which purchase days make one (flagged, or a regular cadence
detected), when it renews, when it has lapsed, and the renewal risk with its reasons."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from afterward.insights import subscriptions
from afterward.insights.subscriptions import Found, Signals

DAY = date(2026, 6, 1)


def days_ago(*ns: int) -> list[date]:
    return [DAY - timedelta(days=n) for n in ns]


def test_a_flagged_purchase_is_a_subscription_with_its_own_interval():
    found = subscriptions.detect(days_ago(90, 62, 30), flagged=days_ago(62, 30))

    assert found == Found("flagged", 2, 32.0, DAY - timedelta(days=30), DAY + timedelta(days=2),
                          None)


def test_a_single_flagged_purchase_renews_by_the_product_s_days_or_not_at_all():
    declared = subscriptions.detect(days_ago(10), flagged=days_ago(10), declared_days=30)
    unknown = subscriptions.detect(days_ago(10), flagged=days_ago(10))

    assert (declared.source, declared.interval_days, declared.next_renewal) == (
        "flagged", 30.0, DAY + timedelta(days=20))
    assert unknown is None


def test_the_same_product_bought_on_a_regular_schedule_is_detected():
    found = subscriptions.detect(days_ago(120, 89, 61, 30), flagged=[])

    assert (found.source, found.orders, found.interval_days) == ("detected", 4, 31.0)
    assert found.next_renewal == DAY + timedelta(days=1)
    assert found.spread == pytest.approx(0.04714, abs=1e-5)  # gaps 31, 28, 31


@pytest.mark.parametrize("bought", [
    days_ago(60, 30),  # two purchases: too few
    days_ago(100, 90, 20),  # gaps 10 and 70: irregular
    days_ago(9, 6, 3),  # every 3 days: not a schedule
    days_ago(700, 400, 100),  # every 300 days: too slow
])
def test_irregular_too_few_or_out_of_range_purchases_are_not_detected(bought):
    assert subscriptions.detect(bought, flagged=[]) is None


def test_a_renewal_missed_by_more_than_its_grace_is_lapsed():
    found = subscriptions.detect(days_ago(90, 60, 30), flagged=[])  # renews DAY

    assert [subscriptions.status(found, DAY + timedelta(days=n)) for n in (0, 15, 16)] == [
        "active", "active", "lapsed"]  # grace: half of 30 days


def test_the_risk_of_a_regular_customer_with_nothing_wrong_is_their_churn_risk_alone():
    found = subscriptions.detect(days_ago(90, 60, 30), flagged=[])

    assert subscriptions.renewal_risk(found, DAY, Signals(p_alive=0.9)) == (0.04, [])
    assert subscriptions.renewal_risk(found, DAY, Signals(p_alive=0.5)) == (0.2, ["churn_risk"])


def test_each_signal_adds_its_weight_and_names_the_reason_largest_first():
    found = Found("flagged", 4, 30.0, DAY - timedelta(days=45), DAY - timedelta(days=15), 0.25)

    risk, reasons = subscriptions.renewal_risk(found, DAY, Signals(
        p_alive=0.75, returned=True, low_survey=False, late=True))

    # churn 0.4 x 0.25 = 0.1, overdue 0.4 x 15/30 = 0.2, irregular 0.2 x 0.25/0.5 = 0.1,
    # returned 0.2, late 0.1
    assert (risk, reasons) == (0.7, ["overdue", "returned_last_order", "churn_risk",
                                     "irregular", "late_delivery"])


def test_the_risk_is_capped_at_one_and_never_nan():
    found = Found("detected", 3, 30.0, DAY - timedelta(days=200), DAY - timedelta(days=170),
                  float("nan"))

    worst = subscriptions.renewal_risk(found, DAY, Signals(0.0, True, True, True))
    unknown = subscriptions.renewal_risk(found, DAY, Signals(p_alive=float("inf")))

    assert worst == (1.0, ["churn_risk", "overdue", "low_survey_score", "returned_last_order",
                           "late_delivery"])
    assert unknown == (0.4, ["overdue"])  # P(alive) not a number: no churn part


def test_a_small_signal_is_no_reason():
    found = Found("detected", 3, 30.0, DAY - timedelta(days=31), DAY - timedelta(days=1), 0.05)

    assert subscriptions.renewal_risk(found, DAY, Signals(p_alive=None)) == (0.0333, [])


def test_the_built_in_journey_sends_from_the_documented_threshold():
    from afterward.journeys import builtins

    [raw] = [d for d in builtins.definitions() if d["key"] == "subscription_renewal_risk"]
    [branch] = [s["branch"] for s in raw["steps"] if "branch" in s]

    assert branch["if"] == {"gte": ["subscription.renewal_risk", subscriptions.AT_RISK]}
