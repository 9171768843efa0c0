"""What a product's review page and its widget show, as plain values in one language:
the summary (average, count, stars' bars, attribute averages), the reviews of one
page with their words, photos and the merchant's reply, and the schema.org JSON-LD
(escaped so that no text can end the script element it stands in)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from babel.dates import format_date
from babel.numbers import format_decimal
from markupsafe import Markup

from afterward.feedback import feeds
from afterward.feedback.publishing import Aggregate, Page, ProductInfo, Published
from afterward.modules import N_
from afterward.web import i18n
from afterward.web.pages.language import Speaker

SORT_LABELS = {"newest": N_("Newest"), "helpful": N_("Most helpful"),
               "highest": N_("Highest rated"), "lowest": N_("Lowest rated")}
ATTRIBUTE_LABELS = {"fit": N_("Fit"), "quality": N_("Quality"), "taste": N_("Taste"),
                    "comfort": N_("Comfort"), "value": N_("Value for money"),
                    "size": N_("Size"), "durability": N_("Durability")}
INCENTIVES = {"points": N_("This reviewer received loyalty points for writing a review."),
              "code": N_("This reviewer received a discount code for writing a review.")}
# What JSON in a <script> element must not hold as it is (str.replace: several times
# faster than str.translate on a page's worth of text).
_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"),
                 ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def base_path(slug: str, sku: str) -> str:
    return f"/reviews/{quote(slug, safe='')}/{quote(sku, safe='')}"


def photo_path(slug: str, photo_id: int) -> str:
    return f"/reviews/{quote(slug, safe='')}/photos/{photo_id}"


@lru_cache(maxsize=4096)
def _date(day: Any, code: str) -> str:
    return format_date(day, "medium", locale=i18n.locale_or_default(code))


def date_of(value: datetime | None, say: Speaker) -> str:
    if value is None:
        return ""
    return _date(value.astimezone(i18n.zone_or_utc(say.zone)).date(), say.code)


def stars_text(rating: float, say: Speaker) -> str:
    return _stars_text(rating, say.code)


@lru_cache(maxsize=1024)
def _stars_text(rating: float, code: str) -> str:
    shown = format_decimal(rating, format="#,##0.#", locale=i18n.locale_or_default(code))
    return Speaker(code, "UTC").gettext("%(rating)s out of 5 stars", rating=shown)


def stars(rating: int) -> str:
    return "\u2605" * rating + "\u2606" * (5 - rating)


@lru_cache(maxsize=1024)
def _average(value: float, code: str) -> str:
    return format_decimal(value, format="0.0", locale=i18n.locale_or_default(code))


def counted(say: Speaker, count: int, one: str, many: str) -> str:
    """A count of one or more in words. The catalogues keep no plural forms (each
    phrase is one message), and for counts from 1 up the four languages need only
    these two."""
    return say.gettext(one) if count == 1 else say.gettext(many, count=count)


def summary(aggregate: Aggregate, say: Speaker) -> dict[str, Any]:
    average = aggregate.average or 0.0
    return {
        "count": aggregate.count,
        "count_text": counted(say, aggregate.count, N_("1 review"), N_("%(count)s reviews")),
        "all_text": counted(say, aggregate.count, N_("See the review"),
                            N_("See all %(count)s reviews")),
        "average": _average(average, say.code),
        "average_text": stars_text(average, say),
        "stars": stars(round(average)),
        "bars": [{"stars": n, "count": aggregate.distribution.get(n, 0),
                  "share": aggregate.share(n),
                  "label": counted(say, n, N_("1 star"), N_("%(count)s stars"))}
                 for n in (5, 4, 3, 2, 1)],
        "attributes": [{"label": say.gettext(ATTRIBUTE_LABELS[key]) if key in ATTRIBUTE_LABELS
                        else key, "average": value, "share": round(value * 20),
                        "text": stars_text(value, say)}
                       for key, value in aggregate.attributes.items()],
    }


def review_words(review: Published, slug: str, say: Speaker,
                 voted: dict[int, bool]) -> dict[str, Any]:
    return {
        "id": review.id, "anchor": f"review-{review.id}", "rating": review.rating,
        "stars": stars(review.rating), "stars_text": stars_text(review.rating, say),
        "title": review.title, "paragraphs": [p for p in (review.body or "").split("\n")
                                              if p.strip()],
        "author": review.author_name, "verified": review.verified_buyer,
        "date": date_of(review.published_at, say), "iso": review.published_at.isoformat(),
        "attributes": [{"label": say.gettext(ATTRIBUTE_LABELS[k]) if k in ATTRIBUTE_LABELS
                        else k, "text": stars_text(v, say)}
                       for k, v in sorted(review.attributes.items()) if isinstance(v, int)],
        "incentive": say.gettext(INCENTIVES[review.incentive]) if review.incentive else None,
        "reply": [p for p in (review.reply or "").split("\n") if p.strip()],
        "reply_date": date_of(review.replied_at, say),
        "helpful": review.helpful,
        "helpful_text": counted(say, review.helpful, N_("1 person found this helpful"),
                                N_("%(count)s people found this helpful")),
        "voted": voted.get(review.id),
        "photos": [{"url": photo_path(slug, p.id), "width": p.width, "height": p.height}
                   for p in review.photos],
    }


def sort_links(path: str, current: str, lang: str | None, say: Speaker) -> list[dict[str, Any]]:
    return [{"key": key, "label": say.gettext(label), "current": key == current,
             "url": f"{path}?{urlencode(_params(lang, sort=key))}"}
            for key, label in SORT_LABELS.items()]


def _params(lang: str | None, **values: Any) -> list[tuple[str, str]]:
    params = [(k, str(v)) for k, v in values.items() if v not in (None, "", "newest", 1)]
    return params + ([("lang", lang)] if lang else [])


def paging(path: str, page: Page, lang: str | None) -> dict[str, Any]:
    def url(number: int) -> str:
        query = urlencode(_params(lang, sort=page.sort, page=number))
        return f"{path}?{query}" if query else path

    return {"page": page.page, "pages": page.pages,
            "previous": url(page.page - 1) if page.page > 1 else None,
            "next": url(page.page + 1) if page.page < page.pages else None}


def json_ld(product: ProductInfo, aggregate: Aggregate, reviews: list[Published],
            page_url: str) -> Markup:
    """schema.org Product with its AggregateRating and Reviews (only when it has
    reviews: Google refuses a rating of nothing), as JSON whose <, > and & are escapes."""
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "Product",
                            "name": product.name, "sku": product.sku, "url": page_url}
    if product.image_url:
        data["image"] = product.image_url
    if aggregate.count:
        data["aggregateRating"] = {"@type": "AggregateRating",
                                   "ratingValue": aggregate.average,
                                   "reviewCount": aggregate.count,
                                   "bestRating": 5, "worstRating": 1}
        data["review"] = [_review_ld(review) for review in reviews]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in _JSON_ESCAPES:
        text = text.replace(raw, escaped)
    return Markup(text)


def _review_ld(review: Published) -> dict[str, Any]:
    found: dict[str, Any] = {
        "@type": "Review", "author": {"@type": "Person", "name": review.author_name},
        "datePublished": review.published_at.date().isoformat(),
        "reviewRating": {"@type": "Rating", "ratingValue": review.rating,
                         "bestRating": 5, "worstRating": 1}}
    if review.title:
        found["name"] = review.title
    if review.body:
        found["reviewBody"] = review.body
    return found


def page_url(public_url: str, slug: str, sku: str) -> str:
    return feeds.review_page_url(public_url, slug, sku)
