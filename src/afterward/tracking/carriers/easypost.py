"""EasyPost: an `Event` ("tracker.created" / "tracker.updated") whose `result` is a
`Tracker` with `tracking_details[]`. Signed in `X-Hmac-Signature` as
`hmac-sha256-hex=<hex>`, keyed with the webhook secret normalised to NFKD, as
EasyPost's own client libraries do."""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Mapping
from typing import Any

from afterward.tracking.carriers import base
from afterward.tracking.carriers.registry import normalize_code
from afterward.tracking.statuses import Status

NAME = "easypost"
TOPICS = ("tracker.created", "tracker.updated")

STATUSES = {
    "unknown": Status.pending,
    "pre_transit": Status.info_received,
    "in_transit": Status.in_transit,
    "out_for_delivery": Status.out_for_delivery,
    "available_for_pickup": Status.available_for_pickup,
    "delivered": Status.delivered,
    "return_to_sender": Status.returned_to_sender,
    "failure": Status.exception,
    "error": Status.exception,
    "cancelled": Status.cancelled,
}
# A status_detail that says more than its status does.
DETAILS = {
    "expired": Status.expired,
    "delivery_attempted": Status.failed_attempt,
    "attempted_delivery": Status.failed_attempt,
    "arrived_at_pickup_location": Status.available_for_pickup,
}


def signature_for(secret: str, body: bytes) -> str:
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return "hmac-sha256-hex=" + base.hmac_sha256(key, body).hex()


def verify(secret: str, body: bytes, headers: Mapping[str, str],
           query: Mapping[str, str]) -> bool:
    given = base.header(headers, "X-Hmac-Signature")
    if not given:
        return False
    prefix, _, digest = given.strip().partition("=")
    expected = signature_for(secret, body)
    return hmac.compare_digest(f"{prefix.lower()}={digest.lower()}".encode(), expected.encode())


def parse(payload: Any) -> base.Update | None:
    event = base.obj(payload, "")
    topic = base.text(event.get("description"), "description", 64) or ""
    if event.get("object") != "Event":
        raise base.PayloadError("an EasyPost webhook is an Event object", "object")
    if topic not in TOPICS:
        return None
    tracker = base.obj(event.get("result"), "result")
    number = base.tracking_number(tracker.get("tracking_code"), "result.tracking_code")
    signed_by = base.text(tracker.get("signed_by"), "result.signed_by", 100)
    details = base.items(tracker.get("tracking_details"), "result.tracking_details")
    events = tuple(_event(detail, f"result.tracking_details.{i}", signed_by)
                   for i, detail in enumerate(details))
    return base.Update(
        topic=topic, tracking_number=number,
        carrier=normalize_code(base.text(tracker.get("carrier"), "result.carrier", 64)),
        events=events, estimated_delivery_at=base.estimate(tracker.get("est_delivery_date")),
        signed_by=signed_by, is_return=tracker.get("is_return") is True)


def _event(value: Any, path: str, signed_by: str | None) -> base.CarrierEvent:
    detail = base.obj(value, path)
    raw_status = base.text(detail.get("status"), f"{path}.status", 100)
    status_detail = base.text(detail.get("status_detail"), f"{path}.status_detail", 64)
    message = base.text(detail.get("message"), f"{path}.message")
    status, known = base.mapped(STATUSES, raw_status, message)
    if known and status_detail in DETAILS:
        status = DETAILS[status_detail]
    where = detail.get("tracking_location")
    location = _location(where, f"{path}.tracking_location") if where is not None else None
    return base.CarrierEvent(
        occurred_at=base.timestamp(detail.get("datetime"), f"{path}.datetime"),
        status=status, provider=NAME, provider_status=raw_status,
        message=message or base.text(detail.get("description"), f"{path}.description"),
        location=location,
        substatus=status_detail if known else base.unknown_substatus(raw_status),
        signed_by=signed_by if status == Status.delivered else None, raw=detail)


def _location(value: Any, path: str) -> str | None:
    where = base.obj(value, path)
    return base.join(*(base.text(where.get(k), f"{path}.{k}", 60)
                       for k in ("city", "state", "zip", "country")))
