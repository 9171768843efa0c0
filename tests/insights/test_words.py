"""What customers' words say, end to end on the database: the modules' readers (reviews,
return lines), `recompute` scoring every text and storing themes (the lexicon below the
switch-over point, the store's own model at it), a second run replacing the first,
another store's texts never read, the job and the nightly pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from afterward import jobs
from afterward.feedback import texts as review_texts
from afterward.insights import text, words
from afterward.insights.models import TextSentiment, TextTheme
from afterward.jobs import Job
from afterward.returns import texts as return_texts
from afterward.returns.models import ReturnLine
from tests.insights.words_scene import START, add_return, add_reviews

BAGS = [("Zipper broke", "The zipper broke after a week.", 1, "BAG-1"),
        (None, "Zipper broke on the first trip, returned it.", 1, "BAG-1"),
        ("Meh", "The zipper broke and the strap tore.", 2, "BAG-1"),
        ("Cheap", "Cheap zipper broke quickly.", 1, "BAG-2")]
TEES = [("Lovely", "Soft fabric and a lovely colour.", 5, "TEE-1"),
        ("Love it", "Lovely colour, soft fabric, fits well.", 5, "TEE-1"),
        (None, "Soft fabric, lovely colour.", 4, "TEE-2"),
        ("Great tee", "The fabric is soft and the colour lovely.", 5, "TEE-1")]


def counts(db, store_id: int) -> tuple[int, int]:
    with db.reading() as session:
        return (int(session.scalar(select(func.count()).select_from(TextSentiment)
                                   .where(TextSentiment.store_id == store_id)) or 0),
                int(session.scalar(select(func.count()).select_from(TextTheme)
                                   .where(TextTheme.store_id == store_id)) or 0))


def test_the_review_reader_gives_title_and_body_with_stars_and_leaves_out_rejected(db, store):
    ids = add_reviews(db, store.id, [("Great", "Works well", 5, "A-1"),
                                     ("Ends with a stop.", None, 4, "A-2"),
                                     (None, None, 3, "A-3")])
    add_reviews(db, store.id, [("Spam", "buy now", 1, "A-1")], status="rejected")

    with db.reading() as session:
        found = list(review_texts.read(session, store_id=store.id, since=None))
        later = list(review_texts.read(session, store_id=store.id,
                                       since=START + timedelta(days=1)))

    assert [(t.source, t.ref, t.text, t.rating, t.sku) for t in found] == [
        ("review", ids[0], "Great. Works well", 5, "A-1"),
        ("review", ids[1], "Ends with a stop.", 4, "A-2")]
    assert found[0].at == START
    assert [t.ref for t in later] == [ids[1]]


def test_the_return_reader_gives_the_reason_in_words_and_the_comment(db, store):
    add_return(db, store.id, "R-1", [("MUG-1", "too_small", "Smaller than the photo."),
                                     ("TEA-1", "other", None),
                                     ("CUP-1", "arrived_late", None)])
    with db.reading() as session:
        found = list(return_texts.read(session, store_id=store.id, since=None))
        line_ids = list(session.scalars(select(ReturnLine.id).order_by(ReturnLine.id)))

    # the "other" line without a comment says nothing: left out
    assert [(t.source, t.ref, t.text, t.rating, t.sku) for t in found] == [
        ("return", line_ids[0], "Too small. Smaller than the photo.", None, "MUG-1"),
        ("return", line_ids[2], "Arrived late", None, "CUP-1")]


def test_recompute_scores_every_text_and_stores_the_themes(db, store, make_store):
    other = make_store("other")
    add_reviews(db, store.id, BAGS + TEES)
    add_reviews(db, other.id, [("Other store", "Nothing to do with acme.", 3, "X-1")] * 9)
    add_return(db, store.id, "R-1", [("MUG-1", "damaged", "The handle broke off.")])

    with db.transaction() as session:
        outcome = words.recompute(session, store.id, now=datetime(2026, 6, 1, tzinfo=UTC))

    assert outcome.as_dict() == {"run": 1, "model": "vader", "texts": 9, "rated": 8,
                                 "themes": 2}
    with db.reading() as session:
        scored = list(session.scalars(select(TextSentiment).where(
            TextSentiment.store_id == store.id).order_by(TextSentiment.id)))
        run, themes = words.latest(session, store.id)
    # the modules' readers in INSTALLED order: returns, then feedback
    assert [(s.source, s.model, s.sku) for s in scored] == (
        [("return", "vader", "MUG-1")] + [("review", "vader", sku) for *_, sku in BAGS + TEES])
    expected = text.lexicon_scores([review_texts.review_text(title, body)
                                    for title, body, *_ in BAGS + TEES])
    assert [s.score for s in scored[1:]] == [round(float(x), 4) for x in expected]
    assert run is not None and (run.run, run.texts, run.rated, run.themes) == (1, 9, 8, 2)
    assert [(t.label, t.size, t.position) for t in themes] == [
        ("lovely colour, soft fabric, fabric lovely", 4, 0),
        ("zipper broke", 4, 1)]
    assert themes[1].products[0] == {"sku": "BAG-1", "count": 3,
                                     "sentiment": round(sum(s.score for s in scored[1:4]) / 3,
                                                        4)}
    assert themes[1].months == {"2026-01": 4}
    assert counts(db, other.id) == (0, 0)


def test_a_second_run_replaces_the_first(db, store):
    add_reviews(db, store.id, BAGS + TEES)
    with db.transaction() as session:
        words.recompute(session, store.id)
    add_reviews(db, store.id, BAGS[:1], start=START + timedelta(days=90))
    with db.transaction() as session:
        outcome = words.recompute(session, store.id)

    assert (outcome.run, outcome.texts) == (2, 9)
    assert counts(db, store.id) == (9, 2)
    with db.reading() as session:
        assert set(session.scalars(select(TextTheme.run).where(
            TextTheme.store_id == store.id))) == {2}


def test_at_the_switch_over_point_the_store_s_own_model_scores_its_texts(db, store):
    rows = [(title, body, stars, sku) for _ in range(13) for title, body, stars, sku in
            BAGS + TEES]
    add_reviews(db, store.id, rows[:text.SWITCH_OVER], step=timedelta(hours=1))

    with db.transaction() as session:
        outcome = words.recompute(session, store.id)

    assert outcome.rated == text.SWITCH_OVER == 100
    assert outcome.model.startswith("learned:1-")
    with db.reading() as session:
        models = set(session.scalars(select(TextSentiment.model).where(
            TextSentiment.store_id == store.id)))
        zipper, tee = (session.scalar(select(func.avg(TextSentiment.score)).where(
            TextSentiment.store_id == store.id, TextSentiment.sku == sku))
            for sku in ("BAG-1", "TEE-1"))
    assert models == {outcome.model}
    assert zipper < -0.5 and tee > 0.5


def test_a_store_with_no_texts_gets_an_empty_run(db, store):
    with db.transaction() as session:
        outcome = words.recompute(session, store.id)

    assert outcome.as_dict() == {"run": 1, "model": "vader", "texts": 0, "rated": 0,
                                 "themes": 0}
    assert counts(db, store.id) == (0, 0)


def test_the_job_recomputes_one_store(db, store):
    add_reviews(db, store.id, BAGS + TEES)
    with db.transaction() as session:
        words.enqueue(session, store.id)
    with db.transaction() as session:
        job = session.scalar(select(Job).where(Job.kind == words.JOB))
        assert job is not None and job.payload == {"store_id": store.id}
        handler = jobs.handler_for(words.JOB)
        assert handler is not None
        handler(session, jobs.JobContext(job_id=job.id, store_id=store.id, attempt=1,
                                         payload=job.payload))

    assert counts(db, store.id) == (8, 2)


def test_the_nightly_pass_enqueues_each_store_once_and_the_next_night(db, store, make_store):
    other = make_store("other")
    at = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
    with db.transaction() as session:
        first = words.ensure_scheduled(session, now=at)
        again = words.ensure_scheduled(session, now=at + timedelta(minutes=5))
        night = session.get(Job, first)
        assert night is not None
        assert (night.run_at, again) == (datetime(2026, 3, 4, 2, 30, tzinfo=UTC), None)
        handler = jobs.handler_for(words.NIGHTLY_JOB)
        assert handler is not None
        context = jobs.JobContext(job_id=night.id, store_id=None, attempt=1,
                                  payload=night.payload)
        handler(session, context)
        handler(session, context)  # run twice (a retry): nothing doubled
        queued = list(session.execute(select(Job.kind, Job.store_id, Job.run_at)
                                      .where(Job.id != night.id).order_by(Job.id)))

    assert [(kind, store_id) for kind, store_id, _ in queued] == [
        (words.JOB, store.id), (words.JOB, other.id), (words.NIGHTLY_JOB, None)]
    assert queued[2][2] > datetime(2026, 3, 4, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize("reason", ["too_small", "custom_reason"])
def test_a_reason_reads_as_words(reason):
    assert return_texts.line_text(reason, "  so   tight ") == (
        "Too small. so tight" if reason == "too_small" else "Custom reason. so tight")


def test_the_words_command_recomputes_a_store_and_says_what_it_did(db, db_url, store,
                                                                   monkeypatch):
    from typer.testing import CliRunner

    from afterward.cli.main import app

    monkeypatch.setenv("AFTERWARD_DATABASE_URL", db_url)
    monkeypatch.setenv("AFTERWARD_SECRET_KEY", "cli-test-secret-key")
    add_reviews(db, store.id, BAGS + TEES)
    runner = CliRunner()

    as_json = runner.invoke(app, ["insights", "words", "--store", store.slug, "--json"])
    plain = runner.invoke(app, ["insights", "words", "--store", store.slug])
    unknown = runner.invoke(app, ["insights", "words", "--store", "nope"])

    assert as_json.exit_code == 0, as_json.output
    assert as_json.stdout.strip() == ('{"run": 1, "model": "vader", "texts": 8, "rated": 8, '
                                      '"themes": 2}')
    assert plain.exit_code == 0, plain.output
    assert "8 texts scored with vader (8 rated); 2 themes (run 2)" in plain.stdout
    assert unknown.exit_code == 1
    assert "no store 'nope'" in unknown.output
    assert counts(db, store.id) == (8, 2)


def test_a_product_with_enough_texts_gets_themes_of_its_own(db, store, monkeypatch):
    monkeypatch.setattr(words, "PRODUCT_TEXTS", 4)
    add_reviews(db, store.id, BAGS + TEES + [
        ("Faded", "The colour faded after one wash.", 2, "TEE-1"),
        ("Faded colour", "Colour faded quickly in the wash.", 2, "TEE-1"),
        (None, "After one wash the colour faded.", 1, "TEE-1"),
        ("Washed out", "The colour faded, one wash.", 2, "TEE-1"),
        ("So soft", "Soft fabric, lovely colour, great fit.", 5, "TEE-1")])

    with db.transaction() as session:
        words.recompute(session, store.id)
    with db.reading() as session:
        _, store_wide = words.latest(session, store.id)
        _, tee = words.latest(session, store.id, sku="TEE-1")
        _, bag = words.latest(session, store.id, sku="BAG-1")

    assert {t.sku for t in store_wide} == {None}
    # TEE-1 has 8 texts (its own themes), BAG-1 3 (too few)
    assert [(t.sku, t.label, t.size) for t in tee] == [
        ("TEE-1", "faded wash, faded colour", 4),
        ("TEE-1", "lovely colour, soft fabric, great", 4)]
    assert bag == []


def test_survey_comments_are_scored_with_the_reviews_and_return_reasons(db, store):
    from afterward.commerce.models import Order
    from afterward.feedback import surveys

    add_reviews(db, store.id, BAGS[:1])
    add_return(db, store.id, "R-1", [("MUG-1", "damaged", "The handle broke off.")])
    with db.transaction() as session:
        order_id = session.scalar(select(Order.id).where(Order.store_id == store.id))
        assert order_id is not None
        surveys.answer(session, store_id=store.id, order_id=order_id, survey="csat",
                       score=1, source="api", comment="Nobody answered my emails.")

    with db.transaction() as session:
        outcome = words.recompute(session, store.id, now=datetime(2026, 6, 1, tzinfo=UTC))
    with db.reading() as session:
        sources = [(s.source, s.model) for s in session.scalars(select(TextSentiment).where(
            TextSentiment.store_id == store.id).order_by(TextSentiment.id))]

    assert (outcome.texts, outcome.rated) == (3, 2)  # the review's stars and the CSAT score
    assert sorted(sources) == [("return", "vader"), ("review", "vader"), ("survey", "vader")]
