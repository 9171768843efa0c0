"""The returns portal's forms: what was posted, read into a return request (or the
problem with it), and the words for each refusal in the shopper's language.

The form carries only choices: order line ids, quantities, reasons, comments, the
tokens of photos already uploaded, a resolution, an exchange SKU, and for a gift the
recipient's email and name. The order comes from the signed link, prices and amounts
are always computed here; a line id the order does not have, a quantity that is not a
number, or any other field changed by hand is a problem, never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from afterward.commerce.models import Order
from afterward.modules import N_
from afterward.returns.photo_files import MAX_PER_LINE
from afterward.returns.policy import RESOLUTIONS
from afterward.returns.schemas import GiftRecipientIn, ReturnIn, ReturnLineIn

MAX_COMMENT = 2000
MAX_UNITS = 100_000

MESSAGES: dict[str, str] = {
    "order_not_found": N_("We could not find that order."),
    "return_window_closed": N_("The return window for this order has closed."),
    "quantity_exceeds_returnable": N_("You chose more of an item than can be returned."),
    "already_returned": N_("This item is already being returned."),
    "item_not_returnable": N_("This item cannot be returned."),
    "unknown_reason": N_("Choose a reason for each item from the list."),
    "resolution_not_offered": N_("This option is not available for this return."),
    "unknown_exchange_sku": N_("Choose an item to exchange for from the list."),
    "exchange_not_allowed": N_("An exchange is for another version of the same product."),
    "exchange_out_of_stock": N_("That item is out of stock. Please choose another."),
    "idempotency_key_reused": N_("This form was already sent with other choices. "
                                 "Please start again."),
    "nothing_chosen": N_("Choose at least one item to return."),
    "photo_required": N_("Please add a photo of each damaged, faulty or wrong item."),
    "photo_too_large": N_("A photo is too large. Each photo may be up to 8 MB."),
    "photo_not_an_image": N_("A file is not a photo we can read. Please add JPEG, PNG "
                             "or WebP photos."),
    "photo_too_many_pixels": N_("A photo has too many pixels. Please add a smaller "
                                "photo."),
    "too_many_photos": N_("You can add up to 3 photos per item."),
    "gift_email": N_("For a gift, please give your email address: the store credit "
                     "will be yours."),
    "gift_returns_not_offered": N_("This store does not take gift returns."),
    "instant_exchange_not_offered": N_("Sending the exchange before your parcel arrives "
                                       "is not offered for this return."),
    "tampered": N_("This form was changed and cannot be used. Please start again."),
    "expired": N_("This form had expired, so nothing was changed. Please make your "
                  "choices again."),
}
GENERIC = N_("Something in the form was not right. Please check your choices.")

REASONS: dict[str, str] = {
    "too_small": N_("Too small"), "too_large": N_("Too large"),
    "not_as_described": N_("Not as described"), "damaged": N_("Arrived damaged"),
    "defective": N_("Does not work"), "wrong_item": N_("Wrong item sent"),
    "changed_mind": N_("Changed my mind"), "arrived_late": N_("Arrived too late"),
    "other": N_("Another reason"),
}
RESOLUTION_NAMES: dict[str, str] = {
    "refund": N_("Refund to your original payment"), "store_credit": N_("Store credit"),
    "exchange": N_("Exchange for another item"), "keep": N_("Keep the item"),
}
LINE_REFUSALS: dict[str, str] = {
    "item_not_returnable": N_("Cannot be returned"),
    "already_returned": N_("Already being returned"),
    "return_window_closed": N_("The return window has closed"),
    "quantity_exceeds_returnable": N_("Already returned or refunded"),
}


class Problem(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def message(code: str) -> str:
    return MESSAGES.get(code, GENERIC)


def reason_label(code: str) -> str:
    return REASONS.get(code, code.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Chosen:
    line_id: int
    sku: str
    quantity: int
    reason: str
    comment: str
    photos: tuple[str, ...] = ()  # tokens of the photos uploaded for it


def photo_tokens(form: Mapping[str, str], line_id: int) -> tuple[str, ...]:
    """The tokens of a line's photos uploaded at an earlier step (space-separated)."""
    tokens = tuple(str(form.get(f"photos_{line_id}", "")).split())
    if len(tokens) > MAX_PER_LINE:
        raise Problem("too_many_photos")
    if any(len(t) != 43 or not all(c.isalnum() or c in "-_" for c in t) for t in tokens):
        raise Problem("tampered")
    return tokens


def chosen_lines(form: Mapping[str, str], order: Order) -> list[Chosen]:
    """The lines the form asks to return (a quantity above 0)."""
    lines = {line.id: line for line in order.lines}
    out = []
    for name, raw in form.items():
        if not name.startswith("qty_"):
            continue
        line_id, quantity = _int(name[4:]), _int(raw)
        line = lines.get(line_id) if line_id is not None else None
        if line is None or quantity is None or not 0 <= quantity <= MAX_UNITS:
            raise Problem("tampered")
        if quantity:
            out.append(Chosen(line.id, line.sku or "", quantity,
                              str(form.get(f"reason_{line.id}", "")).strip(),
                              str(form.get(f"comment_{line.id}", "")).strip()[:MAX_COMMENT],
                              photo_tokens(form, line.id)))
    if not out:
        raise Problem("nothing_chosen")
    if any(not c.reason for c in out):
        raise Problem("unknown_reason")
    return out


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def gift(form: Mapping[str, str]) -> GiftRecipientIn | None:
    """The recipient of a gift, when the form says it was one."""
    if form.get("gift") != "1":
        return None
    name = str(form.get("gift_name", "")).strip()[:200] or None
    try:
        return GiftRecipientIn(email=str(form.get("gift_email", "")).strip()[:320], name=name)
    except ValidationError as exc:
        raise Problem("gift_email") from exc


def request(order: Order, chosen: list[Chosen], resolution: str = "refund",
            exchange_for_sku: str | None = None,
            recipient: GiftRecipientIn | None = None, instant: bool = False) -> ReturnIn:
    if resolution not in RESOLUTIONS:
        raise Problem("resolution_not_offered")
    if resolution == "exchange" and not exchange_for_sku:
        raise Problem("unknown_exchange_sku")
    try:
        lines = [ReturnLineIn(sku=c.sku, quantity=c.quantity, reason=c.reason,
                              comment=c.comment or None) for c in chosen]
        return ReturnIn(order_number=order.number, lines=lines, resolution=resolution,
                        exchange_for_sku=exchange_for_sku if resolution == "exchange" else None,
                        gift_recipient=recipient,
                        instant_exchange=instant and resolution == "exchange")
    except ValidationError as exc:
        fields = {str(error["loc"][-1]) for error in exc.errors() if error["loc"]}
        if "reason" in fields:
            raise Problem("unknown_reason") from exc
        if "exchange_for_sku" in fields:
            raise Problem("unknown_exchange_sku") from exc
        raise Problem("tampered") from exc


def instant(form: Mapping[str, str]) -> bool:
    """The shopper asked for the exchange to be sent at the parcel's first scan."""
    return form.get("instant_exchange") == "1" and form.get("resolution") == "exchange"


def hidden_fields(chosen: list[Chosen], recipient: GiftRecipientIn | None = None
                  ) -> list[tuple[str, str]]:
    """The choices again, for the next step's form."""
    fields = []
    for c in chosen:
        fields += [(f"qty_{c.line_id}", str(c.quantity)), (f"reason_{c.line_id}", c.reason),
                   (f"comment_{c.line_id}", c.comment)]
        if c.photos:
            fields.append((f"photos_{c.line_id}", " ".join(c.photos)))
    if recipient is not None:
        fields += [("gift", "1"), ("gift_email", recipient.email),
                   ("gift_name", recipient.name or "")]
    return fields
