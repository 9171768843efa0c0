"""The returns portal's credentials: signed links to an order's portal and to a
return's status page (the shopper's email never appears in a URL), and the CSRF
value of its forms (form_csrf.py: a random value in a signed, HttpOnly,
SameSite=Strict cookie, echoed in a hidden field)."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from afterward.config import Settings
from afterward.returns.links import STATUS_SALT, signed_return
from afterward.web.pages.form_csrf import FormCsrf

PATH = "/returns"
COOKIE = "aw_returns"
CSRF_MAX_AGE = 2 * 3600
ORDER_MAX_AGE = 180 * 86400  # a link from an email outlives any return window
MAX_TOKEN = 300
_ORDER, _RETURN, _CSRF = ("afterward.returns.order.v1", STATUS_SALT, "afterward.returns.csrf.v1")


def _secret(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.secret_key


def order_token(request: Request, store_id: int, order_id: int) -> str:
    return signed_order(_secret(request), store_id, order_id)


def signed_order(secret: str, store_id: int, order_id: int) -> str:
    """An order's portal token, from the install's secret key (it expires after
    ORDER_MAX_AGE)."""
    return URLSafeTimedSerializer(secret, salt=_ORDER).dumps([store_id, order_id])


def read_order_token(request: Request, token: str) -> tuple[int, int] | None:
    if len(token) > MAX_TOKEN:
        return None
    try:
        value: Any = URLSafeTimedSerializer(_secret(request), salt=_ORDER).loads(
            token, max_age=ORDER_MAX_AGE)
    except BadSignature:
        return None
    return _pair(value)


def return_token(request: Request, store_id: int, return_id: int) -> str:
    return signed_return(_secret(request), store_id, return_id)


def read_return_token(request: Request, token: str) -> tuple[int, int] | None:
    if len(token) > MAX_TOKEN:
        return None
    try:
        value: Any = URLSafeSerializer(_secret(request), salt=_RETURN).loads(token)
    except BadSignature:
        return None
    return _pair(value)


def _pair(value: Any) -> tuple[int, int] | None:
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        return value[0], value[1]
    return None


def order_path(request: Request, store_id: int, order_id: int) -> str:
    return f"{PATH}/o/{order_token(request, store_id, order_id)}"


def status_path(request: Request, store_id: int, return_id: int) -> str:
    return f"{PATH}/r/{return_token(request, store_id, return_id)}"


FORMS = FormCsrf(COOKIE, PATH, _CSRF, CSRF_MAX_AGE)


def cookie_csrf(request: Request) -> str | None:
    return FORMS.from_cookie(request)


def csrf_ok(request: Request, submitted: str) -> bool:
    return FORMS.ok(request, submitted)


def csrf_value(request: Request) -> str:
    return FORMS.value(request)


def set_csrf(request: Request, response: Response, csrf: str) -> Response:
    return FORMS.set(request, response, csrf)
