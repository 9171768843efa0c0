"""The review pages in the hostile shop (hostile_shop.py): a review whose title,
text, author and reply are hostile, the hostile order's review form (typed text
echoed back), and the admin's moderation queue and review page, forms included."""

from __future__ import annotations

import dataclasses
from typing import Any

from afterward.commerce import stores
from afterward.feedback import links, service
from afterward.feedback.schemas import ReviewIn
from afterward.storage.db import Database
from tests.hostile import hostile
from tests.web import hostile_shop as h
from tests.web.hostile_walk import CSRF, Visit, q, query

TITLE = hostile("review title", 200)
BODY = hostile("review body", 2000)
AUTHOR = hostile("review author", 100)
REPLY = hostile("review reply", 2000)
REASON = hostile("reject reason", 400)
TYPED_TITLE = hostile("typed review title", 200)
TYPED_BODY = hostile("typed review body", 1000)
TYPED_SKU = hostile("typed sku", 100)
SLUG_TYPED = "[typed]\"><img src=x onerror=alert(1)>' onmouseover='alert(1) {{7*7}}"


@dataclasses.dataclass(frozen=True)
class ReviewShop(h.Shop):
    review_path: str = "/review/x"
    review_id: int = 0


def review_shop(db: Database, settings: Any, shop: h.Shop) -> ReviewShop:
    def work(session: Any) -> tuple[int, int]:
        found = stores.get_by_slug(session, h.SLUG)
        assert found is not None
        review, _ = service.submit(session, store_id=found.id, data=ReviewIn(
            sku=h.SKU, rating=2, title=TITLE, body=BODY, author_name=AUTHOR,
            email="reviewer@example.com"))
        service.reply(session, review=review, text=REPLY)
        return found.id, review.id

    store_id, review_id = db.run(work)
    fields = {f.name: getattr(shop, f.name) for f in dataclasses.fields(shop)}
    return ReviewShop(**fields, review_id=review_id, review_path=links.form_path(
        settings.secret_key, store_id, shop.order_id))


SHOPPER = (
    Visit("/review/{token}", "{shop.review_path}", (h.STORE_NAME, h.LINE_TITLE, h.ORDER_NUMBER)),
    Visit("/review/{token}", "{shop.review_path}?" + query(lang="xx", note=TYPED_TITLE),
          (h.LINE_TITLE,)),
    Visit("/review/{token}", "/review/" + q(SLUG_TYPED), status=404),
    Visit("/review/{token}", "{shop.review_path}", (TYPED_TITLE, TYPED_BODY, h.LINE_TITLE),
          status=422, form={"csrf": CSRF, "sku_0": h.SKU, "title_0": TYPED_TITLE,
                            "body_0": TYPED_BODY}),
    Visit("/review/{token}", "{shop.review_path}", (h.STORE_NAME,),
          form={"csrf": CSRF, "sku_0": h.SKU, "rating_0": "4", "title_0": TYPED_TITLE,
                "body_0": TYPED_BODY, "name": AUTHOR}),
)
ADMIN = (
    Visit("/admin/reviews", "/admin/reviews?status=any", (TITLE, AUTHOR, h.SKU)),
    Visit("/admin/reviews", "/admin/reviews?" + query(status="any", sku=TYPED_SKU),
          (TYPED_SKU,)),
    Visit("/admin/reviews", "/admin/reviews?" + query(status=TYPED_SKU), status=400),
    Visit("/admin/reviews/{review_id}", "/admin/reviews/{shop.review_id}",
          (TITLE, BODY, AUTHOR, REPLY, h.SKU)),
    Visit("/admin/reviews/{review_id}", "/admin/reviews/" + q(SLUG_TYPED), status=404),
    Visit("/admin/reviews/{review_id}/reject", "/admin/reviews/{shop.review_id}/reject",
          (TITLE, REASON), form={"csrf": CSRF, "reason": REASON}),
    Visit("/admin/reviews/{review_id}/reply", "/admin/reviews/{shop.review_id}/reply",
          (TITLE, TYPED_BODY), form={"csrf": CSRF, "text": TYPED_BODY}),
    Visit("/admin/reviews/{review_id}/publish", "/admin/reviews/{shop.review_id}/publish",
          (TITLE, BODY), form={"csrf": CSRF}),
    Visit("/admin/reviews/{review_id}/reject", "/admin/reviews/{shop.review_id}/reject",
          (TITLE,), status=422, form={"csrf": CSRF, "reason": ""}),
    Visit("/admin/reviews/bulk", "/admin/reviews/bulk", (TITLE, REASON), status=422,
          form={"csrf": CSRF, "action": "reject", "reason": REASON, "status": "any",
                "review": "x:pending"}),
)
