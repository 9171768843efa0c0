"""A return's status page: /returns/r/{signed token}, where the portal lands after
confirming. It follows the return to the end: asked for, approved (with the label's
link and its QR code), received, resolved, or not accepted and why; with the photos
the shopper added, served under the same signed token (/returns/r/{token}/photos/{id}:
no token, no photo, and a photo of another return is a 404)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.responses import Response

from afterward.commerce import service as commerce
from afterward.commerce.models import Store
from afterward.modules import N_
from afterward.returns import photos, service
from afterward.returns.models import Return
from afterward.storage.db import Database
from afterward.web import i18n
from afterward.web.pages import returns_form as forms
from afterward.web.pages import returns_links as links
from afterward.web.pages.language import Speaker
from afterward.web.pages.render import render
from afterward.web.pages.returns_portal import not_found
from afterward.web.pages.tracking import lang_query, speaker_for
from afterward.web.pages.view import Brand

router = APIRouter(include_in_schema=False)

STATUSES = {
    "requested": (N_("Waiting for review"),
                  N_("We are looking at your request and will email you soon.")),
    "approved": (N_("Approved: please send it back"),
                 N_("Print the label, or show the QR code at a drop-off point.")),
    "in_transit": (N_("On its way back"),
                   N_("Your parcel is on its way to us. We will check it when it arrives.")),
    "received": (N_("Received"), N_("Your return arrived and is being checked.")),
    "resolved": (N_("Done"), N_("Your return is complete.")),
    "rejected": (N_("Not accepted"), N_("This return was not accepted.")),
}
STATUSES["label_issued"] = STATUSES["approved"]
KEPT = N_("Keep the item: there is nothing to send back.")
LABEL_PENDING = N_("Your shipping label is being prepared. Come back to this page in a few "
                   "minutes.")
# The form for the tracking number of a parcel sent with our own label (return_parcel.py).
PROBLEMS = {"expired": forms.MESSAGES["expired"],
            "tracking_number": N_("This does not look like a tracking number. Please check "
                                  "it and try again.")}
STEPS = (("requested", N_("Asked for")), ("approved", N_("Approved")),
         ("received", N_("Received")), ("resolved", N_("Done")))


@router.get("/returns/r/{token}")
def status_page(request: Request, token: str) -> Response:
    return show(request, token)


def can_tell_tracking(rma: Return) -> bool:
    """Sent back with our own label and not yet tracked: the shopper may tell us the
    parcel's tracking number."""
    return rma.status == "approved" and rma.label_carrier is None and rma.resolution != "keep"


def show(request: Request, token: str, *, problem: str | None = None, status: int = 200,
         typed: str = "") -> Response:
    found = links.read_return_token(request, token)
    if found is None:
        return not_found(request)
    db: Database = request.app.state.db
    with db.reading() as session:
        rma = service.get_return(session, store_id=found[0], return_id=found[1])
        store = session.get(Store, found[0])
        if rma is None or store is None:
            return not_found(request)
        order = commerce.get_order(session, store_id=rma.store_id, order_id=rma.order_id)
        say = speaker_for(request, store, None)
        pictures: dict[int, list[str]] = {}
        for photo in photos.of_return(session, store_id=rma.store_id, return_id=rma.id):
            pictures.setdefault(photo.return_line_id or 0, []).append(
                f"{links.PATH}/r/{token}/photos/{photo.id}")
        tell = can_tell_tracking(rma)
        csrf = links.csrf_value(request) if tell else None
        response = render(request, "pages/return_status.html", say, {
            **_words(rma, say), "rma": rma, "order_number": order.number if order else "",
            "lines": [(line.quantity, line.title, say.gettext(forms.reason_label(line.reason)),
                       line.comment, pictures.get(line.id, [])) for line in rma.lines],
            **_label(rma, say), "receive": _exchange_item(session, rma),
            "lang_query": lang_query(request), "tell_tracking": tell, "csrf": csrf,
            "tracking_action": f"/returns/r/{token}/tracking" + lang_query(request),
            "problem": say.gettext(PROBLEMS[problem]) if problem in PROBLEMS else None,
            "typed": typed,
            "assistant_order": links.order_token(request, store.id, rma.order_id)},
            brand=Brand.of(store), keep_params=frozenset(), status=status)
        with_chat(response)
        return links.set_csrf(request, response, csrf) if csrf else response


def with_chat(response: Response) -> Response:
    """The assistant's chat about the return's order: its script, and its posts to here."""
    policy = response.headers["content-security-policy"]
    response.headers["content-security-policy"] = policy.replace(
        "style-src", "script-src 'self'; connect-src 'self'; style-src")
    return response


def _label(rma: Return, say: Speaker) -> dict[str, object]:
    """Our own PDF label and its QR code; a carrier's label once bought (until then,
    that it is being prepared)."""
    if not service.has_label(rma):
        return {"label_url": None, "qr": None, "label_pending": None}
    if rma.label_carrier is not None and rma.status in service.AWAITING_PARCEL:
        if rma.label_status == "issued" and rma.carrier_label_url:
            return {"label_url": rma.carrier_label_url, "qr": None, "label_pending": None}
        if rma.label_status == "pending":
            return {"label_url": None, "qr": None, "label_pending": say.gettext(LABEL_PENDING)}
    from afterward.returns import labels  # reportlab: loaded by the first page that draws

    return {"label_url": service.label_path(rma), "qr": Markup(labels.qr_svg(rma.number)),
            "label_pending": None}


@router.get("/returns/r/{token}/photos/{photo_id}")
def photo(request: Request, token: str, photo_id: str) -> Response:
    found = links.read_return_token(request, token)
    if found is None or not (photo_id.isascii() and photo_id.isdigit()) or len(photo_id) > 18:
        return not_found(request)
    db: Database = request.app.state.db
    with db.reading() as session:
        picture = photos.get(session, store_id=found[0], return_id=found[1],
                             photo_id=int(photo_id))
        if picture is None:
            return not_found(request)
        return Response(picture.data, media_type=picture.content_type, headers={
            "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'"})


def _exchange_item(session: Session, rma: Return) -> str | None:
    """What an exchange sends back: two teapots, "2 x Teapot Large" with a times sign."""
    if rma.resolution != "exchange" or not rma.exchange_for_sku:
        return None
    variant = commerce.variant_by_sku(session, store_id=rma.store_id, sku=rma.exchange_for_sku)
    title = (" ".join(t for t in (variant.product.title, variant.title) if t)
             if variant is not None and variant.product is not None else rma.exchange_for_sku)
    return f"{sum(line.quantity for line in rma.lines)} \u00d7 {title}"


def _words(rma: Return, say: Speaker) -> dict[str, object]:
    headline, explanation = STATUSES.get(rma.status, STATUSES["requested"])
    if rma.resolution == "keep" and rma.status == "resolved":
        explanation = KEPT
    def money(minor: int) -> str:
        return i18n.money(minor, rma.currency, say.code)

    reached = {"requested": rma.created_at, "approved": rma.approved_at,
               "in_transit": rma.in_transit_at, "received": rma.received_at,
               "resolved": rma.resolved_at}
    steps = STEPS if rma.inbound_shipment_id is None else (
        *STEPS[:2], ("in_transit", STATUSES["in_transit"][0]), *STEPS[2:])
    return {
        "headline": say.gettext(headline), "explanation": say.gettext(explanation),
        "resolution": say.gettext(forms.RESOLUTION_NAMES.get(rma.resolution, "")),
        "steps": [(say.gettext(name), say.day(reached[key]) if reached[key] else None)
                  for key, name in steps] if rma.status != "rejected" else [],
        "amounts": _amounts(rma, money, say),
        "deadline": say.day(rma.deadline_at) if rma.deadline_at else None,
    }


def _amounts(rma: Return, show: Callable[[int], str], say: Speaker) -> list[tuple[str, str]]:
    rows = [(say.gettext("What you return is worth"), show(rma.value_minor))]
    if rma.fee_minor:
        rows.append((say.gettext("Return fee"), "\u2212" + show(rma.fee_minor)))
    if rma.resolution == "exchange" and rma.bonus_minor:
        rows.append((say.gettext("Bonus"), show(rma.bonus_minor)))
    if rma.credit_minor:
        rows.append((say.gettext("Store credit for you"), show(rma.credit_minor)))
    if rma.refund_minor:
        rows.append((say.gettext("Refund to your original payment"), show(rma.refund_minor)))
    if rma.difference_minor and rma.difference_minor > 0:
        rows.append((say.gettext("You pay the difference"), show(rma.difference_minor)))
    return rows
