"""The shopper's link to an order's review form (/review/{token}): signed with the
install's secret key, naming the store and the order (never the email address), and
expiring: the signature carries when it was made, and the form refuses it after the
store's `link_days` (settings.py). Each message (the request, its reminders) signs a
fresh one. The web layer reads it back (web/pages/review_form.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PATH = "/review"
SALT = "afterward.feedback.review.v1"
MAX_TOKEN = 300
MAX_AGE_SECONDS = 3650 * 86400  # the signature's own bound; the store's is checked after


@dataclass(frozen=True)
class Reading:
    store_id: int
    order_id: int
    signed_at: datetime


def signed_order(secret: str, store_id: int, order_id: int) -> str:
    return URLSafeTimedSerializer(secret, salt=SALT).dumps([store_id, order_id])


def form_path(secret: str, store_id: int, order_id: int) -> str:
    return f"{PATH}/{signed_order(secret, store_id, order_id)}"


def form_url(public_url: str, secret: str, store_id: int, order_id: int) -> str:
    """The form's full address, for a message: `public_url` + the signed path."""
    return public_url.rstrip("/") + form_path(secret, store_id, order_id)


def read(secret: str, token: str) -> Reading | None:
    """What a token this install signed names, with when it was signed; None for a
    token that is not ours (tampered, truncated, another salt)."""
    if len(token) > MAX_TOKEN:
        return None
    try:
        value: Any
        value, at = URLSafeTimedSerializer(secret, salt=SALT).loads(
            token, max_age=MAX_AGE_SECONDS, return_timestamp=True)
    except SignatureExpired:
        return None
    except BadSignature:
        return None
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        return Reading(value[0], value[1], at.astimezone(UTC))
    return None
