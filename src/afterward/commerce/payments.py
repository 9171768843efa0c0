"""Payment fingerprints: what tells that two orders were paid with the same card or
wallet, without keeping anything a card could be read back from. An integrator gives
its payment provider's fingerprint (Stripe's `card.fingerprint`...); a Shopify order
gives the card's brand, first six and last four digits (`payment_details`). Either is
stored as a hash, compared by equality only (loyalty's referral checks)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

_DIGITS = re.compile(r"\d")


def fingerprint(raw: str) -> str:
    """The stored form: 32 hex digits of BLAKE2b over the raw fingerprint."""
    return hashlib.blake2b(raw.encode(), digest_size=16, person=b"afterward-pay").hexdigest()


def shopify_card(details: Any) -> str | None:
    """The raw fingerprint of a Shopify order's `payment_details`: brand, BIN and last
    four digits; None without the last four (a gift card, a manual payment)."""
    if not isinstance(details, dict):
        return None
    number = details.get("credit_card_number")
    last4 = "".join(_DIGITS.findall(number))[-4:] if isinstance(number, str) else ""
    if len(last4) != 4:
        return None
    brand = details.get("credit_card_company")
    bin_ = details.get("credit_card_bin")
    return ":".join(("card", "-".join(brand.lower().split()) if isinstance(brand, str) else "",
                     "".join(_DIGITS.findall(bin_))[:8] if isinstance(bin_, str) else "",
                     last4))
