"""Outbound webhook endpoints: where a store's events are POSTed, and the secret
that signs them. A rotated secret keeps signing beside the new one for a grace
period, so a receiver can switch to the new secret without refusing a delivery."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from afterward.commerce.stores import DEFAULT_GRACE, MAX_GRACE, lock_store
from afterward.commerce.validation import LABEL, SPACE_OR_CONTROL, InvalidValue
from afterward.messaging.channels import egress
from afterward.messaging.models import WebhookEndpoint
from afterward.storage.lookups import Lookup
from afterward.storage.types import utcnow

SECRET_PREFIX = "whsec_"

# An endpoint's URL, exactly as the API's schema states it (api/openapi.py): http(s)://,
# an optional user:password@, a host, an optional port, then anything without spaces
# or control characters. The host is a DNS name (IDN as punycode), and where private
# addresses are allowed also an IPv4 address or a bracketed IPv6 one; where they are
# not, a name that is not localhost, or a public IPv4 address.
_H16 = "[0-9A-Fa-f]{1,4}"
_V4_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_V4 = rf"(?:{_V4_OCTET}\.){{3}}{_V4_OCTET}"
_V6 = "(?:" + "|".join((
    f"(?:{_H16}:){{7}}{_H16}", f":(?::{_H16}){{1,7}}", "::",
    *(f"(?:{_H16}:){{{n}}}:" for n in range(1, 8)),
    *(f"(?:{_H16}:){{{n}}}(?::{_H16}){{1,{7 - n}}}" for n in range(1, 7)),
    f"(?:{_H16}:){{6}}{_V4}", f"::(?:{_H16}:){{0,5}}{_V4}",
    *(f"(?:{_H16}:){{{n}}}(?::{_H16}){{0,{5 - n}}}:{_V4}"
      for n in range(1, 6)),
)) + ")"
_URL_TEXT = rf"[^{SPACE_OR_CONTROL}\[\]]"
_USER = rf"(?:[^{SPACE_OR_CONTROL}/?#@\[\]]+@)?"
_PORT = "(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_TAIL = rf"(?::{_PORT})?(?:[/?#]{_URL_TEXT}*)?$"
_NAME = rf"(?:{LABEL}\.)*[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?"
_NOT_LOCALHOST = rf"(?!(?:{LABEL}\.)*[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt](?![A-Za-z0-9.-]))"
URL_PATTERN = rf"^https?://{_USER}(?:{LABEL}(?:\.{LABEL})*|\[{_V6}\]){_TAIL}"
PUBLIC_URL_PATTERN = (rf"^https?://{_USER}(?:{_NOT_LOCALHOST}{_NAME}|"
                      rf"{egress.PUBLIC_IPV4_PATTERN}){_TAIL}")
_URL, _PUBLIC_URL = re.compile(URL_PATTERN), re.compile(PUBLIC_URL_PATTERN)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def listened(session: Session, *, store_id: int, event_type: str) -> bool:
    """Whether an active endpoint of the store takes the event type (Module's
    webhook_listeners: afterward/outbound.py asks before queueing a webhook)."""
    return any(not row.events or event_type in row.events
               for row in _LISTENING(session, {"store_id": store_id}))


_LISTENING = Lookup(select(WebhookEndpoint.events).where(
    WebhookEndpoint.store_id == bindparam("store_id"), WebhookEndpoint.active.is_(True)))


def add_webhook_endpoint(session: Session, *, store_id: int, url: str,
                         events: list[str] | None = None,
                         allow_private_urls: bool = False) -> WebhookEndpoint:
    return put_webhook_endpoint(session, store_id=store_id, url=url, events=events,
                                allow_private_urls=allow_private_urls)[0]


def put_webhook_endpoint(session: Session, *, store_id: int, url: str,
                         events: list[str] | None = None,
                         allow_private_urls: bool = False) -> tuple[WebhookEndpoint, bool]:
    """The store's endpoint at `url`, added (True) or, when there, given `events`. A
    URL whose host is a literal private address is refused here, unless allowed; one
    whose name resolves to such an address is refused when a delivery is sent."""
    url = url.strip()
    if not _URL.fullmatch(url):
        raise InvalidValue("url", "a webhook URL is https://host/path (or http://)")
    if not allow_private_urls:
        _refuse_private(url)
    lock_store(session, store_id)  # concurrent adds of one URL: one endpoint
    existing = session.scalar(select(WebhookEndpoint).where(
        WebhookEndpoint.store_id == store_id, WebhookEndpoint.url == url,
        WebhookEndpoint.active.is_(True)).order_by(WebhookEndpoint.id).limit(1))
    if existing is not None:  # the URL is the endpoint: adding it again updates its events
        existing.events = list(events or [])
        return existing, False
    endpoint = WebhookEndpoint(store_id=store_id, url=url, events=list(events or []),
                               secret=new_secret(), active=True)
    session.add(endpoint)
    session.flush()
    return endpoint, True


def _refuse_private(url: str) -> None:
    private = egress.literal_refusal(url)
    if private is not None:
        raise InvalidValue("url", f"{private}: webhooks go to public addresses only")
    if not _PUBLIC_URL.fullmatch(url):  # an IPv6 address, public or not
        raise InvalidValue("url", "a webhook URL's host is a name or a public IPv4 address "
                                  f"(any address with {egress.ALLOW_SETTING})")


def get_endpoint(session: Session, *, store_id: int, endpoint_id: int,
                 lock: bool = False) -> WebhookEndpoint | None:
    """`lock`: hold the row until the transaction ends (PostgreSQL), so that rotations
    of one endpoint run one after the other and none is lost."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                          WebhookEndpoint.store_id == store_id)
    return session.scalar(query.with_for_update() if lock else query)


def rotate_webhook_secret(session: Session, *, endpoint: WebhookEndpoint,
                          grace: timedelta = DEFAULT_GRACE,
                          now: datetime | None = None) -> WebhookEndpoint:
    """A new signing secret; the current one signs too until `grace` has passed (zero:
    it stops at once). A secret still in its grace from an earlier rotation stops."""
    if not timedelta(0) <= grace <= MAX_GRACE:
        raise InvalidValue("grace_hours", f"the grace period is 0 to {MAX_GRACE.days * 24} hours")
    now = now or utcnow()
    keep_old = grace > timedelta(0)
    endpoint.previous_secret = endpoint.secret if keep_old else None
    endpoint.previous_expires_at = now + grace if keep_old else None
    endpoint.secret = new_secret()
    session.flush()
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> tuple[str, ...]:
    """The secrets a delivery is signed with now, the current one first."""
    previous, expires = endpoint.previous_secret, endpoint.previous_expires_at
    if previous is None or expires is None or expires <= now:
        return (endpoint.secret,)
    return (endpoint.secret, previous)
