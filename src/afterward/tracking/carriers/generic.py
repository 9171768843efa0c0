"""Afterward's own format, for carriers and systems without a supported aggregator.

    POST /api/v1/webhooks/carriers/generic/{store}
    X-Afterward-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>

    {"tracking_number": "1Z999AA10123456784",
     "carrier": "ups",                                   (optional)
     "estimated_delivery_at": "2026-03-05T18:00:00Z",    (optional)
     "events": [{"occurred_at": "2026-03-02T09:14:00+01:00",   (ISO 8601 with offset)
                 "status": "in_transit",     (one of the normalized statuses; anything
                                              else is kept as an unknown status)
                 "substatus": "arrived_at_hub",               (optional)
                 "provider_status": "AR",   "message": "Arrived at hub",
                 "location": "Köln, DE",    "signed_by": null}]}   (all optional)
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from afterward.tracking.carriers import base
from afterward.tracking.carriers.registry import normalize_code
from afterward.tracking.statuses import Status
from afterward.tracking.statuses import parse as parse_status

NAME = "generic"
MAX_EVENTS = 1000


def signature_for(secret: str, body: bytes) -> str:
    return "sha256=" + base.hmac_sha256(secret.encode("utf-8"), body).hex()


def verify(secret: str, body: bytes, headers: Mapping[str, str],
           query: Mapping[str, str]) -> bool:
    given = base.header(headers, "X-Afterward-Signature")
    if not given:
        return False
    prefix, _, digest = given.strip().partition("=")
    candidate = f"{prefix.lower()}={digest.lower()}"
    return hmac.compare_digest(candidate.encode(), signature_for(secret, body).encode())


def parse(payload: Any) -> base.Update:
    body = base.obj(payload, "")
    number = base.tracking_number(body.get("tracking_number"), "tracking_number")
    raw_events = base.items(body.get("events"), "events")
    if len(raw_events) > MAX_EVENTS:
        raise base.PayloadError(f"at most {MAX_EVENTS} events per delivery", "events")
    return base.Update(
        topic="tracking", tracking_number=number,
        carrier=normalize_code(base.text(body.get("carrier"), "carrier", 64)),
        events=tuple(_event(e, f"events.{i}") for i, e in enumerate(raw_events)),
        estimated_delivery_at=base.estimate(body.get("estimated_delivery_at")))


def _event(value: Any, path: str) -> base.CarrierEvent:
    entry = base.obj(value, path)
    given = base.text(entry.get("status"), f"{path}.status", 100)
    if given is None:
        raise base.PayloadError(f"{path}.status is missing", f"{path}.status")
    provider_status = base.text(entry.get("provider_status"), f"{path}.provider_status", 100)
    message = base.text(entry.get("message"), f"{path}.message")
    status = parse_status(given.lower())
    substatus = base.text(entry.get("substatus"), f"{path}.substatus", 64)
    if status is None:
        status = base.closest_status(given, message)
        provider_status = provider_status or given
        substatus = base.unknown_substatus(given)
    signed_by = base.text(entry.get("signed_by"), f"{path}.signed_by", 100)
    return base.CarrierEvent(
        occurred_at=base.timestamp(entry.get("occurred_at"), f"{path}.occurred_at"),
        status=status, provider=NAME, provider_status=provider_status, message=message,
        location=base.text(entry.get("location"), f"{path}.location", 200),
        substatus=substatus, signed_by=signed_by if status == Status.delivered else None,
        raw=entry)
