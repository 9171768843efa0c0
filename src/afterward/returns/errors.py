"""The refusal every returns use case raises; the API maps it to a 4xx (the commerce
error's handler: a return refusal is one of its kind)."""

from __future__ import annotations

from afterward.commerce.errors import CommerceError


class ReturnError(CommerceError):
    """A refused request or step; `code` is machine-readable, `field` names the culprit."""

