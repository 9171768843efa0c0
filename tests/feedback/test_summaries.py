"""Each product's summary row (feedback/summaries.py) against the plain aggregate read
from its reviews: after every kind of change the services make (a review written
pending or published at once, published, rejected, taken down, replied to, voted
on, its customer erased, imported from a CSV file) the row is current and says what
the reviews say; a change made around the services (a bulk load) is never hidden
behind a row stamped before it."""

from __future__ import annotations

from sqlalchemy import select

from afterward import privacy
from afterward.feedback import publishing, review_import, service, summaries, votes
from afterward.feedback.models import Review, ReviewSummary
from afterward.storage.types import utcnow
from tests.feedback.factories import review as bulk_review


def both(db, store_id: int, sku: str = "TEA-1"):
    """(the summary's aggregate, None when not current; the plain aggregate)."""
    with db.reading() as session:
        at = publishing.version(session, store_id=store_id, sku=sku)
        return (publishing.summed(session, store_id=store_id, sku=sku, at=at),
                publishing.plain_aggregate(session, store_id=store_id, sku=sku))


def same(db, store_id: int, sku: str = "TEA-1"):
    summed, plain = both(db, store_id, sku)
    assert summed is not None, "the summary is not current"
    assert (summed.count, summed.average, summed.distribution, summed.attributes) == (
        plain.count, plain.average, plain.distribution, plain.attributes)
    return summed


def step(db, review_id: int, work) -> None:
    def run(session):
        work(session, session.get(Review, review_id))
    db.run(run)


def test_the_summary_follows_every_change_the_services_make(shop, db):
    shop.put_settings(attributes={"tea": ["taste", "aroma"]})
    shop.order("1001")
    five = shop.review(rating=5, attributes={"taste": 5, "aroma": 4}).json()
    four = shop.review(rating=4, attributes={"taste": 3}, order_number="1001").json()
    pending = shop.review(rating=2, attributes={"taste": 1}).json()
    store = shop.store.id

    assert (five["status"], four["status"], pending["status"]) == (
        "published", "published", "pending")
    after_writes = same(db, store)
    step(db, pending["id"], lambda s, r: service.publish(s, review=r))
    after_publish = same(db, store)
    step(db, five["id"], lambda s, r: service.reject(s, review=r, reason="Spam"))
    after_take_down = same(db, store)
    step(db, pending["id"], lambda s, r: service.reply(s, review=r, text="Thanks"))
    after_reply = same(db, store)
    db.run(lambda s: votes.vote(s, store_id=store, review_id=four["id"], voter="v" * 64,
                                helpful=True))
    after_vote = same(db, store)
    step(db, five["id"], lambda s, r: service.publish(s, review=r))
    after_republish = same(db, store)

    assert (after_writes.count, after_writes.average, after_writes.attributes) == (
        2, 4.5, {"aroma": 4.0, "taste": 4.0})
    assert (after_publish.count, after_publish.distribution, after_publish.attributes) == (
        3, {5: 1, 4: 1, 3: 0, 2: 1, 1: 0}, {"aroma": 4.0, "taste": 3.0})
    assert (after_take_down.count, after_take_down.average, after_take_down.attributes) == (
        2, 3.0, {"taste": 2.0})
    assert (after_reply.count, after_vote.count) == (2, 2)
    assert (after_republish.count, after_republish.attributes) == (
        3, {"aroma": 4.0, "taste": 3.0})


def test_erasing_a_customer_takes_their_photos_out_of_the_summary(shop, db):
    order = shop.order("1001")
    photo = {"content_type": "image/png", "data_base64": _png_base64()}
    shop.review(rating=5, order_number="1001", photos=[photo])
    shop.review(rating=4, email="bo@example.com", author_name="Bo", photos=[photo])

    before = same(db, shop.store.id)
    with db.transaction() as session:
        privacy.erase_customer(session, store_id=shop.store.id,
                               customer_id=order["customer_id"])
    after = same(db, shop.store.id)

    assert (before.photos, after.photos, after.count) == (2, 1, 2)


def test_an_imported_file_leaves_each_product_s_summary_current(shop, db):
    data = (b"sku,rating,title,author_name,published\n"
            b"TEA-1,5,Fresh,Ann,yes\nTEA-1,2,Stale,Ben,yes\nMUG-1,4,Solid,Cy,no\n"
            b"MUG-1,3,Fine,Di,yes\n")
    rows, report = review_import.read(data)

    with db.transaction() as session:
        review_import.write(session, store_id=shop.store.id, rows=rows, report=report)

    assert (same(db, shop.store.id, "TEA-1").count, same(db, shop.store.id, "MUG-1").count
            ) == (2, 1)


def test_reviews_loaded_around_the_services_are_never_hidden_by_an_older_summary(shop, db):
    shop.review(rating=5)
    store = shop.store.id
    same(db, store)

    bulk_review(db, store, rating=1, day=3)  # a bulk load writes rows directly
    stale, plain = both(db, store)
    with db.reading() as session:
        at = publishing.version(session, store_id=store, sku="TEA-1")
        shown = publishing.aggregate(session, store_id=store, sku="TEA-1", at=at)
    with db.transaction() as session:
        products = summaries.rebuild(session, store_id=store)

    assert stale is None
    assert (shown.count, shown.average, plain.count) == (2, 3.0, 2)
    assert products == 1
    assert same(db, store).count == 2


def test_the_next_change_sums_a_product_afresh_when_its_summary_was_not_current(shop, db):
    first = shop.review(rating=5).json()
    bulk_review(db, shop.store.id, rating=2, day=3, attributes={"taste": 2})

    step(db, first["id"], lambda s, r: service.reject(s, review=r, reason="Spam"))
    found = same(db, shop.store.id)

    assert (found.count, found.average, found.attributes) == (1, 2.0, {"taste": 2.0})


def test_a_refused_review_leaves_no_summary_behind(shop, db):
    answer = shop.review(sku="NOPE-1")

    with db.reading() as session:
        rows = list(session.scalars(select(ReviewSummary)))

    assert answer.status_code == 422
    assert rows == []


def test_the_page_and_the_json_say_the_same_from_the_summary_as_from_the_reviews(
        shop, db, client):
    shop.put_settings(attributes={"tea": ["taste"]})
    for rating, taste in ((5, 4), (4, 5), (4, 1)):  # published at once
        shop.review(rating=rating, attributes={"taste": taste})
    same(db, shop.store.id)
    fast = client.get("/reviews/acme/TEA-1.json").json()["aggregate"]
    fast_page = client.get("/reviews/acme/TEA-1?lang=en").text
    with db.transaction() as session:  # a change around the services: the plain path
        row = session.get(Review, session.scalar(select(Review.id).limit(1)))
        row.updated_at = utcnow()
    assert both(db, shop.store.id)[0] is None

    plain = client.get("/reviews/acme/TEA-1.json").json()["aggregate"]
    plain_page = client.get("/reviews/acme/TEA-1?lang=en").text

    assert fast == plain == {"count": 3, "average": 4.33,
                             "distribution": {"5": 1, "4": 2, "3": 0, "2": 0, "1": 0},
                             "attributes": {"taste": 3.3}}
    assert _summary_part(fast_page) == _summary_part(plain_page)


def _summary_part(page: str) -> str:
    start = page.index('<script type="application/ld+json">')
    return page[start:page.index("</script>", start)]


def _png_base64() -> str:
    import base64

    from tests.returns.test_photo_files import png

    return base64.b64encode(png()).decode()


def test_the_summaries_table_and_the_gallery_index_match_the_models(db_url):
    from tests.migrations import differences_from_models

    assert differences_from_models(db_url, {"review_summaries", "reviews"}) == []


def test_the_migration_sums_the_reviews_there_are(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, text

    from afterward.commerce import stores
    from afterward.storage.db import Database
    from afterward.storage.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'before.db'}"
    command.upgrade(alembic_config(url), "0029")
    old = Database(url)
    with old.transaction() as session:
        store_id = stores.create_store(session, slug="s", name="S", currency="EUR").id
    for day, (rating, status, attributes, photos) in enumerate((
            (5, "published", {"fit": 4}, 1), (3, "published", {"fit": 1, "x": True}, 0),
            (1, "rejected", {"fit": 5}, 1), (4, "pending", {}, 0))):
        bulk_review(old, store_id, "A-1", rating=rating, status=status, day=day,
                    attributes=attributes, photos=photos)
    old.dispose()
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT stars_1, stars_3, stars_5, attributes, with_photos, "
                                 "reviews, changed_at FROM review_summaries")).all()
    engine.dispose()
    new = Database(url)
    try:
        with new.reading() as session:
            at = publishing.version(session, store_id=store_id, sku="A-1")
            summed = publishing.summed(session, store_id=store_id, sku="A-1", at=at)
            plain = publishing.plain_aggregate(session, store_id=store_id, sku="A-1")
    finally:
        new.dispose()

    assert [tuple(r) for r in rows] == [(0, 1, 1, '{"fit": [5, 2]}', 1, 4,
                                         "2026-03-04 12:00:00.000000")]
    assert summed is not None
    assert (summed.count, summed.average, summed.attributes, summed.photos) == (
        plain.count, plain.average, plain.attributes, 1)
