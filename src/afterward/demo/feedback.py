"""The demo store's reviews and survey answers before the journeys were switched on:
about a fifth of the delivered orders left a verified buyer's review of an item
(through the review form's service: flags, auto-publish, rewards, events), some with
a photo, in words that fit the product's category and the stars; about a third
answered the NPS question of the delivered email, some with a comment. Written in one
pass, as the loyalty catch-up is (build.py), so no journey sees them; the replayed
months ask for reviews through the review_request journey as a live store would.

Survey answers stop 45 days before the switch-on, so a detractor's marketing pause
(detractors.PAUSE_DAYS) has ended before the replay: the replayed messages are the
same with or without them. Draws come from a generator of their own."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import numpy as np
from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.commerce.models import Order, Product, Variant
from afterward.demo.images import DEFAULT_COLOURS, PALETTE
from afterward.feedback import collection, service, surveys
from afterward.feedback import settings as review_settings
from afterward.images import CleanPhoto, clean
from afterward.tracking.models import Shipment

REVIEW_SHARE = 0.22
PHOTO_SHARE = 0.2
NPS_SHARE = 0.35
COMMENT_SHARE = 0.4
SURVEY_GAP = timedelta(days=45)
STARS = (1, 2, 3, 4, 5)
STAR_SHARES = (0.05, 0.06, 0.12, 0.30, 0.47)

# (title, text) per category and mood: "good" 4-5 stars, "mixed" 3, "bad" 1-2.
WORDS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "Apparel": {
        "good": (("Fits perfectly", "True to size and the fabric feels lovely."),
                 ("My new favourite", "Soft, warm and it kept its shape after washing."),
                 ("Great quality", "Well made, the stitching is neat.")),
        "mixed": (("Nice but runs small", "Good fabric, but I would take a size up."),
                  ("OK", "The colour is a bit duller than in the photos.")),
        "bad": (("Shrank in the wash", "Lost a size after one wash at 30 degrees."),
                ("Poor fit", "Far too tight across the shoulders.")),
    },
    "Coffee & Tea": {
        "good": (("Delicious", "Fresh, fragrant and smooth. I will order again."),
                 ("Perfect morning cup", "Rich flavour, not bitter at all."),
                 ("Lovely aroma", "You can smell it as soon as you open the bag.")),
        "mixed": (("Fine", "Good, but a little too mild for my taste."),
                  ("Decent", "Nice flavour, the bag could reseal better.")),
        "bad": (("Stale", "The roast date was months old and it tasted flat."),
                ("Too bitter", "Could not drink it even with milk.")),
    },
    "Kitchen": {
        "good": (("Solid and well made", "Heavy, sturdy and easy to clean."),
                 ("Use it every day", "Does exactly what it should. Looks great too.")),
        "mixed": (("Good, with a catch", "Works well, but it is not dishwasher safe."),
                  ("Smaller than expected", "Nice quality, smaller than the photo suggests.")),
        "bad": (("Arrived chipped", "The rim was chipped when I unpacked it."),
                ("Lid does not fit", "The lid wobbles and leaks.")),
    },
    "Skincare": {
        "good": (("My skin loves it", "Absorbs quickly and leaves no greasy feel."),
                 ("Gentle and lovely", "No irritation at all, a subtle scent.")),
        "mixed": (("Nice texture", "Pleasant to use, I have not seen much difference yet."),
                  ("Too strong a scent", "Works well but the perfume is a lot.")),
        "bad": (("Broke me out", "My skin reacted within two days."),
                ("Leaked in transit", "Half the bottle was in the box.")),
    },
    "Home": {
        "good": (("Beautiful", "Looks even better than in the photos."),
                 ("Cosy", "Exactly the touch our living room needed.")),
        "mixed": (("Pretty, a bit thin", "Looks nice but feels lighter than expected."),
                  ("Colour is off", "More grey than green in daylight.")),
        "bad": (("Cheap feel", "Not worth the price, the seams are loose."),
                ("Damaged", "A corner was broken on arrival.")),
    },
    "Pet": {
        "good": (("Our dog loves it", "He will not let go of it!"),
                 ("Happy cat", "She ate it straight away, no fuss.")),
        "mixed": (("Hit and miss", "One of our two cats likes it."),
                  ("Not very durable", "Fun for a week, then it fell apart.")),
        "bad": (("Refused to eat it", "Our dog sniffed it and walked away."),
                ("Too small", "The size chart is misleading.")),
    },
}
GENERIC = WORDS["Home"]
NPS_COMMENTS = {
    "promoter": ("Fast delivery and lovely packaging.", "Always a pleasure to order here.",
                 "Great products and friendly support."),
    "passive": ("Good, but delivery took a while.", "Fine overall, shipping is pricey."),
    "detractor": ("The parcel arrived late and damaged.", "Nobody answered my email.",
                  "Wrong item and a slow refund."),
}


def add(session: Session, *, store_id: int, at: datetime, seed: int) -> tuple[int, int]:
    """Reviews and NPS answers for the orders delivered before `at`; (reviews, answers)."""
    rng = np.random.default_rng([seed, 29])
    settings = review_settings.load(session, store_id=store_id)
    delivered = session.execute(select(Shipment.order_id, Shipment.delivered_at).where(
        Shipment.store_id == store_id, Shipment.delivered_at.is_not(None),
        Shipment.delivered_at < at, Shipment.order_id.is_not(None))
        .order_by(Shipment.delivered_at, Shipment.id)).tuples().all()
    categories = dict(session.execute(select(Variant.sku, Product.category).join(
        Product, Product.id == Variant.product_id).where(
        Variant.store_id == store_id)).tuples().all())
    seen: set[int] = set()
    reviews = answers = 0
    for order_id, delivered_at in delivered:
        if order_id in seen or order_id is None or delivered_at is None:
            continue
        seen.add(order_id)
        wants_review = rng.random() < REVIEW_SHARE
        wants_survey = rng.random() < NPS_SHARE
        if wants_review:
            reviews += _review(session, rng, store_id=store_id, order_id=order_id,
                               when=min(delivered_at + timedelta(days=int(rng.integers(3, 15))),
                                        at - timedelta(minutes=1)),
                               settings=settings, categories=categories)
        if wants_survey and delivered_at < at - SURVEY_GAP:
            answers += _nps(session, rng, store_id=store_id, order_id=order_id,
                            when=delivered_at + timedelta(hours=int(rng.integers(2, 72))))
    return reviews, answers


def _review(session: Session, rng: np.random.Generator, *, store_id: int, order_id: int,
            when: datetime, settings: review_settings.ReviewSettings,
            categories: dict[str, str | None]) -> int:
    order = session.get(Order, order_id)
    if order is None or order.customer_id is None:
        return 0
    skus = [line.sku for line in order.lines if line.sku]
    if not skus:
        return 0
    sku = skus[int(rng.integers(0, len(skus)))]
    stars = int(rng.choice(STARS, p=STAR_SHARES))
    category = categories.get(sku) or ""
    mood = "good" if stars >= 4 else "mixed" if stars == 3 else "bad"
    options = WORDS.get(category, GENERIC)[mood]
    title, body = options[int(rng.integers(0, len(options)))]
    photos = (_photo(rng, category),) if rng.random() < PHOTO_SHARE else ()
    request = collection.ensure_request(session, order=order, settings=settings,
                                        locale=None, now=when)
    service.write(session, store_id=store_id, settings=settings, now=when,
                  draft=service.Draft(
                      sku=sku, rating=stars, title=title, body=body,
                      author_name=collection.author_name(session, order),
                      email=service.order_email(session, order), source="link",
                      order=order, customer_id=order.customer_id, verified_buyer=True,
                      request_id=request.id, photos=photos))
    if len(set(skus)) == 1:
        request.status, request.answered_at, request.updated_at = "answered", when, when
    return 1


def _photo(rng: np.random.Generator, category: str) -> CleanPhoto:
    """A small snapshot of the product on a table: the category's colours."""
    background, foreground = PALETTE.get(category, DEFAULT_COLOURS)
    image = Image.new("RGB", (160, 120), background)
    draw = ImageDraw.Draw(image)
    x, y = int(rng.integers(20, 60)), int(rng.integers(15, 40))
    draw.rectangle((0, 90, 160, 120), fill="#d8cfc4")
    draw.ellipse((x, y, x + 70, y + 70), fill=foreground)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return clean(out.getvalue())


def _nps(session: Session, rng: np.random.Generator, *, store_id: int, order_id: int,
         when: datetime) -> int:
    score = int(rng.choice(11, p=(0.02, 0.01, 0.02, 0.02, 0.03, 0.04, 0.06, 0.1, 0.2,
                                  0.22, 0.28)))
    kind = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    options = NPS_COMMENTS[kind]
    comment = options[int(rng.integers(0, len(options)))] \
        if rng.random() < COMMENT_SHARE else None
    surveys.answer(session, store_id=store_id, order_id=order_id, survey="nps", score=score,
                   source="link", comment=comment, now=when)
    return 1
