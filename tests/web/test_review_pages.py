from __future__ import annotations

import json
import re

from sqlalchemy import select

from afterward.feedback.models import Review, ReviewVote
from tests.factories import product_body
from tests.feedback.factories import photo_ids, review
from tests.web.helpers import csrf_of

PAGE = "/reviews/acme/TEA-1"


def json_ld(html: str) -> dict:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert found, "no JSON-LD"
    return json.loads(found.group(1))


def counts(db, review_id: int) -> tuple[int, int, int]:
    """(helpful, unhelpful, vote rows) of a review."""
    with db.reading() as session:
        row = session.get(Review, review_id)
        votes = session.scalars(select(ReviewVote.id).where(
            ReviewVote.review_id == review_id)).all()
        return row.helpful, row.unhelpful, len(votes)


def test_the_page_shows_the_summary_and_the_reviews_with_their_badges(client, db, store):
    client.post("/api/v1/products", headers=store.auth, json=product_body("TEA-1",
                                                                          title="Sencha"))
    review(db, store.id, rating=5, title="Superb", body="Fresh.\nGreat aroma.",
           author_name="Ada L.", attributes={"taste": 5}, incentive="points",
           reply="Thank you, Ada!", replied_at=None)
    review(db, store.id, rating=3, day=1, author_name="Bo", verified_buyer=False,
           source="api", attributes={"taste": 4})

    page = client.get(PAGE)

    assert page.status_code == 200
    html = page.text
    assert "<h1 id=\"reviews-heading\">Sencha</h1>" in html
    assert '<span class="reviews-average-figure">4.0</span>' in html
    assert "2 reviews" in html
    assert html.count("Verified buyer") == 1
    assert "<p class=\"review-body\">Fresh.</p><p class=\"review-body\">Great aroma.</p>" in html
    assert "This reviewer received loyalty points for writing a review." in html
    assert "Reply from Acme" in html and "Thank you, Ada!" in html
    assert "Taste" in html and "4.5 out of 5 stars" in html
    assert html.index("Bo") < html.index("Ada L.")  # newest first


def test_a_page_with_reviews_may_be_indexed_and_an_empty_one_may_not(client, db, store):
    client.post("/api/v1/products", headers=store.auth, json=product_body("MUG-1"))
    review(db, store.id)

    reviewed = client.get(PAGE)
    empty = client.get("/reviews/acme/MUG-1")

    assert "x-robots-tag" not in reviewed.headers
    assert '<meta name="robots" content="index, follow">' in reviewed.text
    assert '<link rel="canonical" href="http://testserver/reviews/acme/TEA-1">' in reviewed.text
    assert empty.headers["x-robots-tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in empty.text


def test_the_page_carries_product_rating_and_review_json_ld(client, db, store):
    client.post("/api/v1/products", headers=store.auth, json=product_body("TEA-1",
                                                                          title="Sencha"))
    review(db, store.id, rating=4, title="Nice", body="Good")

    data = json_ld(client.get(PAGE).text)

    assert data["@type"] == "Product"
    assert (data["name"], data["sku"], data["url"]) == (
        "Sencha", "TEA-1", "http://testserver/reviews/acme/TEA-1")
    assert data["aggregateRating"] == {"@type": "AggregateRating", "ratingValue": 4.0,
                                       "reviewCount": 1, "bestRating": 5, "worstRating": 1}
    assert data["review"] == [{
        "@type": "Review", "author": {"@type": "Person", "name": "Ada L."},
        "datePublished": "2026-03-01", "name": "Nice", "reviewBody": "Good",
        "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5,
                         "worstRating": 1}}]


def test_review_text_that_ends_a_script_stays_inside_the_json_ld(client, db, store):
    hostile = "</script><script>alert(1)</script> & <!-- \u2028"
    review(db, store.id, title=hostile, body=hostile, author_name=hostile)

    html = client.get(PAGE).text

    assert html.count("</script>") == 1
    assert "<script>alert(1)" not in html
    assert json_ld(html)["review"][0]["reviewBody"] == hostile


def test_the_page_speaks_the_shopper_s_language(client, db, store):
    review(db, store.id, rating=4)

    german = client.get(PAGE, headers={"Accept-Language": "de-DE,de;q=0.9"})
    french = client.get(PAGE + "?lang=fr")

    assert '<html lang="de">' in german.text and "1 Bewertung" in german.text
    assert '<html lang="fr">' in french.text and "1 avis" in french.text


def test_sorting_and_paging_links_keep_the_language(client, db, store):
    for day in range(12):
        review(db, store.id, rating=1 + day % 5, day=day)

    first = client.get(PAGE + "?lang=de&sort=lowest").text
    second = client.get(PAGE + "?sort=lowest&page=2").text

    assert 'href="/reviews/acme/TEA-1?sort=lowest&amp;page=2&amp;lang=de" rel="next"' in first
    assert 'href="/reviews/acme/TEA-1?sort=helpful&amp;lang=de"' in first
    assert second.count('class="review"') == 2


def test_customer_photos_are_shown_and_served_from_the_store_s_path(client, db, store):
    review_id = review(db, store.id, photos=2)
    ids = photo_ids(db, review_id)

    html = client.get(PAGE).text
    served = client.get(f"/reviews/acme/photos/{ids[0]}")

    assert html.count(f'src="/reviews/acme/photos/{ids[0]}"') == 2  # gallery and review
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "public, max-age=86400"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.content.startswith(b"\x89PNG")


def test_a_photo_of_a_pending_review_or_through_another_store_is_not_served(
        client, db, store, make_store):
    make_store("other")
    pending = photo_ids(db, review(db, store.id, photos=1, status="pending"))[0]
    published = photo_ids(db, review(db, store.id, photos=1))[0]

    assert client.get(f"/reviews/acme/photos/{pending}").status_code == 404
    assert client.get(f"/reviews/other/photos/{published}").status_code == 404
    assert client.get("/reviews/acme/photos/x1").status_code == 404


def test_another_store_s_slug_never_shows_these_reviews(client, db, store, make_store):
    make_store("other")
    review(db, store.id, title="Only at Acme")

    page = client.get("/reviews/other/TEA-1")
    data = client.get("/reviews/other/TEA-1.json")
    widget = client.get("/reviews/other/TEA-1/widget")

    assert (page.status_code, data.status_code, widget.status_code) == (404, 404, 404)
    assert "Only at Acme" not in page.text + data.text + widget.text


def test_an_unknown_store_or_product_is_a_readable_404(client, db, store):
    review(db, store.id, status="pending")

    unknown_store = client.get("/reviews/nope/TEA-1")
    nothing_published = client.get(PAGE)

    for response in (unknown_store, nothing_published):
        assert response.status_code == 404
        assert "No reviews here" in response.text


def test_a_known_product_without_reviews_shows_an_empty_state(client, db, store):
    client.post("/api/v1/products", headers=store.auth, json=product_body("TEA-1"))

    page = client.get(PAGE)

    assert page.status_code == 200
    assert "No reviews yet." in page.text
    assert "aggregateRating" not in json_ld(page.text)


def test_the_json_gives_the_aggregate_and_a_page_of_reviews(client, db, store):
    first = review(db, store.id, rating=5, day=0, photos=1, reply="Thanks",
                   attributes={"fit": 4})
    second = review(db, store.id, rating=2, day=1)

    answer = client.get("/reviews/acme/TEA-1.json?per_page=1")

    assert answer.status_code == 200
    body = answer.json()
    assert body["aggregate"] == {"count": 2, "average": 3.5, "attributes": {"fit": 4.0},
                                 "distribution": {"5": 1, "4": 0, "3": 0, "2": 1, "1": 0}}
    assert [r["id"] for r in body["reviews"]] == [second]
    assert (body["page"], body["pages"], body["per_page"]) == (1, 2, 1)
    assert body["next"] == "http://testserver/reviews/acme/TEA-1.json?page=2&per_page=1&sort=newest"
    following = client.get(body["next"]).json()
    assert following["next"] is None
    assert following["reviews"][0]["id"] == first
    assert following["reviews"][0]["reply"]["body"] == "Thanks"
    assert following["reviews"][0]["photos"][0]["url"].startswith(
        "http://testserver/reviews/acme/photos/")
    assert "email" not in following["reviews"][0]


def test_the_json_can_be_revalidated_with_its_etag(client, db, store):
    review_id = review(db, store.id)
    first = client.get("/reviews/acme/TEA-1.json")
    tag = first.headers["etag"]

    again = client.get("/reviews/acme/TEA-1.json", headers={"If-None-Match": tag})
    with db.transaction() as session:
        session.get(Review, review_id).helpful = 3
    changed = client.get("/reviews/acme/TEA-1.json", headers={"If-None-Match": tag})

    assert first.headers["cache-control"] == "public, max-age=60"
    assert first.headers["last-modified"] == "Sun, 01 Mar 2026 12:00:00 GMT"
    assert (again.status_code, again.content) == (304, b"")
    assert changed.status_code == 200 and changed.headers["etag"] != tag


def test_the_json_refuses_bad_paging_with_the_error_shape(client, db, store):
    review(db, store.id)

    for query, field in (("page=0", "page"), ("page=x", "page"), ("per_page=51", "per_page"),
                         ("sort=random", "sort")):
        answer = client.get(f"/reviews/acme/TEA-1.json?{query}")
        assert answer.status_code == 422
        assert answer.json()["error"]["field"] == field


def test_the_widget_stands_alone_and_may_be_framed(client, db, store):
    review(db, store.id, photos=1)

    widget = client.get("/reviews/acme/TEA-1/widget")

    assert widget.status_code == 200
    policy = widget.headers["content-security-policy"]
    assert "frame-ancestors *" in policy and "script-src 'self'" in policy
    assert "img-src 'self' data:;" in policy
    assert "x-frame-options" not in widget.headers
    assert '<link rel="stylesheet"' not in widget.text
    assert re.findall(r'(?:src|href)="(https?:[^"]*)"', widget.text) == []
    assert '<script src="/static/review-widget.js" defer></script>' in widget.text
    assert "Say so on the review page" in widget.text and "<form" not in widget.text


def _vote(client, csrf: str, review_id: int, helpful: str = "yes"):
    return client.post(f"{PAGE}/vote", data={"csrf": csrf, "review": str(review_id),
                                             "helpful": helpful}, follow_redirects=False)


def test_a_helpful_vote_counts_once_per_voter(client, db, store):
    review_id = review(db, store.id)
    csrf = csrf_of(client.get(PAGE).text)

    first = _vote(client, csrf, review_id)
    again = _vote(client, csrf, review_id, "no")

    assert first.status_code == 303
    assert first.headers["location"] == f"{PAGE}?voted=counted#review-{review_id}"
    assert again.headers["location"] == f"{PAGE}?voted=again#review-{review_id}"
    assert counts(db, review_id) == (1, 0, 1)
    shown = client.get(first.headers["location"]).text
    assert "1 person found this helpful" in shown
    assert "Thank you for your feedback." in shown
    assert "<form" not in shown  # this voter's vote is in


def test_another_voter_s_vote_counts_too_and_a_no_counts_as_unhelpful(client, db, store):
    review_id = review(db, store.id)
    _vote(client, csrf_of(client.get(PAGE).text), review_id)
    client.cookies.clear()

    second = _vote(client, csrf_of(client.get(PAGE).text), review_id, "no")

    assert second.status_code == 303
    assert counts(db, review_id) == (1, 1, 2)


def test_a_vote_without_the_form_s_value_changes_nothing(client, db, store):
    review_id = review(db, store.id)
    client.get(PAGE)

    refused = client.post(f"{PAGE}/vote", data={"csrf": "forged", "review": str(review_id)})

    assert refused.status_code == 403
    assert "This form had expired" in refused.text
    assert counts(db, review_id) == (0, 0, 0)


def test_a_vote_on_a_pending_review_or_another_product_s_is_refused(client, db, store):
    pending = review(db, store.id, status="pending")
    elsewhere = review(db, store.id, "MUG-1")
    review(db, store.id)
    csrf = csrf_of(client.get(PAGE).text)

    for review_id in (pending, elsewhere, 0):
        refused = client.post(f"{PAGE}/vote", data={"csrf": csrf, "review": str(review_id)})
        assert refused.status_code == 404
    assert counts(db, pending) == (0, 0, 0)
    assert counts(db, elsewhere) == (0, 0, 0)


def test_views_of_a_kept_page_each_carry_their_own_nonce_and_form_token(client, db, store):
    review(db, store.id)
    first = client.get(PAGE)
    client.cookies.clear()
    second = client.get(PAGE)

    nonces = [re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"]).group(1)
              for page in (first, second)]
    assert nonces[0] != nonces[1]
    for page, nonce in zip((first, second), nonces, strict=True):
        assert f'<style nonce="{nonce}">' in page.text
        assert "aw-nonce-" not in page.text and "aw-csrf-" not in page.text
    tokens = [csrf_of(page.text) for page in (first, second)]
    assert tokens[0] != tokens[1]
    # the text around them is the same page, kept
    assert first.text.replace(nonces[0], "N").replace(tokens[0], "T") == \
        second.text.replace(nonces[1], "N").replace(tokens[1], "T")


def test_a_kept_page_changes_when_a_review_of_the_product_does(client, db, store):
    review(db, store.id, title="First of many")
    assert "First of many" in client.get(PAGE).text
    review(db, store.id, title="Second thoughts")

    assert "Second thoughts" in client.get(PAGE).text
