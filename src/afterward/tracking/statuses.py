"""The normalized shipment statuses and their order along a parcel's journey."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    pending = "pending"  # label not yet created or no carrier data
    info_received = "info_received"  # carrier has the label data, no scan yet
    in_transit = "in_transit"
    out_for_delivery = "out_for_delivery"
    available_for_pickup = "available_for_pickup"
    failed_attempt = "failed_attempt"
    delivered = "delivered"
    exception = "exception"  # damaged, lost, held in customs, address problem
    returned_to_sender = "returned_to_sender"
    cancelled = "cancelled"
    expired = "expired"  # carrier stopped reporting


# Progress-bar stage of each status (0 = ordered ... 4 = delivered).
STAGE = {
    Status.pending: 0,
    Status.info_received: 1,
    Status.in_transit: 2,
    Status.exception: 2,
    Status.returned_to_sender: 2,
    Status.expired: 2,
    Status.cancelled: 0,
    Status.out_for_delivery: 3,
    Status.failed_attempt: 3,
    Status.available_for_pickup: 3,
    Status.delivered: 4,
}

TERMINAL = frozenset({Status.delivered, Status.returned_to_sender, Status.cancelled})


def parse(value: str) -> Status | None:
    try:
        return Status(value)
    except ValueError:
        return None
