"""AfterShip: a `tracking_update` webhook whose `msg` is a tracking with `tag`,
`subtag` and `checkpoints[]` (the API's `{"data": {"tracking": ...}}` shape is
accepted too). Signed in `aftership-hmac-sha256`: base64 HMAC-SHA256 of the body."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from typing import Any

from afterward.tracking.carriers import base
from afterward.tracking.carriers.registry import normalize_code
from afterward.tracking.statuses import Status

NAME = "aftership"
TOPICS = ("tracking_update",)

TAGS = {
    "pending": Status.pending,
    "inforeceived": Status.info_received,
    "intransit": Status.in_transit,
    "outfordelivery": Status.out_for_delivery,
    "attemptfail": Status.failed_attempt,
    "delivered": Status.delivered,
    "availableforpickup": Status.available_for_pickup,
    "exception": Status.exception,
    "expired": Status.expired,
}
# Subtags that belong to another of our statuses than their tag says.
SUBTAGS = {
    "exception_010": Status.returned_to_sender,  # returning to sender
    "exception_011": Status.returned_to_sender,  # returned to sender
}


def signature_for(secret: str, body: bytes) -> str:
    return base64.b64encode(base.hmac_sha256(secret.encode("utf-8"), body)).decode()


def verify(secret: str, body: bytes, headers: Mapping[str, str],
           query: Mapping[str, str]) -> bool:
    given = base.header(headers, "aftership-hmac-sha256")
    if not given:
        return False
    return hmac.compare_digest(given.strip().encode(), signature_for(secret, body).encode())


def _tracking(payload: Any) -> tuple[str, dict[str, Any], str] | None:
    body = base.obj(payload, "")
    if "msg" in body or "event" in body:
        topic = base.text(body.get("event"), "event", 64) or ""
        if topic not in TOPICS:
            return None
        return topic, base.obj(body.get("msg"), "msg"), "msg"
    data = base.obj(body.get("data"), "data")
    return "tracking_update", base.obj(data.get("tracking"), "data.tracking"), "data.tracking"


def parse(payload: Any) -> base.Update | None:
    found = _tracking(payload)
    if found is None:
        return None
    topic, tracking, path = found
    number = base.tracking_number(tracking.get("tracking_number"), f"{path}.tracking_number")
    signed_by = base.text(tracking.get("signed_by"), f"{path}.signed_by", 100)
    checkpoints = base.items(tracking.get("checkpoints"), f"{path}.checkpoints")
    # Where a checkpoint's time has no offset: its own country, else the parcel's route.
    route = (tracking.get("destination_country_iso3"), tracking.get("origin_country_iso3"))
    events = tuple(_event(c, f"{path}.checkpoints.{i}", signed_by, route)
                   for i, c in enumerate(checkpoints))
    return base.Update(
        topic=topic, tracking_number=number,
        carrier=normalize_code(base.text(tracking.get("slug"), f"{path}.slug", 64)),
        events=events, signed_by=signed_by,
        estimated_delivery_at=base.estimate(tracking.get("expected_delivery")))


def _event(value: Any, path: str, signed_by: str | None,
           route: tuple[Any, Any]) -> base.CarrierEvent:
    checkpoint = base.obj(value, path)
    tag = base.text(checkpoint.get("tag"), f"{path}.tag", 100)
    subtag = base.text(checkpoint.get("subtag"), f"{path}.subtag", 64)
    message = base.text(checkpoint.get("message"), f"{path}.message")
    status, known = base.mapped(TAGS, tag, message)
    if known and subtag and subtag.lower() in SUBTAGS:
        status = SUBTAGS[subtag.lower()]
    location = base.text(checkpoint.get("location"), f"{path}.location", 200) or base.join(
        *(base.text(checkpoint.get(k), f"{path}.{k}", 60)
          for k in ("city", "state", "zip", "country_iso3")))
    return base.CarrierEvent(
        occurred_at=base.local_timestamp(checkpoint.get("checkpoint_time"),
                                         f"{path}.checkpoint_time",
                                         (checkpoint.get("country_iso3"), *route)),
        status=status, provider=NAME, provider_status=tag,
        message=message or base.text(checkpoint.get("subtag_message"), f"{path}.subtag_message"),
        location=location, substatus=subtag if known else base.unknown_substatus(tag),
        signed_by=signed_by if status == Status.delivered else None, raw=checkpoint)
