"""The refusal every loyalty use case raises; the API maps it to a 4xx (the commerce
error's handler: a loyalty refusal is one of its kind)."""

from __future__ import annotations

from afterward.commerce.errors import CommerceError


class LoyaltyError(CommerceError):
    """A refused change; `code` is machine-readable, `field` names the culprit."""
