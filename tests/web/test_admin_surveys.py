"""Surveys in the admin: the period's NPS, CSAT and delivery figures with the weekly
charts (inline SVG) and the comments behind them, and the detractor inbox: each alert
with the customer, order, score and comment beside it, closed by a team member (a
second click changes nothing; another store's alert is a 404)."""

from __future__ import annotations

import pytest

from tests.feedback.survey_scene import Shop, alerts
from tests.web.helpers import csrf_of, make_admin, sign_in


@pytest.fixture
def shop(client, db, store) -> Shop:
    found = Shop(client, db, store)
    make_admin(db)
    sign_in(client)
    return found


def answer(shop: Shop, number: str, survey: str, score: int, comment: str | None = None):
    body: dict = {"order_number": number, "survey": survey, "score": score}
    if comment:
        body["comment"] = comment
    assert shop.client.post("/api/v1/surveys/responses", headers=shop.store.auth,
                            json=body).status_code == 201


def test_the_results_show_the_figures_charts_and_comments(shop: Shop):
    for number, score in (("1", 10), ("2", 9), ("3", 4)):
        shop.order(number)
        answer(shop, number, "nps", score, "Tea <script>x</script>" if number == "3" else None)
    answer(shop, "1", "csat", 5)
    answer(shop, "2", "delivery", 0)

    page = shop.client.get("/admin/surveys")

    assert page.status_code == 200
    assert '<span class="figure-value" id="nps-value">33.3</span>' in page.text
    assert '<span class="figure-value" id="csat-value">100.0%</span>' in page.text
    assert '<span class="figure-value" id="delivery-value">100.0%</span>' in page.text
    assert 'id="nps-chart"' in page.text and 'id="csat-chart"' in page.text
    assert "Tea &lt;script&gt;x&lt;/script&gt;" in page.text
    assert "<script>x" not in page.text
    assert "Detractor inbox (2)" in page.text


def test_the_comments_filter_by_survey_and_a_bad_filter_is_refused(shop: Shop):
    shop.order("1")
    answer(shop, "1", "nps", 10, "Lovely")
    answer(shop, "1", "csat", 5, "Smooth return")

    only_csat = shop.client.get("/admin/surveys?survey=csat&days=30")

    assert "Smooth return" in only_csat.text and "Lovely" not in only_csat.text
    assert shop.client.get("/admin/surveys?survey=stars").status_code == 400
    assert shop.client.get("/admin/surveys?days=7").status_code == 400


def test_the_inbox_lists_a_detractor_beside_the_customer_order_and_comment(shop: Shop):
    shop.order("1001")
    answer(shop, "1001", "nps", 2, "Parcel was soaked")

    page = shop.client.get("/admin/surveys/inbox")

    assert page.status_code == 200
    assert "Parcel was soaked" in page.text
    assert "ada@example.com" in page.text and ">1001</a>" in page.text


def test_closing_an_alert_records_who_and_a_second_click_changes_nothing(shop: Shop, db):
    shop.order("1001")
    answer(shop, "1001", "nps", 2)
    csrf = csrf_of(shop.client.get("/admin/surveys/inbox").text)

    closed = shop.client.post("/admin/surveys/inbox/1/close", data={"csrf": csrf},
                              follow_redirects=False)
    again = shop.client.post("/admin/surveys/inbox/1/close", data={"csrf": csrf},
                             follow_redirects=False)

    assert (closed.status_code, again.status_code) == (303, 303)
    assert alerts(db) == [("closed", "nps_detractor", "ann@example.com")]
    assert "No open alerts" in shop.client.get("/admin/surveys/inbox").text
    assert "ann@example.com" in shop.client.get("/admin/surveys/inbox?status=closed").text


def test_closing_without_the_csrf_value_or_another_store_s_alert_changes_nothing(
        shop: Shop, db, make_store):
    other = make_store("other")
    Shop(shop.client, db, other).order("9")
    shop.client.post("/api/v1/surveys/responses", headers=other.auth,
                     json={"order_number": "9", "survey": "nps", "score": 1})
    csrf = csrf_of(shop.client.get("/admin/surveys/inbox").text)

    assert shop.client.post("/admin/surveys/inbox/1/close",
                            data={"csrf": "x"}).status_code == 403
    assert shop.client.post("/admin/surveys/inbox/1/close",
                            data={"csrf": csrf}).status_code == 404
    assert alerts(db) == [("open", "nps_detractor", None)]


@pytest.mark.parametrize(("lang", "words"), [
    ("de", "Umfragen"), ("fr", "Enquêtes"), ("pt-BR", "Pesquisas")])
def test_the_results_speak_the_browser_s_language(shop: Shop, lang, words):
    page = shop.client.get("/admin/surveys", headers={"Accept-Language": lang})

    assert page.status_code == 200
    assert f"<h1>{words}</h1>" in page.text
