"""Reviews for integrators (DESIGN.md, "Contracts ... Reviews and surveys"): submit a
review (or import one from another tool), list them, moderate them (publish, reject
with a reason, a public reply) and the store's review settings."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from afterward.api.commerce import Cursor
from afterward.api.deps import Principal, Write, committed, principal, read_session, writer
from afterward.api.errors import ApiError
from afterward.api.params import WHOLE, IdPath, Limit, each_once
from afterward.api.responses import CONFLICT, INVALID, KEYED, NOT_FOUND, WITH_BODY, updated
from afterward.commerce.schemas import Page
from afterward.feedback import service
from afterward.feedback import settings as review_settings
from afterward.feedback.schemas import RejectIn, ReplyIn, ReviewIn, ReviewOut
from afterward.feedback.settings import ReviewSettings

router = APIRouter(prefix="/api/v1", responses=KEYED, tags=["reviews"],
                   dependencies=[Depends(each_once)])

SAME_REQUEST = updated(ReviewOut, "The Idempotency-Key was used before with this review: "
                                  "the review it made, unchanged.")
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[!-~]+$",
    description="The same key and review again: the same review, nothing added.")]
Status = Literal["pending", "published", "rejected"]
RatingQuery = Annotated[int | None, Query(ge=1, le=5), WHOLE]


@router.get("/reviews/settings", response_model=ReviewSettings)
def get_settings(who: Principal = Depends(principal),
                 session: Session = Depends(read_session)) -> ReviewSettings:
    """The store's review settings (the defaults until some are put)."""
    return review_settings.load(session, store_id=who.store_id)


@router.put("/reviews/settings", response_model=ReviewSettings, responses=WITH_BODY)
def put_settings(body: ReviewSettings, who: Principal = Depends(principal),
                 write: Write = Depends(writer)) -> ReviewSettings:
    """Replace the store's review settings; fields left out take their defaults. They
    apply to reviews submitted (auto-publish, flags) and published (rewards) from then
    on."""
    return write(lambda session: review_settings.save(session, store_id=who.store_id,
                                                      settings=body))


@router.post("/reviews", response_model=ReviewOut, status_code=201,
             responses={**SAME_REQUEST, **WITH_BODY, **CONFLICT})
async def create_review(request: Request, body: ReviewIn,
                        who: Principal = Depends(principal),
                        idempotency_key: IdempotencyKey = None) -> Response:
    """Submit a review (`source` "api"), or import one (`source` "import", keeping
    its `submitted_at`). It is a verified buyer's when `order_number` names an order
    of this store containing the SKU and `email` is the order's. Flagged words, links
    and phone numbers flag it; the auto-publish rule publishes it at once, else it
    waits (`pending`). Refusals (422): `order_not_found`, `sku_not_in_order`,
    `unknown_sku`, `unknown_attribute`, a rating outside 1-5, no title and no text;
    409 `idempotency_key_reused`. Title and text are stored as written (HTML is text).
    Up to 3 `photos` (`{content_type, data_base64}`, JPEG, PNG or WebP, 8 MB each):
    sniffed, re-encoded without metadata; a bad one is a 422 naming it
    (`photos.<i>.data_base64`: `photo_not_base64`, `photo_not_an_image`,
    `photo_too_large`, `photo_too_many_pixels`; `photo_type_mismatch`), nothing
    recorded."""
    photos = await run_in_threadpool(service.cleaned_photos, body.photos) \
        if body.photos else ()

    def work(session: Session) -> tuple[ReviewOut, bool]:
        review, created = service.submit(session, store_id=who.store_id, data=body,
                                         idempotency_key=idempotency_key, photos=photos)
        return ReviewOut.model_validate(review), created

    out, created = await committed(request, work)
    return Response(out.model_dump_json(), status_code=201 if created else 200,
                    media_type="application/json")


@router.get("/reviews", response_model=Page[ReviewOut], responses=INVALID)
def list_reviews(who: Principal = Depends(principal), session: Session = Depends(read_session),
                 sku: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
                 status: Annotated[Status | None, Query()] = None,
                 rating: RatingQuery = None, cursor: Cursor = None,
                 limit: Limit = 50) -> Page[ReviewOut]:
    """The store's reviews, newest first; follow `next_cursor` for the next page."""
    rows, next_cursor = service.listed(session, store_id=who.store_id, sku=sku,
                                       status=status, rating=rating, cursor=cursor,
                                       limit=limit)
    return Page[ReviewOut](items=[ReviewOut.model_validate(r) for r in rows],
                           next_cursor=next_cursor)


@router.get("/reviews/{review_id}", response_model=ReviewOut,
            responses={**NOT_FOUND, **INVALID})
def get_review(review_id: IdPath, who: Principal = Depends(principal),
               session: Session = Depends(read_session)) -> ReviewOut:
    found = service.get(session, store_id=who.store_id, review_id=review_id)
    if found is None:
        raise ApiError(404, "not_found", "no such review in this store")
    return ReviewOut.model_validate(found)


STEP = {**NOT_FOUND, **CONFLICT, **INVALID}


def _step(write: Write, who: Principal, review_id: int, step: object) -> ReviewOut:
    def work(session: Session) -> ReviewOut:
        found = service.get(session, store_id=who.store_id, review_id=review_id, lock=True)
        if found is None:
            raise ApiError(404, "not_found", "no such review in this store")
        step(session, found)  # type: ignore[operator]
        return ReviewOut.model_validate(found)

    result: ReviewOut = write(work)
    return result


@router.post("/reviews/{review_id}/publish", response_model=ReviewOut, responses=STEP)
def publish_review(review_id: IdPath, who: Principal = Depends(principal),
                   write: Write = Depends(writer)) -> ReviewOut:
    """Publish a pending or rejected review; its reward (settings `rewards`) is given
    now, once, whatever its rating. Published already: 409 `invalid_status`."""
    return _step(write, who, review_id,
                 lambda session, review: service.publish(session, review=review))


@router.post("/reviews/{review_id}/reject", response_model=ReviewOut,
             responses={**STEP, **WITH_BODY})
def reject_review(review_id: IdPath, body: RejectIn, who: Principal = Depends(principal),
                  write: Write = Depends(writer)) -> ReviewOut:
    """Reject a pending review, or take a published one down, with a reason. Rejected
    already: 409 `invalid_status`."""
    return _step(write, who, review_id,
                 lambda session, review: service.reject(session, review=review,
                                                        reason=body.reason))


@router.post("/reviews/{review_id}/reply", response_model=ReviewOut,
             responses={**STEP, **WITH_BODY})
def reply_to_review(review_id: IdPath, body: ReplyIn, who: Principal = Depends(principal),
                    write: Write = Depends(writer)) -> ReviewOut:
    """The store's public reply, shown under the review; an empty text removes it."""
    return _step(write, who, review_id,
                 lambda session, review: service.reply(session, review=review,
                                                       text=body.text))

