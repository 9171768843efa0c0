"""Rendering admin pages: the Jinja2 environment, display filters, the headers every
admin page carries, and the route class that turns refusals into readable pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jinja2
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from afterward import modules
from afterward.web.admin import display
from afterward.web.pages import language
from afterward.web.pages.language import Speaker

if TYPE_CHECKING:
    from afterward.web.admin.context import StoreView

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


class PageError(Exception):
    """A refusal shown as a page: `kind` picks the wording in admin/error.html."""

    def __init__(self, status: int, kind: str) -> None:
        super().__init__(kind)
        self.status, self.kind = status, kind


class Redirect(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@cache
def templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters.update(display.FILTERS)
    env.globals["navigation"] = modules.navigation()  # each installed module's entries
    return Jinja2Templates(env=env)


def speaker(request: Request, store: StoreView | None) -> Speaker:
    """The language the admin's words are in: the browser's, else the store's. Figures
    and moments are always in the store's locale and time zone (see display.py)."""
    code = language.choose(query=None, customer=None,
                           accept_language=request.headers.get("accept-language"),
                           store=store.locale if store else None)
    return Speaker(code, store.timezone if store else "UTC")


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status: int = 200) -> Response:
    ctx = {"admin": None, "store": None, **(context or {})}
    say = speaker(request, ctx["store"])
    ctx.update({"_": say.gettext, "ngettext": say.ngettext, "lang": language.html_lang(say.code)})
    return templates().TemplateResponse(request, name, ctx, status_code=status,
                                        headers=SECURITY_HEADERS)


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def safe_next(value: str | None, default: str = "/admin") -> str:
    """Only a path inside the admin, so a crafted link cannot send a user elsewhere."""
    if not value or "\\" in value or any(ord(ch) < 32 for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/admin"):
        return default
    if value != "/admin" and not value.startswith(("/admin/", "/admin?")):
        return default
    return value


class AdminRoute(APIRoute):
    """Refusals from dependencies or handlers become pages, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except Redirect as exc:
                return redirect(exc.location)
            except PageError as exc:
                return error_page(request, exc.status, exc.kind)
            except RequestValidationError as exc:
                in_path = any(next(iter(err.get("loc") or ("",))) == "path"
                              for err in exc.errors())
                return error_page(request, 404 if in_path else 400,
                                  "not_found" if in_path else "bad_request")

        return handler


def error_page(request: Request, status: int, kind: str) -> Response:
    return render(request, "admin/error.html", {"kind": kind}, status=status)
