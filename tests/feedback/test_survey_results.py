"""The figures behind the results: NPS, CSAT and the delivery survey from score counts,
and the weeks of a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from afterward.feedback import survey_results
from afterward.feedback.survey_results import Csat, Delivery, Nps
from tests.feedback.survey_scene import Shop, shop_fixture  # noqa: F401 (a fixture)


def test_nps_is_promoters_minus_detractors_in_percent():
    assert survey_results.nps_of({10: 5, 9: 1, 8: 2, 6: 1, 0: 1}) == Nps(40.0, 10, 6, 2, 2)
    assert survey_results.nps_of({0: 3}) == Nps(-100.0, 3, 0, 0, 3)
    assert survey_results.nps_of({7: 1, 8: 2}) == Nps(0.0, 3, 0, 3, 0)
    assert survey_results.nps_of({10: 2, 5: 1}) == Nps(33.3, 3, 2, 0, 1)
    assert survey_results.nps_of({}) == Nps(None, 0, 0, 0, 0)


def test_csat_is_the_share_of_fours_and_fives():
    assert survey_results.csat_of({5: 2, 4: 1, 3: 1, 1: 2}) == Csat(
        50.0, 3.17, 6, 3, 2, {1: 2, 2: 0, 3: 1, 4: 1, 5: 2})
    assert survey_results.csat_of({}) == Csat(None, None, 0, 0, 0,
                                              {1: 0, 2: 0, 3: 0, 4: 0, 5: 0})


def test_the_delivery_survey_counts_the_noes():
    assert survey_results.delivery_of({1: 7, 0: 1}) == Delivery(8, 7, 1, 12.5)
    assert survey_results.delivery_of({}) == Delivery(0, 0, 0, None)


def test_the_weeks_of_a_period_each_have_their_answers(shop: Shop, db):
    for number, survey, score in (("1", "nps", 10), ("2", "nps", 2), ("3", "csat", 5)):
        shop.order(number)
        shop.client.post("/api/v1/surveys/responses", headers=shop.store.auth,
                         json={"order_number": number, "survey": survey, "score": score})
    end = datetime.now(UTC) + timedelta(minutes=1)

    with db.reading() as session:
        weeks = survey_results.weekly(session, store_id=shop.store.id,
                                      start=end - timedelta(days=21), end=end)

    assert len(weeks) == 3
    assert [(w.nps.responses, w.csat.responses) for w in weeks] == [(0, 0), (0, 0), (2, 1)]
    assert (weeks[2].nps.nps, weeks[2].csat.csat) == (0.0, 100.0)
