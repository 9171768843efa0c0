"""Sign in, sign out and switch store."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from afterward.accounts import service as accounts
from afterward.config import Settings
from afterward.storage.db import Database
from afterward.web.admin import session
from afterward.web.admin.context import Admin, csrf_checked
from afterward.web.admin.pages import AdminRoute, PageError, redirect, render, safe_next
from afterward.web.admin.throttle import login_throttle

router = APIRouter(prefix="/admin", route_class=AdminRoute, include_in_schema=False)


def _login_page(request: Request, data: session.SessionData, *, next_path: str,
                email: str = "", problem: str | None = None, status: int = 200) -> Response:
    context: dict[str, Any] = {"csrf": data.csrf, "next": next_path, "email": email,
                               "problem": problem}
    response = render(request, "admin/login.html", context, status=status)
    session.write(response, request.app.state.settings, data)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    data = session.read(request)
    if data is not None and data.user_id is not None:
        return redirect(safe_next(next))
    return _login_page(request, data or session.anonymous(), next_path=safe_next(next))


@router.post("/login")
def login(request: Request, email: str = Form(""), password: str = Form(""),
          csrf: str = Form(""), next: str = Form("")) -> Response:
    data = session.read(request)
    if not session.csrf_ok(data, csrf):
        raise PageError(403, "csrf")
    assert data is not None
    next_path, email = safe_next(next), email.strip()[:320]
    if not email or not password:
        return _login_page(request, data, next_path=next_path, email=email,
                           problem="missing", status=400)
    # The attempt is counted before the password is checked, so guesses sent all at
    # once (to one process or several) cannot slip past the limit between check and count.
    db: Database = request.app.state.db
    throttle = login_throttle(request.app.state.settings)
    key = (email.lower(), request.client.host if request.client else "")
    if not throttle.attempt(db, *key):
        return _login_page(request, data, next_path=next_path, email=email,
                           problem="throttled", status=429)
    signed = _sign_in(db, email=email, password=password)
    if signed is None:
        return _login_page(request, data, next_path=next_path, email=email,
                           problem="bad_credentials", status=401)
    throttle.clear(db, *key)
    response = redirect(next_path)
    session.write(response, request.app.state.settings, signed)
    return response


def _sign_in(db: Database, *, email: str, password: str) -> session.SessionData | None:
    # The slow password check runs outside the write transaction, so failed
    # attempts never hold SQLite's writer lock.
    with db.reading() as s:
        user = accounts.check_credentials(s, email=email, password=password)
        if user is None:
            return None
        user_id = user.id
    with db.transaction() as s:
        user = accounts.note_login(s, user_id=user_id, password=password)
        if user is None:
            return None
        stores = accounts.visible_stores(s, user)
        return session.signed_in(user_id=user.id, store_id=stores[0].id if stores else None,
                                 password_hash=user.password_hash)


@router.post("/logout")
def logout(request: Request, admin: Admin = Depends(csrf_checked)) -> Response:
    response = redirect("/admin/login")
    settings: Settings = request.app.state.settings
    session.clear(response, settings)
    return response


@router.post("/store")
def switch_store(request: Request, store_id: str = Form(""),
                 admin: Admin = Depends(csrf_checked)) -> Response:
    chosen = admin.visible(int(store_id)) if store_id.isdecimal() and len(store_id) < 19 else None
    if chosen is None:
        raise PageError(404, "not_found")
    response = redirect("/admin")
    session.write(response, request.app.state.settings, admin.session.for_store(chosen.id))
    return response
