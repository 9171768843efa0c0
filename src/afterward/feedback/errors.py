"""The refusal every reviews use case raises; the API maps it to a 4xx (a commerce
error's kind, so the one handler answers it)."""

from __future__ import annotations

from afterward.commerce.errors import CommerceError


class ReviewError(CommerceError):
    """A refused review or step; `code` is machine-readable, `field` names the culprit."""
