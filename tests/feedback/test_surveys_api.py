"""POST /api/v1/surveys/responses (imports: one answer per order and survey) and the
results of a period: NPS, CSAT and the delivery survey, exact figures; bad input and
another store's orders are refused with nothing written."""

from __future__ import annotations

import pytest

from afterward.feedback.models import SurveyResponse
from tests.feedback.survey_scene import (  # noqa: F401 (a fixture)
    Shop,
    answered_events,
    answers,
    count,
    shop_fixture,
)

URL = "/api/v1/surveys/responses"


def post(shop: Shop, auth=None, **body):
    return shop.client.post(URL, json=body, headers=auth or shop.store.auth)


def test_an_imported_answer_is_created_then_replaced_for_the_same_order(shop: Shop, db):
    shop.order("1001")

    first = post(shop, order_number="1001", survey="nps", score=8, comment="Fine")
    again = post(shop, order_number="1001", survey="nps", score=10)

    assert first.status_code == 201
    assert {k: first.json()[k] for k in ("order_number", "survey", "score", "detractor",
                                         "comment", "source")} == {
        "order_number": "1001", "survey": "nps", "score": 8, "detractor": False,
        "comment": "Fine", "source": "api"}
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["score"], again.json()["comment"]) == (
        first.json()["id"], 10, "Fine")
    assert answers(db) == [("nps", 10, "Fine")]
    assert [e["score"] for e in answered_events(db)] == [8, 10]


@pytest.mark.parametrize(("survey", "score"), [
    ("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6), ("delivery", 2), ("nps", 7.5),
    ("nps", True), ("nps", "7")])
def test_a_score_off_the_survey_s_scale_is_refused_and_nothing_is_written(shop: Shop, db,
                                                                          survey, score):
    shop.order("1001")

    refused = post(shop, order_number="1001", survey=survey, score=score)

    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "score"
    assert count(db, SurveyResponse) == 0
    assert answered_events(db) == []


def test_an_unknown_survey_an_unknown_order_or_extra_fields_are_refused(shop: Shop, db):
    shop.order("1001")

    for body, field in (({"order_number": "1001", "survey": "ces", "score": 3}, "survey"),
                        ({"order_number": "9999", "survey": "nps", "score": 3},
                         "order_number"),
                        ({"order_number": "1001", "survey": "nps", "score": 3, "x": 1}, "x"),
                        ({"order_number": "1001", "survey": "nps", "score": 3,
                          "comment": "x" * 2001}, "comment")):
        refused = post(shop, **body)
        assert (refused.status_code, refused.json()["error"]["field"]) == (422, field)

    assert count(db, SurveyResponse) == 0


def test_another_store_s_order_is_unknown_and_its_answers_are_not_counted(shop: Shop, db,
                                                                          make_store):
    other = make_store("other")
    shop.order("1001")
    assert post(shop, order_number="1001", survey="nps", score=2).status_code == 201

    refused = post(shop, auth=other.auth, order_number="1001", survey="nps", score=10)
    results = shop.client.get("/api/v1/surveys/nps/results", headers=other.auth)

    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "unknown_order")
    assert answers(db) == [("nps", 2, None)]
    assert results.json() == {"nps": None, "responses": 0, "promoters": 0, "passives": 0,
                              "detractors": 0}


def test_the_nps_results_count_promoters_passives_and_detractors(shop: Shop):
    for number, score in enumerate((10, 9, 9, 8, 7, 6, 3, 0), start=1001):
        shop.order(str(number))
        assert post(shop, order_number=str(number), survey="nps", score=score).status_code \
            == 201

    found = shop.client.get("/api/v1/surveys/nps/results", headers=shop.store.auth)

    # 3 promoters, 2 passives, 3 detractors of 8: (3 - 3) / 8 = 0
    assert found.json() == {"nps": 0.0, "responses": 8, "promoters": 3, "passives": 2,
                            "detractors": 3}


def test_the_nps_of_one_promoter_in_three_answers(shop: Shop):
    for number, score in (("1", 10), ("2", 8), ("3", 8)):
        shop.order(number)
        post(shop, order_number=number, survey="nps", score=score)

    found = shop.client.get("/api/v1/surveys/nps/results", headers=shop.store.auth).json()

    assert (found["nps"], found["promoters"], found["passives"]) == (33.3, 1, 2)


def test_the_csat_and_delivery_results(shop: Shop):
    for number, score in (("1", 5), ("2", 4), ("3", 2), ("4", 5)):
        shop.order(number)
        post(shop, order_number=number, survey="csat", score=score)
        post(shop, order_number=number, survey="delivery", score=0 if number == "3" else 1)

    csat = shop.client.get("/api/v1/surveys/csat/results", headers=shop.store.auth).json()
    delivery = shop.client.get("/api/v1/surveys/delivery/results",
                               headers=shop.store.auth).json()

    assert csat == {"csat": 75.0, "average": 4.0, "responses": 4, "satisfied": 3,
                    "dissatisfied": 1, "scores": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 2}}
    assert delivery == {"responses": 4, "yes": 3, "no": 1, "problem_rate": 25.0}


def test_the_period_counts_answers_first_given_in_it(shop: Shop):
    shop.order("1")
    post(shop, order_number="1", survey="nps", score=10)

    past = shop.client.get("/api/v1/surveys/nps/results?from=2020-01-01&to=2020-01-31",
                           headers=shop.store.auth)
    reversed_ = shop.client.get("/api/v1/surveys/nps/results?from=2020-02-01&to=2020-01-31",
                                headers=shop.store.auth)
    garbled = shop.client.get("/api/v1/surveys/nps/results?from=yesterday",
                              headers=shop.store.auth)

    assert past.json()["responses"] == 0
    assert (reversed_.status_code, reversed_.json()["error"]["field"]) == (422, "from")
    assert garbled.status_code == 422
    assert shop.client.get("/api/v1/surveys/nps/results",
                           headers=shop.store.auth).json()["responses"] == 1


def test_the_results_need_an_api_key(shop: Shop):
    assert shop.client.get("/api/v1/surveys/nps/results").status_code == 401
    assert shop.client.post(URL, json={}).status_code == 401


@pytest.mark.parametrize("query", ["to=0", "from=1700000000", "to=2026-1-5", "from=tomorrow"])
def test_a_day_not_written_as_yyyy_mm_dd_is_refused(shop: Shop, query):
    answer = shop.client.get(f"/api/v1/surveys/nps/results?{query}", headers=shop.store.auth)

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == query.split("=")[0]
