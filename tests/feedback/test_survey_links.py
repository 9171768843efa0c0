"""The one-click score links: a click records the score at once and the page asks for
a comment; a second click of the same score changes nothing, another score replaces the
first; a tampered, foreign or expired link records nothing and says so."""

from __future__ import annotations

import re
import time
import types

import itsdangerous.timed
import pytest

from afterward.feedback import survey_links
from afterward.feedback.models import SurveyResponse
from afterward.feedback.survey_links import ScoreLink
from tests.feedback.survey_scene import (  # noqa: F401 (a fixture)
    SECRET,
    Shop,
    alerts,
    answered_events,
    answers,
    count,
    shop_fixture,
    webhook_jobs,
)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_a_signed_link_reads_back_and_a_tampered_or_foreign_one_does_not():
    link = ScoreLink(3, 42, "nps", 9)
    token = survey_links.signed("s3cret", link)

    assert survey_links.read("s3cret", token) == link
    assert survey_links.read("other", token) is None
    assert survey_links.read("s3cret", token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) \
        is None
    assert survey_links.read("s3cret", "x" * 400) is None


def test_a_signed_link_with_a_score_off_its_scale_reads_as_nothing():
    for survey, score in (("nps", 11), ("csat", 0), ("delivery", 2), ("stars", 3)):
        token = survey_links.signed("s3cret", ScoreLink(1, 2, survey, score))
        assert survey_links.read("s3cret", token) is None


def old_token(link: ScoreLink, days: int) -> str:
    then = time.time() - days * 86400
    real = itsdangerous.timed.time
    itsdangerous.timed.time = types.SimpleNamespace(time=lambda: then)  # type: ignore[assignment]
    try:
        return survey_links.signed(SECRET, link)
    finally:
        itsdangerous.timed.time = real  # type: ignore[assignment]


def test_a_link_older_than_its_days_is_expired():
    token = old_token(ScoreLink(1, 2, "nps", 9), survey_links.LINK_DAYS + 1)

    with pytest.raises(survey_links.Expired):
        survey_links.read(SECRET, token)


def test_a_click_records_the_score_and_the_page_asks_for_a_comment(shop: Shop, db):
    order_id, customer_id = shop.order()

    page = shop.client.get(shop.link(order_id, "nps", 9))

    assert page.status_code == 200
    assert "You gave Acme 9 out of 10." in page.text
    assert 'name="comment"' in page.text
    assert answers(db) == [("nps", 9, None)]
    assert [(e["survey"], e["score"], e["detractor"], e["previous_score"], e["source"],
             e["customer_id"]) for e in answered_events(db)] == [
        ("nps", 9, False, None, "link", customer_id)]


def test_a_second_click_of_the_same_link_changes_nothing(shop: Shop, db):
    order_id, _ = shop.order()
    link = shop.link(order_id, "nps", 9)

    assert shop.client.get(link).status_code == 200
    assert shop.client.get(link).status_code == 200

    assert answers(db) == [("nps", 9, None)]
    assert len(answered_events(db)) == 1


def test_another_score_of_the_same_survey_replaces_the_first(shop: Shop, db):
    order_id, _ = shop.order()
    shop.client.get(shop.link(order_id, "nps", 9))

    shop.client.get(shop.link(order_id, "nps", 7))
    shop.client.get(shop.link(order_id, "delivery", 1))

    assert answers(db) == [("nps", 7, None), ("delivery", 1, None)]
    assert [(e["survey"], e["score"], e["previous_score"]) for e in answered_events(db)] == [
        ("nps", 9, None), ("nps", 7, 9), ("delivery", 1, None)]


def test_a_tampered_link_shows_a_page_and_records_nothing(shop: Shop, db):
    order_id, _ = shop.order()
    token = shop.link(order_id, "nps", 9).rsplit("/", 1)[1]
    forged = token.replace(token[5], "A" if token[5] != "A" else "B", 1)

    page = shop.client.get(f"/survey/{forged}")

    assert page.status_code == 404
    assert "This survey link is incomplete or not valid, so nothing was recorded." in page.text
    assert count(db, SurveyResponse) == 0
    assert answered_events(db) == []


def test_an_expired_link_shows_a_page_and_records_nothing(shop: Shop, db):
    order_id, _ = shop.order()
    token = old_token(ScoreLink(shop.store.id, order_id, "nps", 2),
                      survey_links.LINK_DAYS + 1)

    page = shop.client.get(f"/survey/{token}?lang=de")

    assert page.status_code == 410
    assert 'id="survey-expired"' in page.text
    assert count(db, SurveyResponse) == 0
    assert (alerts(db), webhook_jobs(db)) == ([], [])


def test_a_link_to_an_order_of_no_store_records_nothing(shop: Shop, db):
    token = survey_links.signed(SECRET, ScoreLink(shop.store.id, 999, "nps", 9))

    page = shop.client.get(f"/survey/{token}")

    assert page.status_code == 404
    assert count(db, SurveyResponse) == 0


def test_the_comment_form_adds_the_words_to_the_answer(shop: Shop, db):
    order_id, _ = shop.order()
    link = shop.link(order_id, "nps", 10)
    csrf = csrf_of(shop.client.get(link).text)

    done = shop.client.post(link, data={"csrf": csrf, "comment": "  Lovely tea <b>!</b> "})

    assert done.status_code == 200
    assert "has your comment" in done.text
    assert "&lt;b&gt;" in done.text and "<b>!" not in done.text
    assert answers(db) == [("nps", 10, "Lovely tea <b>!</b>")]


def test_a_comment_without_the_form_s_csrf_value_changes_nothing(shop: Shop, db):
    order_id, _ = shop.order()
    link = shop.link(order_id, "nps", 10)
    shop.client.get(link)

    refused = shop.client.post(link, data={"csrf": "forged", "comment": "Spam"})

    assert refused.status_code == 403
    assert "This form had expired, so nothing was changed." in refused.text
    assert answers(db) == [("nps", 10, None)]


def test_an_empty_or_too_long_comment_is_refused_and_nothing_changes(shop: Shop, db):
    order_id, _ = shop.order()
    link = shop.link(order_id, "csat", 4)
    csrf = csrf_of(shop.client.get(link).text)

    assert shop.client.post(link, data={"csrf": csrf, "comment": "   "}).status_code == 422
    assert shop.client.post(link, data={"csrf": csrf, "comment": "x" * 2001}).status_code \
        == 422
    assert answers(db) == [("csat", 4, None)]


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "Thank you for your answer"), ("de", "Vielen Dank für Ihre Antwort"),
    ("fr", "Merci pour votre réponse"), ("pt_BR", "Obrigado pela sua resposta")])
def test_the_page_speaks_the_shopper_s_language(shop: Shop, lang, words):
    order_id, _ = shop.order()

    page = shop.client.get(shop.link(order_id, "delivery", 1) + f"?lang={lang}")

    assert page.status_code == 200
    assert words in page.text
