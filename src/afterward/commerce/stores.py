"""Stores, their API keys (stored hashed) and inbound webhook secrets."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from afterward.commerce import validation as v
from afterward.commerce.models import ApiKey, Store, WebhookSecret
from afterward.storage.lookups import Lookup
from afterward.storage.types import utcnow

PROVIDERS = ("shopify", "easypost", "aftership", "shippo", "generic", "twilio")
KEY_PREFIX = "aw_"
# How long a replaced inbound webhook secret is still accepted, unless told otherwise.
DEFAULT_GRACE = timedelta(hours=24)
MAX_GRACE = timedelta(days=30)


class StoreError(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def hash_key(raw: str) -> str:
    # API keys carry 256 bits of randomness, so a fast hash is enough (no need for argon2).
    return hashlib.sha256(raw.encode()).hexdigest()


def create_store(
    session: Session,
    *,
    slug: str,
    name: str,
    currency: str = "USD",
    timezone: str = "UTC",
    locale: str = "en",
    brand_primary: str = "#1f3a5f",
    brand_accent: str = "#e07a1f",
    logo_url: str | None = None,
    support_email: str | None = None,
) -> Store:
    slug = v.slug(slug)
    if session.scalar(select(Store.id).where(Store.slug == slug)) is not None:
        raise StoreError("store_exists", f"a store with slug {slug!r} already exists", "slug")
    if not name.strip():
        raise StoreError("invalid", "a store needs a name", "name")
    store = Store(
        slug=slug,
        name=name.strip(),
        currency=v.currency_code(currency),
        timezone=v.timezone_name(timezone),
        locale=v.locale_tag(locale),
        brand_primary=v.colour(brand_primary, "brand_primary"),
        brand_accent=v.colour(brand_accent, "brand_accent"),
        logo_url=v.web_url(logo_url, "logo_url") if logo_url else None,
        support_email=v.email_address(support_email) if support_email else None,
    )
    session.add(store)
    session.flush()
    return store


def lock_store(session: Session, store_id: int) -> None:
    """Hold the store's row until the transaction ends (PostgreSQL: SELECT ... FOR
    UPDATE), so a check-then-insert of the store's settings runs one at a time. SQLite
    writers already run one at a time."""
    session.execute(select(Store.id).where(Store.id == store_id).with_for_update())


_CURRENCY = Lookup(select(Store.currency).where(Store.id == bindparam("store_id")))


def currency_of(session: Session, store_id: int) -> str | None:
    """The store's currency (None: no such store), read without loading the store."""
    found = _CURRENCY(session, {"store_id": store_id})
    return found[0].currency if found else None


def get_by_slug(session: Session, slug: str) -> Store | None:
    return session.scalar(select(Store).where(Store.slug == slug))


def list_stores(session: Session) -> list[Store]:
    return list(session.scalars(select(Store).order_by(Store.name)))


def issue_api_key(session: Session, *, store: Store, name: str = "default") -> str:
    """Create a key and return it in the clear: the only time it is ever shown."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(store_id=store.id, name=name, prefix=raw[:10], key_hash=hash_key(raw)))
    session.flush()
    return raw


def revoke_api_key(session: Session, *, store: Store, prefix: str) -> int:
    keys = session.scalars(
        select(ApiKey).where(ApiKey.store_id == store.id, ApiKey.prefix == prefix,
                             ApiKey.revoked_at.is_(None))
    ).all()
    for key in keys:
        key.revoked_at = utcnow()
    return len(keys)


def list_api_keys(session: Session, *, store: Store) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.store_id == store.id)))


def store_for_key(session: Session, raw: str) -> Store | None:
    return session.scalar(
        select(Store)
        .join(ApiKey, ApiKey.store_id == Store.id)
        .where(ApiKey.key_hash == hash_key(raw), ApiKey.revoked_at.is_(None))
    )


def set_webhook_secret(session: Session, *, store: Store, provider: str, secret: str,
                       grace: timedelta = DEFAULT_GRACE, now: datetime | None = None) -> None:
    """Set the secret; one that replaces another keeps the other accepted for `grace`
    (zero: refused at once), so the sender can switch without losing deliveries."""
    _check_secret(provider, secret, grace)
    now = now or utcnow()
    row = session.scalar(select(WebhookSecret).where(
        WebhookSecret.store_id == store.id, WebhookSecret.provider == provider))
    if row is None:
        session.add(WebhookSecret(store_id=store.id, provider=provider, secret=secret,
                                  updated_at=now))
    elif row.secret != secret:
        keep_old = grace > timedelta(0)
        row.previous_secret = row.secret if keep_old else None
        row.previous_expires_at = now + grace if keep_old else None
        row.secret, row.updated_at = secret, now
    elif not grace:  # the same secret again, with no grace: end the old one's now
        row.previous_secret = row.previous_expires_at = None
    session.flush()


def _check_secret(provider: str, secret: str, grace: timedelta) -> None:
    if provider not in PROVIDERS:
        raise StoreError("unknown_provider",
                         f"unknown provider {provider!r}; one of {', '.join(PROVIDERS)}",
                         "provider")
    if len(secret) < 8:
        raise StoreError("invalid", "a webhook secret has at least 8 characters", "secret")
    if not timedelta(0) <= grace <= MAX_GRACE:
        raise StoreError("invalid", f"the grace period is 0 to {MAX_GRACE.days * 24} hours",
                         "grace")


def accepted_webhook_secrets(session: Session, *, store_id: int, provider: str,
                             now: datetime | None = None) -> tuple[str, ...]:
    """The secrets a delivery may be signed with, the current one first (none when
    the store has set no secret for this provider)."""
    row = session.execute(select(
        WebhookSecret.secret, WebhookSecret.previous_secret, WebhookSecret.previous_expires_at
    ).where(WebhookSecret.store_id == store_id, WebhookSecret.provider == provider)).first()
    return () if row is None else accepted_secrets(*row, now=now or utcnow())


def accepted_secrets(current: str, previous: str | None, previous_expires_at: datetime | None,
                     *, now: datetime) -> tuple[str, ...]:
    if previous is None or previous_expires_at is None or previous_expires_at <= now:
        return (current,)
    return (current, previous)
