"""Admin users: create, authenticate, list, and which stores each may see.
Takes a session, never commits."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afterward.accounts.models import AdminUser
from afterward.commerce import validation
from afterward.commerce.models import Store
from afterward.storage.types import utcnow

MIN_PASSWORD_LENGTH = 10
# argon2 hashes the whole input; a cap keeps one login from costing a megabyte of work.
MAX_PASSWORD_LENGTH = 1024


class AccountError(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


@cache
def hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _decoy_hash() -> str:
    # Verifying against this for unknown emails makes a miss cost what a hit costs.
    return hasher().hash("afterward-decoy-password")


def normalize_email(email: str) -> str:
    try:
        return validation.email_address(email).lower()
    except validation.InvalidValue as exc:
        raise AccountError("invalid_email", exc.message, "email") from exc


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("weak_password",
                           f"a password has at least {MIN_PASSWORD_LENGTH} characters", "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("long_password",
                           f"a password has at most {MAX_PASSWORD_LENGTH} characters", "password")


def create_user(session: Session, *, email: str, password: str,
                store_slugs: Iterable[str] = (), owner: bool = False) -> AdminUser:
    address = normalize_email(email)
    check_password(password)
    slugs = sorted(set(store_slugs))
    if not slugs and not owner:
        raise AccountError("no_store", "give the user at least one store, or make them an owner",
                           "stores")
    if get_by_email(session, address) is not None:
        raise AccountError("user_exists", f"an admin user {address!r} already exists", "email")
    stores = list(session.scalars(select(Store).where(Store.slug.in_(slugs))))
    missing = sorted(set(slugs) - {s.slug for s in stores})
    if missing:
        raise AccountError("unknown_store", f"no store {missing[0]!r}", "stores")
    user = AdminUser(email=address, password_hash=hasher().hash(password), is_owner=owner)
    user.stores = stores
    session.add(user)
    session.flush()
    return user


def get_by_email(session: Session, email: str) -> AdminUser | None:
    return session.scalar(select(AdminUser).where(
        func.lower(AdminUser.email) == email.strip().lower()))


def get_user(session: Session, user_id: int) -> AdminUser | None:
    return session.get(AdminUser, user_id)


def list_users(session: Session) -> list[AdminUser]:
    return list(session.scalars(select(AdminUser).order_by(AdminUser.email)))


def authenticate(session: Session, *, email: str, password: str) -> AdminUser | None:
    """The user when the password matches, else None. Upgrades an outdated hash."""
    user = check_credentials(session, email=email, password=password)
    if user is None:
        return None
    return note_login(session, user_id=user.id, password=password)


def check_credentials(session: Session, *, email: str, password: str) -> AdminUser | None:
    """Read-only half of authenticate: the slow hash check, no writes."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return None
    user = get_by_email(session, email)
    if user is None:
        _verify(_decoy_hash(), password)
        return None
    return user if _verify(user.password_hash, password) else None


def note_login(session: Session, *, user_id: int, password: str) -> AdminUser | None:
    """Write half of authenticate, for a password already checked."""
    user = get_user(session, user_id)
    if user is None:
        return None
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hasher().hash(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def visible_stores(session: Session, user: AdminUser) -> list[Store]:
    """An owner sees every store; anyone else the stores they were given."""
    if user.is_owner:
        return list(session.scalars(select(Store).order_by(Store.name, Store.id)))
    return sorted(user.stores, key=lambda s: (s.name, s.id))
