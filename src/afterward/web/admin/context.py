"""Who is signed in and which store they are looking at, for every admin route."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Depends, Form, Request

from afterward.accounts import service as accounts
from afterward.commerce.models import Store
from afterward.storage.db import Database
from afterward.web.admin import session
from afterward.web.admin.pages import PageError, Redirect, safe_next


@dataclass(frozen=True)
class StoreView:
    id: int
    slug: str
    name: str
    currency: str
    timezone: str
    locale: str

    @classmethod
    def of(cls, store: Store) -> StoreView:
        return cls(store.id, store.slug, store.name, store.currency, store.timezone, store.locale)


@dataclass(frozen=True)
class Admin:
    user_id: int
    email: str
    is_owner: bool
    stores: tuple[StoreView, ...]
    store: StoreView | None
    session: session.SessionData

    @property
    def csrf(self) -> str:
        return self.session.csrf

    def visible(self, store_id: int) -> StoreView | None:
        return next((s for s in self.stores if s.id == store_id), None)


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET" or safe_next(target) == "/admin":
        return "/admin/login"
    return "/admin/login?" + urlencode({"next": target})


def current_admin(request: Request) -> Admin:
    data = session.read(request)
    if data is None or data.user_id is None:
        raise Redirect(login_url(request))
    db: Database = request.app.state.db
    with db.reading() as s:
        user = accounts.get_user(s, data.user_id)
        if user is None or session.fingerprint(user.password_hash) != data.fingerprint:
            raise Redirect(login_url(request))
        stores = tuple(StoreView.of(st) for st in accounts.visible_stores(s, user))
        email, is_owner = user.email, user.is_owner
    chosen = next((st for st in stores if st.id == data.store_id), stores[0] if stores else None)
    return Admin(data.user_id, email, is_owner, stores, chosen, data)


def store_admin(admin: Admin = Depends(current_admin)) -> Admin:
    """An admin with a current store; every store-scoped page depends on this."""
    if admin.store is None:
        raise PageError(403, "no_store")
    return admin


def csrf_checked(admin: Admin = Depends(current_admin), csrf: str = Form("")) -> Admin:
    if not session.csrf_ok(admin.session, csrf):
        raise PageError(403, "csrf")
    return admin


def store_csrf_checked(admin: Admin = Depends(csrf_checked)) -> Admin:
    return store_admin(admin)


def current_store(admin: Admin) -> StoreView:
    assert admin.store is not None  # guaranteed by store_admin
    return admin.store
