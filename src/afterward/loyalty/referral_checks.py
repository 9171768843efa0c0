"""Fraud signals of a referral, pure: no database, no clock (loyalty/referrals.py
gathers the facts). A signal never refuses a referral: it sends it to `review`,
where an admin approves or rejects it.

Signals:
- `self_referral`: the friend is the referrer (the same email, or the friend's order
  placed by the referring customer);
- `same_mailbox`: the friend's email is the referrer's mailbox spelt differently
  (case, dots in a Gmail address, a `+tag`, googlemail.com for gmail.com);
- `existing_customer`: the friend's mailbox has ordered from the store before;
- `same_device`: the device (a hash of the client's IP and user agent) signed up
  another friend of the store;
- `velocity`: the referrer brought more than `review_after` friends within
  `review_window_hours`;
- `same_address`: the friend's order ships to an address the referrer's orders
  shipped to (normalised);
- `same_payment`: the friend's order was paid with a card or wallet the referrer's
  orders were paid with (the orders' hashed payment fingerprints, commerce/payments.py;
  an order without one gives no signal)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

SIGNALS = ("self_referral", "same_mailbox", "existing_customer", "same_device", "velocity",
           "same_address", "same_payment")
_GMAIL = {"gmail.com", "googlemail.com"}
_WORD_ABBREVIATIONS = (("strasse", "str"), ("street", "st"), ("avenue", "ave"),
                       ("road", "rd"), ("rue", "r"), ("rua", "r"))


def mailbox(email: str) -> str:
    """The mailbox behind an address, whatever the spelling: lower case, a `+tag`
    dropped, dots dropped for Gmail, googlemail.com as gmail.com."""
    local, _, domain = email.strip().lower().rpartition("@")
    if not local:
        return email.strip().lower()
    domain = domain.rstrip(".")
    local = local.split("+", 1)[0] or local  # sub-addressing: most providers ignore it
    if domain in _GMAIL:
        domain, local = "gmail.com", local.replace(".", "")
    return f"{local}@{domain}"


def address_key(address1: str | None, postal_code: str | None,
                country: str | None) -> str | None:
    """A shipping address as one comparable key: case, accents, punctuation, spaces
    and common street words (Straße/Strasse/Str., Street/St) folded; None without a
    street."""
    if not address1 or not address1.strip():
        return None
    text = unicodedata.normalize("NFKD", address1.casefold().replace("ß", "ss"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = re.findall(r"[a-z0-9]+", text)
    folded = []
    for word in words:
        for long, short in _WORD_ABBREVIATIONS:
            if word.endswith(long):
                word = word[: -len(long)] + short
                break
        folded.append(word)
    postal = re.sub(r"[^a-z0-9]", "", (postal_code or "").casefold())
    return f"{''.join(folded)}|{postal}|{(country or '').upper()}"


def device_hash(store_id: int, ip: str | None, user_agent: str | None) -> str | None:
    """A one-way hash of the client's IP and user agent, per store (neither is kept)."""
    if not ip and not user_agent:
        return None
    raw = f"{store_id}\x1f{ip or ''}\x1f{(user_agent or '').strip()}".encode()
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class SignupFacts:
    friend_email: str
    referrer_email: str | None
    friend_has_ordered: bool
    device_seen: bool  # the device signed up another friend of the store
    recent_by_referrer: int  # the referrer's referrals within the window, before this
    review_after: int


def at_signup(facts: SignupFacts) -> list[str]:
    found: list[str] = []
    friend = facts.friend_email.strip().lower()
    referrer = (facts.referrer_email or "").strip().lower()
    if referrer and friend == referrer:
        found.append("self_referral")
    elif referrer and mailbox(friend) == mailbox(referrer):
        found.append("same_mailbox")
    if facts.friend_has_ordered:
        found.append("existing_customer")
    if facts.device_seen:
        found.append("same_device")
    if facts.recent_by_referrer >= facts.review_after:
        found.append("velocity")
    return found


@dataclass(frozen=True)
class OrderFacts:
    ordered_by_referrer: bool  # the order's customer is the referrer
    order_mailbox: str | None
    referrer_mailbox: str | None
    order_address: str | None
    referrer_addresses: Iterable[str]
    order_payment: str | None = None  # commerce/payments.py: hashed fingerprints
    referrer_payments: Iterable[str] = ()


def at_order(facts: OrderFacts) -> list[str]:
    found: list[str] = []
    if facts.ordered_by_referrer:
        found.append("self_referral")
    elif facts.order_mailbox and facts.order_mailbox == facts.referrer_mailbox:
        found.append("same_mailbox")
    if facts.order_address is not None and facts.order_address in set(
            facts.referrer_addresses):
        found.append("same_address")
    if facts.order_payment is not None and facts.order_payment in set(
            facts.referrer_payments):
        found.append("same_payment")
    return found


def new_signals(before: Iterable[str], found: Iterable[str]) -> list[str]:
    """`before` and what `found` adds, in SIGNALS order."""
    union = set(before) | set(found)
    return [name for name in SIGNALS if name in union]
