"""The demo store's reviews and NPS answers: written before the journeys were switched
on, verified buyers' reviews in words of their product's category and stars, some with
a photo, published by the store's rule or waiting in the queue; NPS answers early
enough that no detractor's marketing pause reaches the replay."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from afterward.demo import feedback as demo_feedback
from afterward.demo.feedback import SURVEY_GAP
from afterward.feedback.detractors import PAUSE_DAYS
from afterward.feedback.models import Review, ReviewPhoto, SurveyResponse
from tests.demo.conftest import BIG_BUILD, SWITCHED_ON

pytestmark = BIG_BUILD
PAUSE_DAYS_DELTA = timedelta(days=PAUSE_DAYS)


def test_the_history_has_verified_reviews_with_words_for_their_stars(built):
    db, summary = built
    with db.reading() as session:
        reviews = list(session.scalars(select(Review).where(
            Review.store_id == summary.store_id)))
        photos = session.scalars(select(ReviewPhoto.review_id).where(
            ReviewPhoto.store_id == summary.store_id)).all()
    texts = {mood: {pair for words in demo_feedback.WORDS.values() for pair in words[mood]}
             for mood in ("good", "mixed", "bad")}

    assert len(reviews) >= 10
    assert {(r.source, r.verified_buyer) for r in reviews} == {("link", True)}
    assert all(r.submitted_at.replace(tzinfo=SWITCHED_ON.tzinfo) < SWITCHED_ON
               for r in reviews)
    assert all((r.title, r.body) in texts["good" if r.rating >= 4 else
                                          "mixed" if r.rating == 3 else "bad"]
               for r in reviews)
    assert set(Counter(r.status for r in reviews)) == {"published", "pending"}
    assert 0 < len(set(photos)) < len(reviews)


def test_nps_answers_end_before_a_pause_could_reach_the_replay(built):
    db, summary = built
    with db.reading() as session:
        answered = session.scalars(select(SurveyResponse.updated_at).where(
            SurveyResponse.store_id == summary.store_id)).all()

    assert len(answered) >= 10
    # delivered at least SURVEY_GAP before the switch-on, answered within 3 days
    latest = max(a.replace(tzinfo=SWITCHED_ON.tzinfo) for a in answered)
    assert latest < SWITCHED_ON - SURVEY_GAP + timedelta(days=3)
    assert latest + PAUSE_DAYS_DELTA < SWITCHED_ON
