"""The refusal every commerce use case raises; the API maps it to a 4xx."""

from __future__ import annotations


class CommerceError(ValueError):
    """A refused change; `code` is machine-readable, `field` names the culprit."""

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.code, self.message, self.field, self.status = code, message, field, status
