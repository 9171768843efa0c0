"""Google's Product Review Feed: valid against the 2.2 schema (tests/data/feeds) with
hostile text in every field, only published reviews of the one store, streamed in
pages."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
import xmlschema

from afterward.feedback import feeds
from tests.factories import product_body
from tests.feedback.factories import photo_ids, review
from tests.hostile import hostile

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "feeds" / "product_reviews_2.2.xsd"
PUBLIC = "https://reviews.example.com"
FEED = "/feeds/acme/google-product-reviews.xml"
# HTML, script, an XML CDATA end, control characters XML 1.0 cannot hold, U+FFFE,
# and characters beyond the BMP (NUL too, but PostgreSQL keeps none in text: the
# last test gives it to xml_text).
NAME = hostile("name", 70) + " \x01\x1b\ufffe \U0001F600 ]]>"  # a name: 100 at most
NASTY = hostile("nasty") + " \x01\x08\x0b\x0c\x1b\x7f \ufffe \U0001F600 \U00020BB7 ]]> &amp;"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA))


def feed(db, store_id: int, slug: str = "acme", name: str = "Acme", batch: int = 1000) -> str:
    return "".join(feeds.google_feed(db, store_id=store_id, slug=slug, store_name=name,
                                     public_url=PUBLIC, batch=batch))


def review_ids(xml: str) -> list[str]:
    root = ElementTree.fromstring(xml)
    return [e.text or "" for e in root.iter("review_id")]


def test_a_store_s_feed_is_valid_and_holds_its_published_reviews(db, store, client, schema):
    client.post("/api/v1/products", headers=store.auth, json=product_body("TEA-1",
                                                                          title="Sencha"))
    first = review(db, store.id, rating=5, title="Superb", body="Fresh", photos=2)
    second = review(db, store.id, "MUG-1", rating=2, title=None, body="Chipped", source="api")
    review(db, store.id, status="pending")

    xml = feed(db, store.id)

    schema.validate(xml)
    assert review_ids(xml) == [str(first), str(second)]
    root = ElementTree.fromstring(xml)
    reviews = root.findall("reviews/review")
    assert reviews[0].findtext("title") == "Superb"
    assert reviews[0].findtext("content") == "Fresh"
    assert reviews[0].findtext("review_timestamp") == "2026-03-01T12:00:00Z"
    assert reviews[0].findtext("ratings/overall") == "5"
    assert reviews[0].findtext("collection_method") == "post_fulfillment"
    assert reviews[0].findtext("products/product/product_name") == "Sencha"
    assert reviews[0].findtext("products/product/product_ids/skus/sku") == "TEA-1"
    assert reviews[0].findtext("products/product/product_url") == (
        f"{PUBLIC}/reviews/acme/TEA-1")
    assert [u.text for u in reviews[0].iter("url")] == [
        f"{PUBLIC}/reviews/acme/photos/{p}" for p in photo_ids(db, first)]
    assert reviews[1].find("title") is None
    assert reviews[1].find("collection_method") is None
    assert reviews[1].findtext("products/product/product_name") is None


def test_hostile_text_everywhere_stays_text_and_the_feed_stays_valid(db, store, schema):
    review(db, store.id, sku="SKU<&>\"'", title=NASTY, body=NASTY, author_name=NAME)

    xml = feed(db, store.id, name=NASTY)

    schema.validate(xml)
    root = ElementTree.fromstring(xml)
    kept = feeds._NOT_XML.sub("", NASTY)
    assert root.findtext("publisher/name") == kept
    assert root.findtext("reviews/review/content") == kept
    assert root.findtext("reviews/review/reviewer/name") == feeds._NOT_XML.sub("", NAME)
    assert root.findtext("reviews/review/products/product/product_ids/skus/sku") == "SKU<&>\"'"
    assert "<script>" not in xml and "\x01" not in xml and "\U0001F600" in kept


def test_a_review_with_no_text_left_is_left_out_and_a_blank_name_is_anonymous(
        db, store, schema):
    review(db, store.id, title="\x01\x1f", body=" \x02 ")
    kept = review(db, store.id, body="Fine", author_name="   ")

    xml = feed(db, store.id)

    schema.validate(xml)
    assert review_ids(xml) == [str(kept)]
    assert '<name is_anonymous="true">Anonymous</name>' in xml


def test_a_store_without_published_reviews_has_a_valid_empty_feed(db, store, schema):
    review(db, store.id, status="rejected")

    xml = feed(db, store.id)

    schema.validate(xml)
    assert review_ids(xml) == []


def test_the_feed_is_read_in_pages_and_each_review_comes_once(db, store, schema):
    ids = [str(review(db, store.id, day=n % 3)) for n in range(7)]

    chunks = list(feeds.google_feed(db, store_id=store.id, slug="acme", store_name="Acme",
                                    public_url=PUBLIC, batch=3))

    xml = "".join(chunks)
    schema.validate(xml)
    assert review_ids(xml) == ids
    assert len(chunks) == 5  # the head, three pages, the end


def test_the_feed_route_streams_one_store_s_reviews_only(client, db, store, make_store,
                                                          schema):
    other = make_store("other")
    mine = review(db, store.id)
    review(db, other.id)

    answer = client.get(FEED)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/xml; charset=utf-8"
    assert answer.headers["cache-control"] == "public, max-age=900"
    assert review_ids(answer.text) == [str(mine)]
    assert client.get("/feeds/nope/google-product-reviews.xml").status_code == 404


def test_xml_text_drops_what_xml_cannot_hold_and_escapes_the_rest():
    assert feeds.xml_text("a\ud800b\x00c\ufffe<d>&\"\U0001F600\t\n") == (
        "abc&lt;d&gt;&amp;&quot;\U0001F600\t\n")
    assert feeds.xml_text(None) == ""
