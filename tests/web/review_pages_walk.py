"""The review pages in the hostile shop (hostile_shop.py): a published review whose
every text is hostile (title, body, author, the merchant's reply, an attribute's
name) of a product whose SKU is hostile, with a photo, and the visits the walk makes
to its page, its widget, its JSON and its helpful-vote form."""

from __future__ import annotations

import dataclasses

from afterward.commerce import stores
from afterward.storage.db import Database
from tests.feedback.factories import review
from tests.hostile import hostile
from tests.web import hostile_shop as h
from tests.web.hostile_walk import CSRF, Visit, q, query
from tests.web.loyalty_walk import LoyaltyShop

# A SKU travels in the path: anything but a slash.
SKU = "[review sku]\"><img src=x onerror=alert(1)>' onmouseover='alert(1) {{7*7}} ]]>"
TITLE = hostile("review title", 200)
BODY = hostile("review body", 5000)
AUTHOR = hostile("review author", 100)
REPLY = hostile("review reply", 5000)
ATTRIBUTE = "[attribute]\"><script>alert(1)</script>"
TYPED = hostile("typed sort", 100)
SHOWN = (h.STORE_NAME, SKU, TITLE, BODY, AUTHOR, REPLY, ATTRIBUTE)


@dataclasses.dataclass(frozen=True)
class ReviewShop(LoyaltyShop):
    review_id: int = 0
    review_path: str = "/reviews/acme/r"


def review_shop(db: Database, shop: h.Shop) -> ReviewShop:
    with db.transaction() as session:
        found = stores.get_by_slug(session, h.SLUG)
        assert found is not None
        store_id = found.id
    review_id = review(db, store_id, SKU, title=TITLE, body=BODY, author_name=AUTHOR,
                       reply=REPLY, attributes={ATTRIBUTE: 4}, incentive="code", photos=1)
    fields = {f.name: getattr(shop, f.name) for f in dataclasses.fields(shop)}
    return ReviewShop(**fields, review_id=review_id, review_path=f"/reviews/acme/{q(SKU)}")


PAGE = "/reviews/{store_slug}/{sku}"


def visits(review_id: int = 1) -> tuple[Visit, ...]:
    """The walk's visits; the vote forms name the hostile shop's review."""
    return (
        Visit(PAGE, "{shop.review_path}", SHOWN),
        Visit(PAGE, "{shop.review_path}?" + query(sort=TYPED, page=TYPED, lang=TYPED), SHOWN),
        Visit(PAGE, "/reviews/" + q(h.SLUG) + "/" + q(TYPED.replace("/", "")), status=404),
        Visit(PAGE, "/reviews/" + q(TYPED.replace("/", "")) + "/x", status=404),
        Visit("/reviews/{store_slug}/{sku}/widget", "{shop.review_path}/widget", SHOWN[1:]),
        Visit("/reviews/{store_slug}/{sku}/widget", "{shop.review_path}/widget?" + query(
            sort=TYPED, page=TYPED), SHOWN[1:]),
        Visit("/reviews/{store_slug}/{sku}.json", "{shop.review_path}.json",
              (SKU, TITLE, BODY, AUTHOR, REPLY), kind="json"),
        Visit("/reviews/{store_slug}/{sku}.json", "{shop.review_path}.json?" + query(sort=TYPED),
              status=422, kind="json"),
        Visit("/reviews/{store_slug}/{sku}/vote", "{shop.review_path}/vote", SHOWN, status=403,
              form={"csrf": TYPED, "review": str(review_id)}),
        Visit("/reviews/{store_slug}/{sku}/vote", "{shop.review_path}/vote", status=404,
              form={"csrf": CSRF, "review": TYPED}),
        # last: once voted, the page shows thanks instead of the form
        Visit("/reviews/{store_slug}/{sku}/vote", "{shop.review_path}/vote", SHOWN,
              form={"csrf": CSRF, "review": str(review_id)}),
    )
