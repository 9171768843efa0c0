"""Shippo: a `track_updated` webhook whose `data` is a Track with `tracking_status`
and `tracking_history[]`.

Shippo does not sign webhooks, so the URL registered with Shippo carries the
store's shared secret: `.../carriers/shippo/{store}?token=<secret>`, compared in
constant time. Use HTTPS, and keep the URL out of logs you share."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from afterward.tracking.carriers import base
from afterward.tracking.carriers.registry import normalize_code
from afterward.tracking.statuses import Status

NAME = "shippo"
TOPICS = ("track_updated",)

STATUSES = {
    "unknown": Status.pending,
    "pre_transit": Status.info_received,
    "transit": Status.in_transit,
    "delivered": Status.delivered,
    "returned": Status.returned_to_sender,
    "failure": Status.exception,
}
# Substatus codes that say more than the status does.
SUBSTATUSES = {
    "information_received": Status.info_received,
    "out_for_delivery": Status.out_for_delivery,
    "pickup_available": Status.available_for_pickup,
    "delivery_attempted": Status.failed_attempt,
    "notice_left": Status.failed_attempt,
    "return_to_sender": Status.returned_to_sender,
}


def verify(secret: str, body: bytes, headers: Mapping[str, str],
           query: Mapping[str, str]) -> bool:
    given = query.get("token")
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


def parse(payload: Any) -> base.Update | None:
    body = base.obj(payload, "")
    topic = base.text(body.get("event"), "event", 64) or ""
    if topic not in TOPICS:
        return None
    track = base.obj(body.get("data"), "data")
    number = base.tracking_number(track.get("tracking_number"), "data.tracking_number")
    history = base.items(track.get("tracking_history"), "data.tracking_history")
    events = [_event(e, f"data.tracking_history.{i}") for i, e in enumerate(history)]
    if track.get("tracking_status") is not None:
        events.append(_event(track.get("tracking_status"), "data.tracking_status"))
    return base.Update(
        topic=topic, tracking_number=number,
        carrier=normalize_code(base.text(track.get("carrier"), "data.carrier", 64)),
        events=tuple(events), estimated_delivery_at=base.estimate(track.get("eta")))


def _event(value: Any, path: str) -> base.CarrierEvent:
    entry = base.obj(value, path)
    raw_status = base.text(entry.get("status"), f"{path}.status", 100)
    message = base.text(entry.get("status_details"), f"{path}.status_details")
    sub = entry.get("substatus")
    code = base.text(base.obj(sub, f"{path}.substatus").get("code"), f"{path}.substatus.code",
                     64) if sub is not None else None
    status, known = base.mapped(STATUSES, raw_status, message)
    if known and code in SUBSTATUSES:
        status = SUBSTATUSES[code]
    where = entry.get("location")
    location = None
    if where is not None:
        place = base.obj(where, f"{path}.location")
        location = base.join(*(base.text(place.get(k), f"{path}.location.{k}", 60)
                               for k in ("city", "state", "zip", "country")))
    # Shippo repeats the current status in tracking_history; the raw entry differs
    # (object ids), so it is left out of the event to let the two deduplicate.
    return base.CarrierEvent(
        occurred_at=base.timestamp(entry.get("status_date"), f"{path}.status_date"),
        status=status, provider=NAME, provider_status=raw_status, message=message,
        location=location, substatus=code if known else base.unknown_substatus(raw_status),
        raw={k: v for k, v in entry.items() if k not in ("object_id", "object_created",
                                                          "object_updated")})
