"""The shopper's link to their loyalty page (/loyalty/{token}): signed with the
install's secret key, naming the store and the customer (the email address never
appears in a URL), without expiry, as a return's status link. Messages build it
with `member_url`; the web layer reads it back (web/pages/loyalty.py)."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

PATH = "/loyalty"
SALT = "afterward.loyalty.member.v1"
MAX_TOKEN = 300


def signed_member(secret: str, store_id: int, customer_id: int) -> str:
    return URLSafeSerializer(secret, salt=SALT).dumps([store_id, customer_id])


def member_path(secret: str, store_id: int, customer_id: int) -> str:
    return f"{PATH}/{signed_member(secret, store_id, customer_id)}"


def member_url(public_url: str, secret: str, store_id: int, customer_id: int) -> str:
    """The page's full address, for a message: `public_url` + the signed path."""
    return public_url.rstrip("/") + member_path(secret, store_id, customer_id)


def read_member(secret: str, token: str) -> tuple[int, int] | None:
    """(store id, customer id) of a token this install signed, else None."""
    if len(token) > MAX_TOKEN:
        return None
    try:
        value: Any = URLSafeSerializer(secret, salt=SALT).loads(token)
    except BadSignature:
        return None
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        return value[0], value[1]
    return None
