"""The answers an API operation documents besides its success: each refusal in the
error shape, with when it happens, so /openapi.json lists every status an operation
can return."""

from __future__ import annotations

from typing import Any

from afterward.api.errors import RETRY_AFTER_SECONDS, ErrorResponse

Responses = dict[int | str, dict[str, Any]]

WHEN = {
    400: "Malformed JSON, a NUL character in the URL, or a cursor this API did not give out.",
    401: "No API key, or one that is unknown or revoked (for webhooks: no secret set, or a "
         "signature that does not match the body).",
    404: "No such object in this store (a path's, or one the body refers to).",
    409: "The change conflicts with what is stored.",
    405: "The path is another operation's (a journey key may not be validate or "
         "install-builtins).",
    413: "The body is larger than the server accepts.",
    422: "A value the API does not accept: `field` names it.",
    503: "The database is unavailable for a moment: try again after `Retry-After` seconds.",
}
RETRY_AFTER = {"Retry-After": {"description": f"Seconds to wait ({RETRY_AFTER_SECONDS})",
                               "schema": {"type": "string", "pattern": "^[0-9]+$"}}}


def refusals(*statuses: int) -> Responses:
    """The OpenAPI `responses` for these refusal statuses."""
    out: Responses = {}
    for status in statuses:
        out[status] = {"model": ErrorResponse, "description": WHEN[status]}
        if status == 503:
            out[status]["headers"] = RETRY_AFTER
    return out


# Every authenticated operation: the URL is checked (400), the key is looked up (401,
# and 503 when the database cannot answer). Operations add what else they can say.
KEYED = refusals(400, 401, 503)
# An operation with parameters or a body: a value out of bounds.
INVALID = refusals(422)
# An operation with a JSON body: too large, or a value refused.
WITH_BODY = refusals(413, 422)
NOT_FOUND = refusals(404)
# A path of /journeys/{key} whose key names another route.
OTHER_ROUTE = refusals(405)
# Inbound webhooks: no API key; the store in the path and its secret's signature.
SIGNED = refusals(400, 401, 404, 409, 413, 422, 503)
CONFLICT = refusals(409)


def updated(model: type, description: str) -> Responses:
    """An upsert's other success: 200 with the object that was already there."""
    return {200: {"model": model, "description": description}}
