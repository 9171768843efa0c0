"""What customers say in the hostile shop (hostile_shop.py): reviews whose words and
SKU are hostile, the store's themes computed from them, and the visits the walk makes
to the admin's page."""

from __future__ import annotations

from afterward.commerce import stores
from afterward.insights import words
from afterward.storage.db import Database
from tests.hostile import hostile
from tests.insights.words_scene import add_reviews
from tests.web import hostile_shop as h
from tests.web.hostile_walk import CSRF, Visit, query

REVIEW = hostile("review text", 200)
SKU = hostile("review sku", 100)
TYPED_SKU = hostile("typed sku", 100)


def words_shop(db: Database) -> None:
    with db.reading() as session:
        found = stores.get_by_slug(session, h.SLUG)
        assert found is not None
        store_id = found.id
    add_reviews(db, store_id, [
        (f"Zipper broke {n}", f"The zipper broke again. {REVIEW}", 1, SKU) for n in range(5)
    ] + [(f"Lovely {n}", "Soft fabric and a lovely colour.", 5, "TEE-1") for n in range(5)])
    with db.transaction() as session:
        words.recompute(session, store_id)


ADMIN = (
    Visit("/admin/insights/words", "/admin/insights/words", (REVIEW, SKU)),
    Visit("/admin/insights/words", "/admin/insights/words?" + query(sku=SKU), (REVIEW, SKU)),
    Visit("/admin/insights/words", "/admin/insights/words?" + query(sku=TYPED_SKU),
          (TYPED_SKU,)),
    Visit("/admin/insights/words/recompute", "/admin/insights/words/recompute",
          (REVIEW, SKU), form={"csrf": CSRF}),  # back on the page, the job queued
)
