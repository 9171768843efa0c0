from __future__ import annotations

from afterward.feedback import publishing
from afterward.feedback.models import Review
from tests.factories import product_body
from tests.feedback.factories import photo_ids, review


def test_the_aggregate_counts_only_published_reviews_of_the_product(db, store, make_store):
    for rating in (5, 5, 4, 2):
        review(db, store.id, rating=rating)
    review(db, store.id, rating=1, status="pending")
    review(db, store.id, rating=1, status="rejected")
    review(db, store.id, "MUG-1", rating=1)
    other = make_store("other")
    review(db, other.id, rating=1)

    with db.reading() as session:
        found = publishing.aggregate(session, store_id=store.id, sku="TEA-1")

    assert (found.count, found.average) == (4, 4.0)
    assert found.distribution == {5: 2, 4: 1, 3: 0, 2: 1, 1: 0}
    assert [found.share(n) for n in (5, 4, 3, 2, 1)] == [50, 25, 0, 25, 0]


def test_attribute_averages_are_over_the_reviews_that_rated_each(db, store):
    review(db, store.id, attributes={"fit": 5, "quality": 4})
    review(db, store.id, attributes={"fit": 4})
    review(db, store.id, attributes={"fit": 1}, status="pending")
    review(db, store.id)

    with db.reading() as session:
        found = publishing.aggregate(session, store_id=store.id, sku="TEA-1")

    assert found.attributes == {"fit": 4.5, "quality": 4.0}


def test_a_product_without_published_reviews_has_an_empty_aggregate(db, store):
    review(db, store.id, status="pending")

    with db.reading() as session:
        found = publishing.aggregate(session, store_id=store.id, sku="TEA-1")

    assert (found.count, found.average, found.attributes) == (0, None, {})
    assert found.distribution == {5: 0, 4: 0, 3: 0, 2: 0, 1: 0}


def test_pages_come_in_each_order(db, store):
    ids = {"old5": review(db, store.id, rating=5, day=0),
           "mid1": review(db, store.id, rating=1, day=1, helpful=7),
           "new3": review(db, store.id, rating=3, day=2, helpful=2)}

    def order(sort: str) -> list[int]:
        with db.reading() as session:
            page = publishing.page_of(session, store_id=store.id, sku="TEA-1", sort=sort)
        return [r.id for r in page.reviews]

    assert order("newest") == [ids["new3"], ids["mid1"], ids["old5"]]
    assert order("helpful") == [ids["mid1"], ids["new3"], ids["old5"]]
    assert order("highest") == [ids["old5"], ids["new3"], ids["mid1"]]
    assert order("lowest") == [ids["mid1"], ids["new3"], ids["old5"]]
    assert order("no such order") == order("newest")


def test_a_page_past_the_last_is_the_last(db, store):
    ids = [review(db, store.id, day=day) for day in range(5)]

    with db.reading() as session:
        page = publishing.page_of(session, store_id=store.id, sku="TEA-1", page=9, per_page=2)

    assert (page.page, page.pages, page.per_page) == (3, 3, 2)
    assert [r.id for r in page.reviews] == [ids[0]]


def test_a_review_s_photos_come_with_it_in_their_order(db, store):
    with_photos = review(db, store.id, photos=2)
    review(db, store.id, day=1)

    with db.reading() as session:
        page = publishing.page_of(session, store_id=store.id, sku="TEA-1")

    assert {r.id: [p.id for p in r.photos] for r in page.reviews} == {
        with_photos: photo_ids(db, with_photos), with_photos + 1: []}


def test_the_gallery_holds_photos_of_published_reviews_only_newest_first(db, store):
    older = review(db, store.id, photos=1, day=0)
    newer = review(db, store.id, photos=2, day=3)
    review(db, store.id, photos=1, day=5, status="pending")

    with db.reading() as session:
        found = publishing.gallery(session, store_id=store.id, sku="TEA-1")

    assert [p.id for p in found] == photo_ids(db, newer) + photo_ids(db, older)


def test_a_photo_is_served_only_while_its_review_is_published_in_that_store(
        db, store, make_store):
    published = photo_ids(db, review(db, store.id, photos=1))[0]
    pending = photo_ids(db, review(db, store.id, photos=1, status="pending"))[0]
    other = make_store("other")

    with db.reading() as session:
        shown = publishing.published_photo(session, store_id=store.id, photo_id=published)
        hidden = publishing.published_photo(session, store_id=store.id, photo_id=pending)
        elsewhere = publishing.published_photo(session, store_id=other.id, photo_id=published)

    assert shown is not None and shown.content_type == "image/png"
    assert shown.data.startswith(b"\x89PNG")
    assert (hidden, elsewhere) == (None, None)


def test_the_product_is_named_from_the_catalogue_or_by_its_sku(client, db, store):
    client.post("/api/v1/products", headers=store.auth, json=product_body(
        "TEA-1", title="Sencha", image_url="https://cdn.example.com/sencha.png"))

    with db.reading() as session:
        known = publishing.product(session, store_id=store.id, sku="TEA-1")
        unknown = publishing.product(session, store_id=store.id, sku="NOPE-9")

    assert (known.name, known.image_url, known.known) == (
        "Sencha", "https://cdn.example.com/sencha.png", True)
    assert (unknown.name, unknown.image_url, unknown.known) == ("NOPE-9", None, False)


def test_a_cached_aggregate_and_page_are_read_again_once_a_review_changes(db, store):
    first = review(db, store.id, rating=5)

    def read():
        with db.reading() as session:
            at = publishing.version(session, store_id=store.id, sku="TEA-1")
            found = publishing.aggregate(session, store_id=store.id, sku="TEA-1", at=at)
            page = publishing.page_of(session, store_id=store.id, sku="TEA-1", at=at)
            return at, found.count, found.average, [(r.id, r.helpful) for r in page.reviews]

    before = read()
    second = review(db, store.id, rating=1, day=1)
    after_new = read()
    with db.transaction() as session:
        session.get(Review, first).helpful = 9
    after_vote = read()

    assert before[1:] == (1, 5.0, [(first, 0)])
    assert after_new[1:] == (2, 3.0, [(second, 0), (first, 0)])
    assert after_vote[1:] == (2, 3.0, [(second, 0), (first, 9)])
    assert len({before[0], after_new[0], after_vote[0]}) == 3
