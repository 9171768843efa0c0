"""The CSRF value of a shopper page's forms: a random value in a signed, HttpOnly,
SameSite=Strict cookie scoped to the pages' path, echoed in a hidden field (the
returns portal's and the loyalty page's forms; each with its own cookie and salt)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from afterward.config import Settings
from afterward.web.pages.language import Speaker
from afterward.web.pages.render import render
from afterward.web.pages.view import Brand

MAX_COOKIE = 300


@dataclass(frozen=True)
class FormCsrf:
    cookie: str
    path: str
    salt: str
    max_age: int = 2 * 3600

    def _serializer(self, request: Request) -> URLSafeTimedSerializer:
        settings: Settings = request.app.state.settings
        return URLSafeTimedSerializer(settings.secret_key, salt=self.salt)

    def from_cookie(self, request: Request) -> str | None:
        raw = request.cookies.get(self.cookie)
        if not raw or len(raw) > MAX_COOKIE:
            return None
        try:
            value: Any = self._serializer(request).loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def ok(self, request: Request, submitted: str) -> bool:
        expected = self.from_cookie(request)
        return bool(expected and submitted) and hmac.compare_digest(
            str(expected).encode(), submitted.encode())

    def value(self, request: Request) -> str:
        """The value the page's forms carry: the cookie's, or a new one."""
        return self.from_cookie(request) or secrets.token_urlsafe(32)

    def set(self, request: Request, response: Response, csrf: str) -> Response:
        settings: Settings = request.app.state.settings
        response.set_cookie(self.cookie, self._serializer(request).dumps(csrf),
                            max_age=self.max_age, path=self.path, httponly=True,
                            samesite="strict", secure=settings.secure_cookies)
        return response

    def page(self, request: Request, name: str, say: Speaker, context: dict[str, Any], *,
             brand: Brand, status: int = 200) -> Response:
        """A shopper page whose forms carry this CSRF value (and the cookie that holds
        it); the language links keep no other parameter."""
        csrf = self.value(request)
        response = render(request, name, say, {**context, "csrf": csrf}, brand=brand,
                          status=status, keep_params=frozenset())
        return self.set(request, response, csrf)
