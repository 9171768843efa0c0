"""The preference centre: /preferences/{token}, linked from every email's footer.

The signed token (LinkSigner, purpose "preferences") is the shopper's credential:
it names the message, hence the store, the customer and the address. Saving is a
POST guarded like the admin's forms: a random CSRF value in a signed, HttpOnly,
SameSite=Strict cookie set with the form, echoed in a hidden field and compared in
constant time. The token alone would let anyone who holds the link post, and a
forged cross-site POST would carry it too (it is in the URL); the cookie is what
another site cannot read or set, so a page elsewhere cannot change someone's
choices. No server state, no JavaScript; a missing or stale cookie changes
nothing and shows the form again with a fresh one."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import APIRouter, Form, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from afterward.config import Settings
from afterward.messaging import preferences
from afterward.messaging.tokens import LinkSigner
from afterward.storage.db import Database
from afterward.web.pages.render import render
from afterward.web.pages.tracking import lang_query, speaker_for
from afterward.web.pages.view import Brand

router = APIRouter(include_in_schema=False)

COOKIE = "aw_prefs"
PATH = "/preferences"
MAX_AGE_SECONDS = 2 * 3600
_SALT = "afterward.preferences.csrf.v1"
MAX_TOKEN = 500


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _links(request: Request) -> LinkSigner:
    settings = _settings(request)
    return LinkSigner(settings.secret_key, settings.public_url)


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_settings(request).secret_key, salt=_SALT)


def _cookie_csrf(request: Request) -> str | None:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 300:
        return None
    try:
        value: Any = _serializer(request).loads(raw, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def csrf_ok(request: Request, submitted: str) -> bool:
    expected = _cookie_csrf(request)
    return bool(expected and submitted) and hmac.compare_digest(
        str(expected).encode(), submitted.encode())


def not_found(request: Request) -> Response:
    say = speaker_for(request, None, None)
    return render(request, "pages/preferences_missing.html", say, {}, status=404)


def _page(request: Request, token: str, subject: preferences.Subject,
          rows: list[preferences.Choice], *, notice: str | None = None,
          status: int = 200) -> Response:
    say = speaker_for(request, subject.store, subject.customer)
    csrf = _cookie_csrf(request) or secrets.token_urlsafe(32)
    response = render(request, "pages/preferences.html", say, {
        "choices": rows, "csrf": csrf, "notice": notice, "store_name": subject.store.name,
        "action": f"{PATH}/{token}{lang_query(request)}"},
        brand=Brand.of(subject.store), status=status,
        keep_params=frozenset())  # a language link does not repeat the notice
    settings = _settings(request)
    response.set_cookie(COOKIE, _serializer(request).dumps(csrf), max_age=MAX_AGE_SECONDS,
                        path=PATH, httponly=True, samesite="strict",
                        secure=settings.secure_cookies)
    return response


@router.get("/preferences/{token}")
def preferences_page(request: Request, token: str) -> Response:
    if len(token) > MAX_TOKEN:
        return not_found(request)
    db: Database = request.app.state.db
    with db.reading() as session:
        subject = preferences.subject_for(session, token=token, links=_links(request))
        if subject is None:
            return not_found(request)
        saved = request.query_params.get("saved")
        notice = {"1": "saved", "all": "unsubscribed"}.get(saved or "")
        return _page(request, token, subject, preferences.choices(session, subject),
                     notice=notice)


@router.post("/preferences/{token}")
def preferences_save(request: Request, token: str, csrf: str = Form(""),
                     email: str = Form(""), sms: str = Form(""),
                     action: str = Form("save")) -> Response:
    if len(token) > MAX_TOKEN:
        return not_found(request)
    db: Database = request.app.state.db
    if not csrf_ok(request, csrf):
        with db.reading() as session:
            subject = preferences.subject_for(session, token=token, links=_links(request))
            if subject is None:
                return not_found(request)
            return _page(request, token, subject, preferences.choices(session, subject),
                         notice="expired", status=403)
    everything_off = action == "unsubscribe_all"
    wanted = {"email": bool(email) and not everything_off, "sms": bool(sms) and not everything_off}

    def work(session: Session) -> bool:
        subject = preferences.subject_for(session, token=token, links=_links(request))
        if subject is not None:
            preferences.save(session, subject, wanted)
        return subject is not None

    if not db.run(work):
        return not_found(request)
    lang = lang_query(request)
    done = "all" if everything_off else "1"
    location = f"{PATH}/{token}{lang}{'&' if lang else '?'}saved={done}"
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})
