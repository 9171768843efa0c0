"""Carriers: who issued a tracking number (detect, registry) and the formats in
which tracking providers deliver carrier events (one module per provider)."""

from __future__ import annotations

from afterward.tracking.carriers import aftership, easypost, generic, shippo
from afterward.tracking.carriers.base import PayloadError, Provider, Update

PROVIDERS: dict[str, Provider] = {
    "easypost": Provider("easypost", easypost.verify, easypost.parse,
                         "X-Hmac-Signature: hmac-sha256-hex=<hex>"),
    "aftership": Provider("aftership", aftership.verify, aftership.parse,
                          "aftership-hmac-sha256: <base64>"),
    "shippo": Provider("shippo", shippo.verify, shippo.parse, "?token=<secret> in the URL"),
    "generic": Provider("generic", generic.verify, generic.parse,
                        "X-Afterward-Signature: sha256=<hex>"),
}


def provider(name: str) -> Provider | None:
    return PROVIDERS.get(name)


__all__ = ["PROVIDERS", "PayloadError", "Provider", "Update", "provider"]
