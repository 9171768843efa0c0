"""The demo's credentials. The admin password and API key are derived from the
server's secret key (AFTERWARD_SECRET_KEY, or the per-directory dev secret), so a
second `afterward demo` can print them again without storing them in the clear;
anyone holding that secret can sign admin sessions anyway."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy.orm import Session

from afterward.accounts import service as account_service
from afterward.commerce.models import Store
from afterward.commerce.stores import KEY_PREFIX, PROVIDERS

ADMIN_EMAIL = "admin@demo.local"


@dataclass(frozen=True)
class DemoSecrets:
    password: str
    api_key: str
    webhooks: dict[str, str]


def _derive(secret_key: str, purpose: str) -> str:
    digest = hmac.new(secret_key.encode(), f"afterward-demo/{purpose}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def demo_secrets(secret_key: str) -> DemoSecrets:
    return DemoSecrets(
        password=_derive(secret_key, "admin-password")[:20],
        api_key=KEY_PREFIX + _derive(secret_key, "api-key"),
        webhooks={p: f"demo_{p}_{_derive(secret_key, f'webhook/{p}')[:16]}" for p in PROVIDERS},
    )


def ensure_admin(session: Session, *, store: Store, email: str, password: str) -> None:
    """Create the demo admin, or (after --reset) give the existing one the new store
    and the password that goes with the current secret key."""
    user = account_service.get_by_email(session, email)
    if user is None:
        account_service.create_user(session, email=email, password=password,
                                    store_slugs=[store.slug])
        return
    user.password_hash = account_service.hasher().hash(password)
    if all(s.id != store.id for s in user.stores):
        user.stores.append(store)
    session.flush()


def password_matches(session: Session, *, email: str, password: str) -> bool:
    return account_service.check_credentials(session, email=email, password=password) is not None
