"""The shopper's links to a return: its status page (signed with the install's secret
key, no expiry: the page follows the return for as long as it lasts). The web layer
serves it; the portal and messages link it."""

from __future__ import annotations

from itsdangerous import URLSafeSerializer

PATH = "/returns"
STATUS_SALT = "afterward.returns.status.v1"


def signed_return(secret: str, store_id: int, return_id: int) -> str:
    return URLSafeSerializer(secret, salt=STATUS_SALT).dumps([store_id, return_id])


def status_path(secret: str, store_id: int, return_id: int) -> str:
    return f"{PATH}/r/{signed_return(secret, store_id, return_id)}"
