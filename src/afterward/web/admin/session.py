"""The admin session: a small signed cookie (itsdangerous) holding the user, the
current store and the CSRF token. Nothing secret is in it, only signed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass, replace
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from afterward.config import Settings

COOKIE = "aw_admin"
PATH = "/admin"
MAX_AGE_SECONDS = 12 * 3600
_SALT = "afterward.admin.session.v1"


@dataclass(frozen=True)
class SessionData:
    csrf: str
    user_id: int | None = None
    store_id: int | None = None
    # Tied to the password hash, so a password change ends every other session.
    fingerprint: str | None = None

    def for_store(self, store_id: int) -> SessionData:
        return replace(self, store_id=store_id)


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def anonymous() -> SessionData:
    return SessionData(csrf=new_csrf())


def signed_in(*, user_id: int, store_id: int | None, password_hash: str) -> SessionData:
    # A fresh CSRF token at sign-in: a token planted before login is worthless after.
    return SessionData(csrf=new_csrf(), user_id=user_id, store_id=store_id,
                       fingerprint=fingerprint(password_hash))


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT)


def read(request: Request) -> SessionData | None:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 1024:
        return None
    try:
        value: Any = _serializer(request.app.state.settings).loads(raw, max_age=MAX_AGE_SECONDS)
        return SessionData(csrf=str(value["csrf"]), user_id=_int(value.get("user_id")),
                           store_id=_int(value.get("store_id")),
                           fingerprint=value.get("fingerprint"))
    except (BadSignature, KeyError, TypeError, AttributeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def write(response: Response, settings: Settings, data: SessionData) -> None:
    response.set_cookie(COOKIE, _serializer(settings).dumps(asdict(data)),
                        max_age=MAX_AGE_SECONDS, path=PATH, httponly=True, samesite="lax",
                        secure=settings.secure_cookies)


def clear(response: Response, settings: Settings) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax",
                           secure=settings.secure_cookies)


def csrf_ok(data: SessionData | None, token: str) -> bool:
    if data is None or not token:
        return False
    return hmac.compare_digest(data.csrf.encode(), token.encode())
