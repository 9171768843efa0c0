"""Rendering shopper pages: their own Jinja2 environment (the admin's has its own
filters and headers), the language switcher, and the headers every shopper page carries. The
store's colours arrive as CSS custom properties in a <style> allowed by a nonce."""

from __future__ import annotations

import secrets
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from afterward.catalogues import LANGUAGES
from afterward.web.pages.language import Speaker, html_lang
from afterward.web.pages.view import Brand

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def security_headers(nonce: str) -> dict[str, str]:
    # Images may come from the merchant's own CDN (logos, product photos); nothing
    # else is loaded from anywhere but here, and no script runs at all.
    return {
        "Cache-Control": "no-store",
        "Content-Security-Policy": f"default-src 'none'; style-src 'self' 'nonce-{nonce}'; "
                                   "img-src 'self' data: https:; form-action 'self'; "
                                   "frame-ancestors 'none'; base-uri 'none'",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "X-Robots-Tag": "noindex, nofollow",
    }


@cache
def templates() -> Jinja2Templates:
    # auto_reload off: templates ship with the code, so no stat() of every template file
    # on every page view to see whether it changed.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, auto_reload=False)
    return Jinja2Templates(env=env)


def switcher(request: Request, current: str,
             keep: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """A link per language to this same page: GET parameters kept (only those in
    `keep`, when given), lang replaced."""
    params = tuple((k, v) for k, v in request.query_params.multi_items()
                   if k != "lang" and (keep is None or k in keep))
    path = request.url.path
    return [{"code": code, "name": name, "lang": html_lang(code),
             "url": f"{path}?{query}", "current": code == current}
            for code, name, query in _queries(params)]


@lru_cache(maxsize=256)
def _queries(params: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str, str], ...]:
    """(code, name, query string) per language: the same few on most page views."""
    return tuple((code, name, urlencode([*params, ("lang", code)]))
                 for code, name in LANGUAGES.items())


def render_text(request: Request, name: str, say: Speaker, context: dict[str, Any], *,
                brand: Brand | None, nonce: str,
                keep_params: frozenset[str] | None = None) -> str:
    """The page as text, as `render` writes it with this nonce: for a page whose text
    is kept (with placeholders for what differs per view) and served with
    `html_response`."""
    ctx = {"request": request, "_": say.gettext, "ngettext": say.ngettext,
           "lang": html_lang(say.code), "languages": switcher(request, say.code, keep_params),
           "brand": brand, "nonce": nonce, **context}
    return templates().get_template(name).render(ctx)


def html_response(body: str, *, nonce: str, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    """A page written by `render_text`, with the headers every shopper page carries."""
    return HTMLResponse(body, status_code=status,
                        headers={**security_headers(nonce), **(headers or {})})


def render(request: Request, name: str, say: Speaker, context: dict[str, Any],
           *, brand: Brand | None = None, status: int = 200,
           headers: dict[str, str] | None = None,
           keep_params: frozenset[str] | None = None) -> Response:
    nonce = secrets.token_urlsafe(16)
    ctx = {"_": say.gettext, "ngettext": say.ngettext, "lang": html_lang(say.code),
           "languages": switcher(request, say.code, keep_params), "brand": brand, "nonce": nonce,
           **context}
    return templates().TemplateResponse(request, name, ctx, status_code=status,
                                        headers={**security_headers(nonce), **(headers or {})})
