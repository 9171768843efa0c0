"""An order's review form: /review/{token} (feedback/links.py signs the token). One
form for all the order's items not yet reviewed: stars per item (radio buttons: the
keyboard moves through them, no script), a title, a text, up to 3 photos (cleaned by
afterward.images: sniffed, capped, re-encoded without metadata) and the ratings of
the attributes the product's category has. Items left out stay for a later visit;
an item reviewed already records nothing and says so. A tampered link is a 404 page,
an expired one a 410 page: both readable, nothing recorded. The form is guarded as
the other shopper forms are (FormCsrf)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.responses import Response

from afterward.commerce.models import Customer, Order, Store
from afterward.feedback import collection, links
from afterward.feedback import settings as review_settings
from afterward.feedback.collection import Answer, Item
from afterward.feedback.errors import ReviewError
from afterward.images import MAX_BYTES, CleanPhoto, PhotoError, clean
from afterward.modules import N_
from afterward.storage.db import Database
from afterward.storage.types import utcnow
from afterward.web.pages.form_csrf import FormCsrf
from afterward.web.pages.language import Speaker
from afterward.web.pages.render import render
from afterward.web.pages.tracking import lang_query, speaker_for
from afterward.web.pages.view import Brand

router = APIRouter(include_in_schema=False)

FORMS = FormCsrf("aw_review", links.PATH, "afterward.review.csrf.v1")
MAX_PHOTOS = 3
MAX_FILES = 60
MAX_TITLE, MAX_BODY, MAX_NAME = 200, 5000, 100
# The attributes stores rate most (settings `attributes`), in the catalogues; the
# pages show any other name as it is written.
ATTRIBUTE_WORDS = (N_("Fit"), N_("Quality"), N_("Taste"), N_("Comfort"), N_("Value"),
                   N_("Size"), N_("Durability"), N_("Aroma"))


@dataclass(frozen=True)
class Speaking:
    locale: str | None
    timezone: str | None


@dataclass(frozen=True)
class Opened:
    store: Store
    order: Order
    settings: review_settings.ReviewSettings
    items: list[Item]  # not yet reviewed
    done: set[str]  # the SKUs reviewed already
    speaking: Speaking | None
    name: str


class Problem(Exception):
    """What the page says is wrong; `item` the title of the item it is about."""

    def __init__(self, code: str, item: str | None = None) -> None:
        super().__init__(code)
        self.code, self.item = code, item


def _open(session: Session, secret: str, token: str, now: datetime) -> Opened | str:
    """The order the link opens, or why it does not: "invalid" or "expired"."""
    reading = links.read(secret, token)
    if reading is None:
        return "invalid"
    store = session.get(Store, reading.store_id)
    order = collection.order_of(session, store_id=reading.store_id, order_id=reading.order_id)
    if store is None or order is None:
        return "invalid"
    settings = review_settings.load(session, store_id=store.id)
    if not collection.link_open(settings, reading.signed_at, now):
        return "expired"
    done = collection.reviewed(session, store_id=store.id, order_id=order.id)
    items = [i for i in collection.items(session, order, settings) if i.sku not in done]
    customer = session.execute(select(Customer.locale, Customer.timezone).where(
        Customer.id == order.customer_id)).first() if order.customer_id else None
    speaking = Speaking(customer[0], customer[1]) if customer is not None else None
    return Opened(store, order, settings, items, done, speaking,
                  collection.author_name(session, order))


def _secret(request: Request) -> str:
    key: str = request.app.state.settings.secret_key
    return key


def _say(request: Request, opened: Opened) -> Speaker:
    return speaker_for(request, opened.store, opened.speaking)


def _missing(request: Request, why: str) -> Response:
    say = speaker_for(request, None, None)
    return render(request, "pages/review_missing.html", say, {"why": why},
                  status=410 if why == "expired" else 404)


def _page(request: Request, token: str, opened: Opened, *, problem: Problem | None = None,
          kept: dict[str, str] | None = None, outcome: dict[str, Any] | None = None,
          status: int = 200) -> Response:
    say = _say(request, opened)
    return FORMS.page(request, "pages/review_form.html", say, {
        "store_name": opened.store.name, "order_number": opened.order.number,
        "items": opened.items, "problem": problem, "kept": kept or {}, "outcome": outcome,
        "name": (kept or {}).get("name", opened.name), "max_photos": MAX_PHOTOS,
        "action": f"{links.PATH}/{token}{lang_query(request)}"},
        brand=Brand.of(opened.store), status=status)


@router.get("/review/{token}")
def review_form(request: Request, token: str) -> Response:
    db: Database = request.app.state.db
    with db.reading() as session:
        opened = _open(session, _secret(request), token, utcnow())
        if isinstance(opened, str):
            return _missing(request, opened)
        return _page(request, token, opened)


async def _read(request: Request) -> tuple[dict[str, str], dict[int, list[bytes]]]:
    data = await request.form(max_files=MAX_FILES)
    uploads: dict[int, list[bytes]] = {}
    for name, value in data.multi_items():
        if not isinstance(value, UploadFile) or not name.startswith("photos_"):
            continue
        raw = await value.read(MAX_BYTES + 1)
        index = name[7:]
        if raw and index.isascii() and index.isdigit() and len(index) < 4:
            uploads.setdefault(int(index), []).append(raw)
    await data.close()
    return {k: v for k, v in data.items() if isinstance(v, str)}, uploads


def _score(raw: str, item: Item, code: str) -> int | None:
    if not raw:
        return None
    if raw not in ("1", "2", "3", "4", "5"):
        raise Problem(code, item.title)
    return int(raw)


def _indices(form: dict[str, str]) -> list[int]:
    return sorted({int(key[4:]) for key in form
                   if key.startswith("sku_") and key[4:].isdigit() and len(key) < 8})


def answers_of(items: list[Item], done: set[str], form: dict[str, str],
               uploads: dict[int, list[bytes]]) -> tuple[list[Answer], list[str]]:
    """What the shopper answered, item by item: `sku_<i>` names the item <i> was when
    the page was made, with `rating_<i>`, `title_<i>`, `body_<i>`, `attr_<i>_<name>`
    and `photos_<i>`. Also the SKUs answered that are reviewed already (another tab,
    a second tap). Problem: a missing rating where words were written, words missing
    where a rating was given, a photo that is not one, an item not in the order."""
    by_sku = {item.sku: item for item in items}
    out, already = [], []
    for index in _indices(form):
        sku = form[f"sku_{index}"]
        item = by_sku.get(sku)
        if item is None:
            if sku not in done:
                raise Problem("changed")
            if form.get(f"rating_{index}"):
                already.append(sku)
            continue
        answer = _answer(item, index, form, uploads.get(index, []))
        if answer is not None:
            out.append(answer)
    if not out and not already:
        raise Problem("nothing")
    return out, already


def _answer(item: Item, index: int, form: dict[str, str], sent: list[bytes]) -> Answer | None:
    title = form.get(f"title_{index}", "").strip()[:MAX_TITLE]
    body = form.get(f"body_{index}", "").strip()[:MAX_BODY]
    rating = _score(form.get(f"rating_{index}", ""), item, "rating")
    if rating is None:
        if title or body or sent:
            raise Problem("rating", item.title)
        return None
    if not (title or body):
        raise Problem("words", item.title)
    if len(sent) > MAX_PHOTOS:
        raise Problem("too_many_photos", item.title)
    attributes = {}
    for name in item.attributes:
        score = _score(form.get(f"attr_{index}_{name}", ""), item, "rating")
        if score is not None:
            attributes[name] = score
    photos: list[CleanPhoto] = []
    for raw in sent:
        try:
            photos.append(clean(raw))
        except PhotoError as refused:
            raise Problem(refused.code, item.title) from refused
    return Answer(item.sku, rating, title or None, body or None, attributes, tuple(photos))


@router.post("/review/{token}")
async def send_review(request: Request, token: str) -> Response:
    db: Database = request.app.state.db
    now = utcnow()
    with db.reading() as session:
        opened = _open(session, _secret(request), token, now)
    if isinstance(opened, str):
        return _missing(request, opened)
    form, uploads = await _read(request)
    kept = {k: v for k, v in form.items() if k != "csrf"}
    if not FORMS.ok(request, form.get("csrf", "")):
        return _page(request, token, opened, problem=Problem("expired"), kept=kept,
                     status=403)
    try:
        answers, already = answers_of(opened.items, opened.done, form, uploads)
    except Problem as problem:
        status = 400 if problem.code == "changed" else 422
        return _page(request, token, opened, problem=problem, kept=kept, status=status)
    if not answers:
        return _page(request, token, opened, outcome={"made": 0, "already": bool(already)},
                     status=409)
    name = form.get("name", "").strip()[:MAX_NAME] or None
    locale = _say(request, opened).code

    def work(session: Session) -> collection.Outcome:
        return collection.submit(session, store_id=opened.store.id, order_id=opened.order.id,
                                 answers=answers, locale=locale, now=now, name=name)

    try:
        outcome = db.run(work)
    except ReviewError:
        return _missing(request, "invalid")
    with db.reading() as session:
        again = _open(session, _secret(request), token, now)
    left = again if not isinstance(again, str) else opened
    return _page(request, token, left, outcome={
        "made": len(outcome.made), "already": bool(outcome.already) and not outcome.made,
        "answered": outcome.answered}, status=409 if not outcome.made else 200)
