"""What customers say in the admin (/admin/insights/words): the themes of the store's
latest run with their phrases, sentiment, monthly trend (inline SVG), products and
quotes; one product's themes by SKU; the empty states; another store's themes never
shown; the page in the admin's language."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from afterward.insights import words
from tests.insights.test_words import BAGS, TEES
from tests.insights.words_scene import add_reviews
from tests.web.helpers import csrf_of, make_admin, sign_in


@pytest.fixture
def signed_in(client, db, store, make_store):
    make_store("other")
    make_admin(db, stores=(store.slug,))
    sign_in(client)
    return client


def recompute(db, store_id: int) -> None:
    with db.transaction() as session:
        words.recompute(session, store_id)


def test_the_page_shows_each_theme_with_its_figures_trend_and_quotes(signed_in, db, store):
    add_reviews(db, store.id, BAGS + TEES)
    recompute(db, store.id)

    page = signed_in.get("/admin/insights/words")

    assert page.status_code == 200
    titles = re.findall(r'<h2 id="theme-\d+-title">([^<]*)</h2>', page.text)
    assert titles == ["lovely colour, soft fabric, fabric lovely", "zipper broke"]
    assert "Texts read: 8 (reviews, surveys and returns)." in page.text
    assert "the general lexicon (too few rated reviews to learn from yet)" in page.text
    assert page.text.count('<svg class="trend"') == 2
    assert page.text.count("<blockquote>") == 6
    assert "The zipper broke after a week." in page.text
    assert 'href="/admin/insights/words?sku=BAG-1"' in page.text
    assert "negative" in page.text and "positive" in page.text


def test_a_product_shows_only_the_themes_that_touch_it(signed_in, db, store):
    add_reviews(db, store.id, BAGS + TEES)
    recompute(db, store.id)

    page = signed_in.get("/admin/insights/words?sku=BAG-2")
    nothing = signed_in.get("/admin/insights/words?sku=" + "Z" * 100)

    titles = re.findall(r'<h2 id="theme-\d+-title">([^<]*)</h2>', page.text)
    assert titles == ["zipper broke"]
    assert "BAG-2: texts 1, average sentiment" in page.text
    assert "1 about this product" in page.text
    assert "No theme touches this product." in nothing.text


def test_before_any_run_the_page_says_how_themes_come(signed_in):
    page = signed_in.get("/admin/insights/words")

    assert page.status_code == 200
    assert "Nothing computed yet" in page.text


def test_too_long_a_sku_is_refused(signed_in):
    page = signed_in.get("/admin/insights/words?sku=" + "Z" * 101)

    assert page.status_code == 400


def test_another_store_s_themes_are_never_shown(signed_in, db, store, make_store):
    stranger = make_store("stranger")
    add_reviews(db, stranger.id, BAGS + TEES)
    recompute(db, stranger.id)

    page = signed_in.get("/admin/insights/words")

    assert "zipper broke" not in page.text
    assert "Nothing computed yet" in page.text


def test_the_page_speaks_the_admin_s_language(signed_in, db, store):
    add_reviews(db, store.id, BAGS + TEES)
    recompute(db, store.id)

    page = signed_in.get("/admin/insights/words", headers={"Accept-Language": "de"})

    assert page.status_code == 200
    assert str(escape("Was Kundinnen und Kunden sagen")) in page.text
    assert "Schlüsselbegriffe:" in page.text


def test_signed_out_the_page_sends_to_the_sign_in(client):
    page = client.get("/admin/insights/words", follow_redirects=False)

    assert page.status_code == 303
    assert page.headers["location"].startswith("/admin/login")


def queued_jobs(db, store_id: int) -> int:
    from sqlalchemy import func, select

    from afterward.jobs import Job

    with db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Job).where(
            Job.kind == words.JOB, Job.store_id == store_id)) or 0)


def test_recompute_now_queues_one_job_however_many_clicks(signed_in, db, store):
    page = signed_in.get("/admin/insights/words")
    token = csrf_of(page.text)

    first = signed_in.post("/admin/insights/words/recompute", data={"csrf": token},
                           follow_redirects=False)
    second = signed_in.post("/admin/insights/words/recompute", data={"csrf": token})

    assert (first.status_code, first.headers["location"]) == (
        303, "/admin/insights/words?queued=1")
    assert second.status_code == 200
    assert "A recompute is queued" in second.text
    assert queued_jobs(db, store.id) == 1


def test_recompute_now_without_the_form_s_token_is_refused_and_queues_nothing(signed_in, db,
                                                                              store):
    answer = signed_in.post("/admin/insights/words/recompute", data={"csrf": "forged"},
                            follow_redirects=False)

    assert answer.status_code == 403
    assert queued_jobs(db, store.id) == 0


def test_the_trend_runs_over_the_last_twelve_months_across_the_new_year():
    from datetime import date

    from afterward.web.admin.words import trend

    months = trend({"2025-04": 2, "2026-03": 4, "2024-12": 9}, date(2026, 3, 15), "de")

    assert [m.key for m in months][:2] == ["2025-04", "2025-05"]
    assert months[-1].key == "2026-03"
    assert [(m.count, m.height) for m in months if m.count] == [(2, 0.5), (4, 1.0)]
    assert (months[0].label, months[-1].label) == ("Apr", "Mär")


def test_a_product_with_themes_of_its_own_shows_them(signed_in, db, store, monkeypatch):
    monkeypatch.setattr(words, "PRODUCT_TEXTS", 4)
    add_reviews(db, store.id, BAGS + TEES + [
        ("Faded", "The colour faded after one wash.", 2, "TEE-1"),
        ("Faded colour", "Colour faded quickly in the wash.", 2, "TEE-1"),
        (None, "After one wash the colour faded.", 1, "TEE-1"),
        ("Washed out", "The colour faded, one wash.", 2, "TEE-1"),
        ("So soft", "Soft fabric, lovely colour, great fit.", 5, "TEE-1")])
    recompute(db, store.id)

    own = signed_in.get("/admin/insights/words?sku=TEE-1")
    shared = signed_in.get("/admin/insights/words?sku=BAG-1")

    assert re.findall(r'<h2 id="theme-\d+-title">([^<]*)</h2>', own.text) == [
        "faded wash, faded colour", "lovely colour, soft fabric, great"]
    assert "Themes found in this product" in own.text
    assert "The store" in shared.text and "zipper broke" in shared.text
