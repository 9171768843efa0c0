"""Returns for integrators (DESIGN.md, "Contracts ... Returns"): the store's policy,
return requests and their lifecycle, their photos, a customer's store credit; and the
label PDF, reached by its unguessable token (no key: the shopper prints it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, Response, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session

from afterward.api.deps import (
    Principal,
    Write,
    committed,
    principal,
    read_session,
    settings,
    writer,
)
from afterward.api.errors import ApiError
from afterward.api.params import IdPath, Limit, each_once
from afterward.api.responses import CONFLICT, INVALID, KEYED, NOT_FOUND, WITH_BODY, updated
from afterward.commerce import service as commerce
from afterward.commerce import stores
from afterward.commerce.models import Order, Store
from afterward.config import Settings
from afterward.returns import credit, facts, inbound, photos, service
from afterward.returns.models import Return
from afterward.returns.photo_files import MAX_BYTES, PhotoError, clean
from afterward.returns.policy import Policy
from afterward.returns.schemas import (
    CreditEntryOut,
    ParcelIn,
    ReceiveIn,
    RejectIn,
    ReturnIn,
    ReturnLineOut,
    ReturnList,
    ReturnOut,
    ReturnPhotoOut,
    StoreCreditOut,
)
from afterward.storage.types import utcnow

router = APIRouter(prefix="/api/v1", responses=KEYED, tags=["returns"],
                   dependencies=[Depends(each_once)])
public = APIRouter(include_in_schema=False)

SAME_REQUEST = updated(ReturnOut, "The Idempotency-Key was used before with this body: "
                                  "the return it made, unchanged.")
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[!-~]+$",
    description="The same key and body again: the same return, nothing added.")]


def return_out(session: Session, rma: Return, public_url: str, *,
               new: bool = False) -> ReturnOut:
    """`new`: made by this request through the API, which takes no photos (none to read)."""
    # A plain column, not session.get: the Order a request loaded may be gone from the
    # identity map (weakly held) by now, and loading it again means its lines too.
    number = session.scalar(select(Order.number).where(Order.id == rma.order_id))
    label = public_url + service.label_path(rma) if service.has_label(rma) else None
    if rma.label_carrier is not None and label is not None:
        label = rma.carrier_label_url if rma.label_status == "issued" else None
    return ReturnOut(
        id=rma.id, number=rma.number, order_id=rma.order_id,
        order_number=number or "", status=rma.status,
        resolution=rma.resolution, currency=rma.currency, value_minor=rma.value_minor,
        refund_minor=rma.refund_minor, credit_minor=rma.credit_minor, fee_minor=rma.fee_minor,
        bonus_minor=rma.bonus_minor, exchange_for_sku=rma.exchange_for_sku,
        exchange_minor=rma.exchange_minor, difference_minor=rma.difference_minor,
        exchange_order_id=rma.exchange_order_id, review_reasons=list(rma.review_reasons),
        reject_reason=rma.reject_reason, deadline_at=rma.deadline_at, label_url=label,
        label_carrier=rma.label_carrier, label_status=rma.label_status,
        label_error=rma.label_error, tracking_number=rma.tracking_number,
        inbound_shipment_id=rma.inbound_shipment_id, instant_exchange=rma.instant_exchange,
        label_issued_at=rma.label_issued_at, in_transit_at=rma.in_transit_at,
        arrived_at=rma.arrived_at,
        created_at=rma.created_at, approved_at=rma.approved_at, rejected_at=rma.rejected_at,
        received_at=rma.received_at, resolved_at=rma.resolved_at,
        lines=[ReturnLineOut.model_validate(line) for line in rma.lines],
        photos=[] if new else _photos_out(session, rma, public_url),
        gift_recipient_email=rma.gift_recipient_email,
        gift_recipient_name=rma.gift_recipient_name, gift_customer_id=rma.gift_customer_id)


def _photos_out(session: Session, rma: Return, public_url: str) -> list[ReturnPhotoOut]:
    skus = {line.id: line.sku for line in rma.lines}
    return [ReturnPhotoOut(
        id=p.id, sku=skus.get(p.return_line_id or 0, ""), content_type=p.content_type,
        width=p.width, height=p.height, byte_size=p.byte_size, sha256=p.sha256,
        url=f"{public_url}/api/v1/returns/{rma.id}/photos/{p.id}", created_at=p.created_at)
        for p in photos.of_return(session, store_id=rma.store_id, return_id=rma.id)]


@router.get("/returns/policy", response_model=Policy)
def get_policy(who: Principal = Depends(principal),
               session: Session = Depends(read_session)) -> Policy:
    """The store's returns policy (the defaults until one is put)."""
    return facts.load_policy(session, store_id=who.store_id)


@router.put("/returns/policy", response_model=Policy, responses=WITH_BODY)
def put_policy(body: Policy, who: Principal = Depends(principal),
               write: Write = Depends(writer)) -> Policy:
    """Replace the store's returns policy; fields left out take their defaults."""
    return write(lambda session: facts.save_policy(session, store_id=who.store_id,
                                                   policy=body))


@router.post("/returns", response_model=ReturnOut, status_code=201,
             responses={**SAME_REQUEST, **WITH_BODY, **CONFLICT})
async def create_return(request: Request, body: ReturnIn,
                        who: Principal = Depends(principal),
                        config: Settings = Depends(settings),
                        idempotency_key: IdempotencyKey = None) -> Response:
    """Ask for a return. Refusals (422): `order_not_found`, `return_window_closed`,
    `quantity_exceeds_returnable`, `already_returned`, `item_not_returnable`,
    `unknown_reason` (not a reason of the line's product category),
    `resolution_not_offered`, `unknown_exchange_sku`, `exchange_not_allowed`,
    `exchange_out_of_stock`, `idempotency_key_reused`, `gift_returns_not_offered`.
    A line the policy wants a photo of: the return waits in `requested` (review reason
    "photo required") until `POST /returns/{id}/photos` adds one."""
    def work(session: Session) -> tuple[ReturnOut, bool]:
        rma, created = service.request_return(session, store_id=who.store_id, data=body,
                                              idempotency_key=idempotency_key)
        return return_out(session, rma, config.public_url, new=created), created

    # Returns that arrive together share a commit on SQLite (deps.committed); the
    # answer is serialised once here (returning the model, FastAPI would validate it
    # again, in a thread of its own).
    out, created = await committed(request, work)
    return Response(out.model_dump_json(), status_code=201 if created else 200,
                    media_type="application/json")


@router.get("/returns", response_model=ReturnList, responses=INVALID)
def list_returns(who: Principal = Depends(principal), session: Session = Depends(read_session),
                 config: Settings = Depends(settings),
                 order_number: Annotated[str | None, Query(max_length=64)] = None,
                 status: Annotated[str | None, Query(max_length=16)] = None,
                 limit: Limit = 50) -> ReturnList:
    order_id = None
    if order_number is not None:
        order = commerce.order_by_number(session, store_id=who.store_id, number=order_number)
        if order is None:
            return ReturnList(items=[])
        order_id = order.id
    rows = service.list_returns(session, store_id=who.store_id, order_id=order_id,
                                status=status, limit=limit)
    return ReturnList(items=[return_out(session, rma, config.public_url) for rma in rows])


@router.get("/returns/{return_id}", response_model=ReturnOut, responses={**NOT_FOUND, **INVALID})
def get_return(return_id: IdPath, who: Principal = Depends(principal),
               session: Session = Depends(read_session),
               config: Settings = Depends(settings)) -> ReturnOut:
    rma = service.get_return(session, store_id=who.store_id, return_id=return_id)
    if rma is None:
        raise ApiError(404, "not_found", "no such return in this store")
    return return_out(session, rma, config.public_url)


def _step(write: Write, who: Principal, return_id: int, config: Settings,
          step: object) -> ReturnOut:
    def work(session: Session) -> ReturnOut:
        rma = service.get_return(session, store_id=who.store_id, return_id=return_id,
                                 lock=True)
        if rma is None:
            raise ApiError(404, "not_found", "no such return in this store")
        step(session, rma)  # type: ignore[operator]
        return return_out(session, rma, config.public_url)

    result: ReturnOut = write(work)
    return result


STEP = {**NOT_FOUND, **CONFLICT, **INVALID}


@router.post("/returns/{return_id}/approve", response_model=ReturnOut, responses=STEP)
def approve_return(return_id: IdPath, who: Principal = Depends(principal),
                   write: Write = Depends(writer), config: Settings = Depends(settings)
                   ) -> ReturnOut:
    """Approve a requested return (409 in any other status)."""
    return _step(write, who, return_id, config,
                 lambda session, rma: service.approve(session, rma=rma))


@router.post("/returns/{return_id}/reject", response_model=ReturnOut,
             responses={**STEP, **WITH_BODY})
def reject_return(return_id: IdPath, body: RejectIn, who: Principal = Depends(principal),
                  write: Write = Depends(writer), config: Settings = Depends(settings)
                  ) -> ReturnOut:
    """Reject a return not yet received, with a reason (409 otherwise)."""
    return _step(write, who, return_id, config,
                 lambda session, rma: service.reject(session, rma=rma, reason=body.reason))


@router.post("/returns/{return_id}/receive", response_model=ReturnOut,
             responses={**STEP, **WITH_BODY})
def receive_return(return_id: IdPath, body: ReceiveIn, who: Principal = Depends(principal),
                   write: Write = Depends(writer), config: Settings = Depends(settings)
                   ) -> ReturnOut:
    """Record what came back and settle what was accepted: the refund requested, the
    credit issued or the exchange order made. Nothing accepted: rejected. 409 unless
    approved; 422 `unknown_line`, `quantity_exceeds_returned`."""
    return _step(write, who, return_id, config,
                 lambda session, rma: service.receive(session, rma=rma, data=body))


@router.post("/returns/{return_id}/photos", response_model=ReturnOut, status_code=201,
             responses={**STEP, **WITH_BODY})
def add_photo(return_id: IdPath,
              sku: Annotated[str | None, Form(min_length=1, max_length=100)] = None,
              file: Annotated[UploadFile | None, File(description="A JPEG, PNG or WebP "
                                                                  "photo, at most 8 MB")] = None,
              who: Principal = Depends(principal), write: Write = Depends(writer),
              config: Settings = Depends(settings)) -> ReturnOut:
    """Add a photo of a line (multipart: `sku`, `file`), before the return is received;
    at most 3 a line. Its type is read from its bytes, and it is re-encoded without
    metadata. The last photo the policy asked for approves a return that waited only
    for it. 422: `photo_too_large`, `photo_not_an_image`, `photo_too_many_pixels`,
    `too_many_photos`, `unknown_line`, `invalid` (no `sku` or no `file`); 409 once
    received; another store's return: 404 whatever the body."""
    photo, refused = None, None
    if file is not None:  # cleaned before the write: Pillow's work holds no lock
        try:
            photo = clean(file.file.read(MAX_BYTES + 1))
        except PhotoError as error:
            refused = error

    def step(session: Session, rma: Return) -> Return:
        if sku is None or file is None:
            raise ApiError(422, "invalid", "a photo needs `sku` and `file` (multipart)",
                           "sku" if sku is None else "file")
        if refused is not None or photo is None:
            raise ApiError(422, refused.code if refused else "photo_not_an_image",
                           str(refused or "no photo"), "file")
        return service.add_photo(session, rma=rma, sku=sku, photo=photo)

    return _step(write, who, return_id, config, step)


@router.get("/returns/{return_id}/photos/{photo_id}", responses={**NOT_FOUND, **INVALID},
            response_class=Response)
def get_photo(return_id: IdPath, photo_id: IdPath, who: Principal = Depends(principal),
              session: Session = Depends(read_session)) -> Response:
    """A photo's bytes (JPEG, PNG or WebP, as `content_type` says)."""
    found = photos.get(session, store_id=who.store_id, return_id=return_id, photo_id=photo_id)
    if found is None:
        raise ApiError(404, "not_found", "no such photo of this return in this store")
    return Response(found.data, media_type=found.content_type, headers={
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@router.post("/returns/{return_id}/tracking", response_model=ReturnOut,
             responses={**STEP, **WITH_BODY})
def return_parcel_sent(return_id: IdPath, body: ParcelIn, who: Principal = Depends(principal),
                       write: Write = Depends(writer), config: Settings = Depends(settings)
                       ) -> ReturnOut:
    """The tracking number of a parcel sent back with our own label: the parcel is
    tracked inbound and its scans move the return (`label_issued`, then `in_transit`).
    409 unless approved, or when a carrier label brings its own number."""
    return _step(write, who, return_id, config,
                 lambda session, rma: inbound.parcel_sent(
                     session, rma=rma, tracking_number=body.tracking_number,
                     carrier=body.carrier, now=utcnow()))


@router.get("/customers/{customer_id}/store-credit", response_model=StoreCreditOut,
            tags=["customers"], responses={**NOT_FOUND, **INVALID})
def store_credit(customer_id: IdPath, who: Principal = Depends(principal),
                 session: Session = Depends(read_session)) -> StoreCreditOut:
    if commerce.get_customer(session, store_id=who.store_id, customer_id=customer_id) is None:
        raise ApiError(404, "not_found", "no such customer in this store")
    store = stores.get_by_slug(session, who.store_slug)
    found = credit.balance(session, store_id=who.store_id, customer_id=customer_id,
                           currency=store.currency if store else "USD")
    return StoreCreditOut(balance_minor=found.balance_minor, currency=found.currency,
                          entries=[CreditEntryOut.model_validate(e) for e in found.entries])


@public.get("/returns/labels/{token}.pdf")
def label(token: str, session: Session = Depends(read_session)) -> Response:
    rma = service.by_label_token(session, token) if len(token) == 43 else None
    if rma is None or not service.has_label(rma):
        raise ApiError(404, "not_found", "no such label")
    order = commerce.get_order(session, store_id=rma.store_id, order_id=rma.order_id)
    store = session.get(Store, rma.store_id)
    from afterward.returns import labels  # reportlab: loaded by the first label drawn

    pdf = labels.render(labels.LabelFacts(
        number=rma.number, store_name=store.name if store else "",
        order_number=order.number if order else "",
        items=[f"{line.quantity} x {line.title}" for line in rma.lines],
        qr_text=rma.number))
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="return-{rma.number}.pdf"',
        "Cache-Control": "private, no-store"})
