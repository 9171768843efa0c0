"""A customer's export holds the sentiment of what they wrote; their erasure deletes
those scores and their quotes among the themes' examples, and leaves everyone else's."""

from __future__ import annotations

from sqlalchemy import select

from afterward import privacy
from afterward.commerce import service as commerce
from afterward.commerce.models import Order
from afterward.commerce.schemas import OrderIn
from afterward.feedback.models import Review
from afterward.insights import words
from afterward.insights.models import TextSentiment, TextTheme
from tests.factories import order_body
from tests.insights.test_words import BAGS, TEES
from tests.insights.words_scene import add_reviews


def customer(db, store_id: int, email: str, number: str) -> int:
    with db.transaction() as session:
        order_id, _ = commerce.write_order(session, store_id=store_id, data=OrderIn.model_validate(
            order_body(number, email=email, customer={"email": email})))
        found = session.scalar(select(Order.customer_id).where(Order.id == order_id))
        assert found is not None
        return found


def test_erasure_deletes_the_customer_s_scores_and_quotes_and_keeps_the_rest(db, store):
    ada = customer(db, store.id, "ada@example.com", "A-1")
    bob = customer(db, store.id, "bob@example.com", "B-1")
    ids = add_reviews(db, store.id, BAGS + TEES)
    with db.transaction() as session:
        for review in session.scalars(select(Review).where(Review.id.in_(ids))):
            review.customer_id = ada if review.id == ids[0] else bob
        words.recompute(session, store.id)

    with db.reading() as session:
        exported = privacy.export_customer(session, store_id=store.id, customer_id=ada)
    with db.transaction() as session:
        touched = privacy.erase_customer(session, store_id=store.id, customer_id=ada)
    with db.reading() as session:
        owners = list(session.scalars(select(TextSentiment.customer_id)))
        quoted = [e["ref"] for t in session.scalars(select(TextTheme)) for e in t.examples]

    assert [(r["source"], r["ref"], r["sku"]) for r in exported["insights"][
        "text_sentiments"]] == [("review", ids[0], "BAG-1")]
    assert (touched["text_sentiments"], touched["text_themes"]) == (1, 1)
    assert owners == [bob] * 7
    assert ids[0] not in quoted and len(quoted) == 5
